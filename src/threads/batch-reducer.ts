import { availableParallelism } from 'node:os';
import { threadId } from 'node:worker_threads';
import { type EncodedBatch, reduceEncodedBatch } from '../../operators/lazy-groups/kernel.js';
import type {
  BatchReducer,
  ReducerContext,
  Reduction,
} from '../../operators/lazy-groups/reducer.js';
import type { WorkerPool } from './worker-pool.js';

/** The most pool threads one reducer may be given (`--lazy-workers`). */
export const MAX_LAZY_WORKERS = 256;

/** When a reducer in `'auto'` mode starts sending batches to the pool. */
export const AUTO_WORKERS = {
  /** Below this, posting a batch to a worker costs more than reducing it in place. */
  minBatchSize: 10_000,
  /** Full batches reduced in place before the pool is used: the input is then "large". */
  afterFullBatches: 4,
} as const;

/** Batches in flight per worker: one running and one queued, so workers never wait. */
const IN_FLIGHT_PER_WORKER = 2;

/**
 * The `reducer` option of `lazyGroups` that reduces Task 5's batches on a {@link WorkerPool}.
 * `workers` is how many pool threads it keeps busy: 0 reduces in the calling thread only;
 * n uses n of them (at most the pool's size); `'auto'` uses all of them, on more than one
 * core, once the input has produced more than 4 full batches of at least 10,000 events.
 * `pool` is either the process's shared pool (used, never terminated here: its owner does
 * that) or a function that makes a pool for each subscription, terminated when the
 * subscription ends. Without a pool (`undefined`: no compiled worker script) every batch is
 * reduced in the calling thread. At most two batches per worker are in flight; beyond that
 * the calling thread reduces the batch itself, which bounds memory when the source pushes
 * faster than the workers reduce (RxJS sources cannot be paused).
 *
 * @throws {RangeError} when `workers` is neither `'auto'` nor an integer from 0 to 256.
 */
export function poolReducer(
  pool: WorkerPool | undefined | (() => WorkerPool | undefined),
  workers: number | 'auto',
): (context: ReducerContext) => BatchReducer {
  if (
    workers !== 'auto' &&
    !(Number.isInteger(workers) && workers >= 0 && workers <= MAX_LAZY_WORKERS)
  ) {
    throw new RangeError(
      `workers must be 'auto' or an integer from 0 to ${MAX_LAZY_WORKERS}, got ${workers}`,
    );
  }
  return ({ batchSize }) =>
    typeof pool === 'function'
      ? new PoolBatchReducer(workers === 0 ? undefined : pool(), true, workers, batchSize)
      : new PoolBatchReducer(pool, false, workers, batchSize);
}

class PoolBatchReducer implements BatchReducer {
  private inFlight = 0;
  private fullBatches = 0;
  private large = false;
  private closed = false;

  constructor(
    private readonly pool: WorkerPool | undefined,
    /** Made for this subscription: terminated with it. */
    private readonly owned: boolean,
    private readonly workers: number | 'auto',
    private readonly batchSize: number,
  ) {}

  reduce(batch: EncodedBatch): Reduction | Promise<Reduction> {
    const pool = this.pool;
    const threads = this.threadsFor(batch);
    if (pool === undefined || this.inFlight >= threads * IN_FLIGHT_PER_WORKER) {
      return { reduced: reduceEncodedBatch(batch), threadId };
    }
    this.inFlight += 1;
    const reduction = pool.reduce(batch).finally(() => {
      this.inFlight -= 1;
    });
    // After an unsubscription nobody awaits the queued reductions: a failure of theirs
    // must not surface as an unhandled rejection.
    reduction.catch(() => {});
    return reduction;
  }

  close(): void {
    this.closed = true;
    if (this.owned) this.pool?.terminate();
  }

  /** Pool threads this batch may use: 0 keeps it in the calling thread. */
  private threadsFor(batch: EncodedBatch): number {
    if (this.pool === undefined || this.closed || this.workers === 0) return 0;
    if (this.workers !== 'auto') return Math.min(this.workers, this.pool.size);
    if (!this.large) {
      if (batch.length === this.batchSize) this.fullBatches += 1;
      this.large =
        availableParallelism() > 1 &&
        this.batchSize >= AUTO_WORKERS.minBatchSize &&
        this.fullBatches > AUTO_WORKERS.afterFullBatches;
    }
    return this.large ? this.pool.size : 0;
  }
}
