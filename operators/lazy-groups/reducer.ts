import { type EncodedBatch, type ReducedBatch, reduceEncodedBatch } from './kernel.js';

/** A reduced batch, and the thread that reduced it when the reducer knows. */
export interface Reduction {
  readonly reduced: ReducedBatch;
  /** `worker_threads.threadId` of the thread that ran the kernel, when the reducer knows it. */
  readonly threadId?: number;
}

/** What a {@link BatchReducer} is told about the subscription it serves. */
export interface ReducerContext {
  /** Events in a full batch: a shorter batch is an idle flush. */
  readonly batchSize: number;
}

/**
 * Where Task 5's batches are reduced: one per subscription of `lazyGroups`, made by its
 * `reducer` option and closed when the subscription ends (completes, errors or is
 * unsubscribed). The default reduces in the calling thread; src/threads has one that sends
 * batches to worker threads. Whatever the reducer, reductions are merged in input order, so
 * the records do not depend on it.
 */
export interface BatchReducer {
  /**
   * The reduction of `batch`, now or as a promise. A reducer may transfer the batch's columns
   * to another thread: the caller must not read them afterwards.
   */
  reduce(batch: EncodedBatch): Reduction | PromiseLike<Reduction>;
  /** The subscription has ended: results still pending are no longer wanted. */
  close(): void;
}

/** The default reducer: the kernel in the calling thread. */
export function inThreadReducer(): BatchReducer {
  return { reduce: (batch) => ({ reduced: reduceEncodedBatch(batch) }), close: () => {} };
}
