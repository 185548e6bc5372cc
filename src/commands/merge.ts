import { TASK_NAMES, type TaskName } from '../../operators/records.js';
import { type AnyTaskState, decodeTaskState, mergeTaskStates } from '../../operators/states.js';
import { StateError } from '../../operators/task-state.js';
import { NdjsonSink } from '../ndjson-sink.js';
import { readStateFile, type StateFile } from '../state-file.js';
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
  const [first, ...rest] = files as [StateFileAt, ...StateFileAt[]];
  let merged = decodeStates(first);
  for (const file of rest) {
    if (tasksOf(file) !== tasksOf(first)) {
      throw new UsageError(
        `${file.path} holds the tasks ${tasksOf(file) || 'none'}, ${first.path} holds ${tasksOf(first) || 'none'}`,
      );
    }
    const states = decodeStates(file);
    merged = new Map(
      [...merged].map(([task, state]) => [
        task,
        asUsageError(`cannot merge ${file.path} into ${first.path}`, () =>
          mergeTaskStates(state, states.get(task)!),
        ),
      ]),
    );
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

type StateFileAt = StateFile & { readonly path: string };

function tasksOf(file: StateFile): string {
  return file.states.map((state) => state.task).join(',');
}

function decodeStates(file: StateFileAt): Map<TaskName, AnyTaskState> {
  return new Map(
    file.states.map((encoded) => [
      encoded.task,
      asUsageError(file.path, () => decodeTaskState(encoded)),
    ]),
  );
}

/** `compute()`, with a StateError turned into a one-line usage error that starts with `where`. */
function asUsageError<T>(where: string, compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof StateError) throw new UsageError(`${where}: ${error.message}`);
    throw error;
  }
}
