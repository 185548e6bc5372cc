import { connect, map, merge, type Observable, type OperatorFunction, tap } from 'rxjs';
import type { OperatorInput } from '../operators/batch.js';
import type { TaskName, TaskRecord } from '../operators/records.js';
import type { SourceBatch } from './source/types.js';

/** A record with the source batch after which it was emitted. */
export interface TaskOutput {
  /** 1, 2, …; 0 when the source produced no batch at all. */
  readonly batch: number;
  /** That batch's file name without directory, `-` for standard input. */
  readonly file: string;
  readonly record: TaskRecord;
}

export type TaskOperator = OperatorFunction<OperatorInput, TaskRecord>;

/**
 * The topology: one source fanned out to the selected task operators, each record tagged
 * with the batch after which it was emitted. All operators are subscribed before the source
 * starts, and receive each batch in task order, so after each batch the records come out in
 * that order too.
 */
export function runTasks(
  source: Observable<SourceBatch>,
  tasks: ReadonlyMap<TaskName, TaskOperator>,
): Observable<TaskOutput> {
  let batch = 0;
  let file = '-';
  return source.pipe(
    tap((next) => {
      batch = next.index;
      file = next.file;
    }),
    map((next) => next.batch),
    connect((batches) =>
      merge(
        ...[...tasks.values()].map((task) =>
          batches.pipe(
            task,
            map((record) => ({ batch, file, record })),
          ),
        ),
      ),
    ),
  );
}
