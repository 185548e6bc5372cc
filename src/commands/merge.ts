import { TASK_NAMES } from '../../operators/records.js';
import { type AnyTaskState, decodeTaskState, mergeTaskStates } from '../../operators/states.js';
import { StateError } from '../../operators/task-state.js';
import { NdjsonSink } from '../ndjson-sink.js';
import { readStateFile } from '../state-file.js';
import { UsageError } from '../usage-error.js';

/**
 * `logstream merge <state>...`: merges states saved by `run --save-state` and prints what
 * `run --once` prints at its end for the merged state, task by task in task order: one
 * record per task, Task 5's final totals and Task 6's open windows; `batch` is the sum of
 * the states' batch counts and `file` is null. States are merged in the order given (it
 * matters only for Task 4's `batch…` fields, which are the last state's).
 */
export async function mergeCommand(paths: readonly string[]): Promise<number> {
  const files = await Promise.all(
    paths.map(async (path) => ({ path, ...(await readStateFile(path)) })),
  );
  const first = files[0]!;
  const tasksOf = (file: (typeof files)[number]) =>
    file.states.map((state) => state.task).join(',');
  let merged = new Map<string, AnyTaskState>();
  for (const file of files) {
    if (tasksOf(file) !== tasksOf(first)) {
      throw new UsageError(
        `${file.path} holds the tasks ${tasksOf(file) || 'none'}, ${first.path} holds ${tasksOf(first) || 'none'}`,
      );
    }
    const states = new Map<string, AnyTaskState>();
    for (const encoded of file.states) {
      try {
        states.set(encoded.task, decodeTaskState(encoded));
      } catch (error) {
        if (error instanceof StateError) throw new UsageError(`${file.path}: ${error.message}`);
        throw error;
      }
    }
    if (file === first) {
      merged = states;
      continue;
    }
    for (const [task, state] of states) {
      try {
        merged.set(task, mergeTaskStates(merged.get(task)!, state));
      } catch (error) {
        if (error instanceof StateError) {
          throw new UsageError(`cannot merge ${file.path} into ${first.path}: ${error.message}`);
        }
        throw error;
      }
    }
  }
  const batch = files.reduce((sum, file) => sum + file.batches, 0);
  const sink = new NdjsonSink(process.stdout, () => {});
  for (const task of TASK_NAMES) {
    for (const record of merged.get(task)?.finalRecords() ?? [])
      sink.write({ batch, file: null, record });
  }
  await sink.end();
  return 0;
}
