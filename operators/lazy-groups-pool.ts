import { availableParallelism } from 'node:os';
import { threadId, Worker } from 'node:worker_threads';
import type { PendingBatch } from './lazy-groups-batcher.js';
import {
  type EncodedBatch,
  type ReducedBatch,
  reducedBuffers,
  reduceEncodedBatch,
} from './lazy-groups-kernel.js';

/** A reduced batch, with the names of its service ids and the thread that reduced it. */
export interface Reduction {
  readonly reduced: ReducedBatch;
  readonly dictionary: readonly string[];
  /** `worker_threads.threadId` of the thread that ran the kernel (0: the main thread). */
  readonly threadId: number;
}

/** When {@link BatchReducer} in `'auto'` mode starts workers. */
export const AUTO_WORKERS = {
  /** Below this, posting a batch to a worker costs more than reducing it in place. */
  minBatchSize: 10_000,
  /** Full batches reduced in place before a pool is started: the input is then "large". */
  afterFullBatches: 4,
} as const;

/** Batches in flight per worker: one running and one queued, so workers never wait. */
const IN_FLIGHT_PER_WORKER = 2;

/**
 * Decides where each batch is reduced: in the calling thread, or in a lazily started pool
 * of workers. At most two batches per worker are in flight; beyond that the calling thread
 * reduces the batch itself, which bounds memory when the source pushes faster than the
 * workers reduce (RxJS sources cannot be paused).
 */
export class BatchReducer {
  private pool: ReductionPool | undefined;
  private fullBatches = 0;
  private closed = false;

  constructor(
    /** Workers to start; 0: never; `'auto'`: one per core, once the input proves large. */
    private readonly workers: number | 'auto',
    private readonly batchSize: number,
  ) {}

  /** The reduction of `batch`: computed now, or a promise of it from a worker. */
  submit(batch: PendingBatch): Reduction | Promise<Reduction> {
    const pool = this.poolFor(batch.encoded);
    const { dictionary } = batch;
    if (pool !== undefined && pool.inFlight < pool.size * IN_FLIGHT_PER_WORKER) {
      const reduction = pool
        .reduce(batch.encoded)
        .then(({ reduced, threadId }) => ({ reduced, dictionary, threadId }));
      // After an unsubscription nobody awaits the queued reductions: a failure of theirs
      // must not surface as an unhandled rejection.
      reduction.catch(() => {});
      return reduction;
    }
    return { reduced: reduceEncodedBatch(batch.encoded), dictionary, threadId };
  }

  /** Stops the workers, if any were started. Pending reductions never settle. */
  close(): void {
    this.closed = true;
    this.pool?.terminate();
    this.pool = undefined;
  }

  private poolFor(batch: EncodedBatch): ReductionPool | undefined {
    if (this.pool !== undefined || this.workers === 0 || this.closed) return this.pool;
    if (this.workers === 'auto') {
      if (batch.length === this.batchSize) this.fullBatches += 1;
      const cores = availableParallelism();
      const large =
        this.batchSize >= AUTO_WORKERS.minBatchSize &&
        this.fullBatches > AUTO_WORKERS.afterFullBatches;
      if (cores > 1 && large) this.pool = new ReductionPool(cores);
    } else {
      this.pool = new ReductionPool(this.workers);
    }
    return this.pool;
  }
}

// The worker runs the kernel's own source text: no worker file to locate, so the same code
// works from the TypeScript sources (vitest) and from the compiled dist/ files. A data: URL is
// always an ES module, whatever the parent's flags (`eval: true` code follows the parent's
// --input-type, and `require` is missing under --input-type=module).
const WORKER_URL = new URL(
  `data:text/javascript,${encodeURIComponent(`
import { parentPort, threadId } from 'node:worker_threads';
const reduceEncodedBatch = (${reduceEncodedBatch});
const reducedBuffers = (${reducedBuffers});
parentPort.on('message', ({ id, batch }) => {
  const reduced = reduceEncodedBatch(batch);
  parentPort.postMessage({ id, threadId, reduced }, reducedBuffers(reduced));
});
`)}`,
);

let liveWorkers = 0;

/** Reduction workers of every pool in this thread that have started and not yet exited. */
export function liveReductionWorkers(): number {
  return liveWorkers;
}

interface PoolWorker {
  readonly worker: Worker;
  inFlight: number;
}

interface Job {
  readonly resolve: (result: { reduced: ReducedBatch; threadId: number }) => void;
  readonly reject: (error: Error) => void;
}

interface WorkerReply {
  readonly id: number;
  readonly threadId: number;
  readonly reduced: ReducedBatch;
}

/**
 * A fixed set of worker threads running {@link reduceEncodedBatch}. Batches are transferred
 * (moved, not copied) to the least busy worker; a worker holds the process open only while
 * it has a batch to reduce. A crashed worker fails every pending reduction.
 */
export class ReductionPool {
  private readonly workers: PoolWorker[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextJob = 0;
  private lastChosen = -1;
  private terminated = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.workers.push(this.start());
  }

  /** Batches posted and not yet returned. */
  get inFlight(): number {
    return this.jobs.size;
  }

  /** Reduces `batch` in a worker; its columns are transferred, so unusable afterwards. */
  reduce(batch: EncodedBatch): Promise<{ reduced: ReducedBatch; threadId: number }> {
    const owner = this.leastBusy();
    const id = this.nextJob++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      if (owner.inFlight++ === 0) owner.worker.ref();
      const buffers = [batch.serviceIds.buffer, batch.statuses.buffer, batch.times.buffer];
      owner.worker.postMessage({ id, batch }, buffers as ArrayBuffer[]);
    });
  }

  /** Stops every worker; reductions still pending never settle. */
  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.jobs.clear();
    for (const { worker } of this.workers) void worker.terminate();
  }

  /** The worker with the fewest batches in flight; ties go round-robin, to use them all. */
  private leastBusy(): PoolWorker {
    const count = this.workers.length;
    let best = (this.lastChosen + 1) % count;
    for (let step = 2; step <= count; step++) {
      const next = (this.lastChosen + step) % count;
      if (this.workers[next]!.inFlight < this.workers[best]!.inFlight) best = next;
    }
    this.lastChosen = best;
    return this.workers[best]!;
  }

  private start(): PoolWorker {
    const worker = new Worker(WORKER_URL);
    const pooled: PoolWorker = { worker, inFlight: 0 };
    liveWorkers += 1;
    worker.unref();
    worker.on('message', ({ id, threadId, reduced }: WorkerReply) => {
      const job = this.jobs.get(id);
      if (job === undefined) return;
      this.jobs.delete(id);
      if (--pooled.inFlight === 0) worker.unref();
      job.resolve({ reduced, threadId });
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      liveWorkers -= 1;
      if (!this.terminated) this.fail(new Error(`a reduction worker exited with code ${code}`));
    });
    return pooled;
  }

  private fail(error: Error): void {
    const jobs = [...this.jobs.values()];
    this.terminate();
    for (const job of jobs) job.reject(error);
  }
}
