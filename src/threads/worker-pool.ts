import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type EncodedBatch,
  encodedBuffers,
  type ReducedBatch,
} from '../../operators/lazy-groups/kernel.js';
import { packageRoot } from '../bundled.js';
import { decodeRead } from '../source/batch-transfer.js';
import type { EventFields } from '../source/event-fields.js';
import type { FileScanner, ScannedFile } from '../source/types.js';
import type { Job, JobAnswer, JobRequest, JobResult } from './jobs.js';

/** A batch of Task 5 reduced by a pool worker, and that worker's `threadId`. */
export interface PooledReduction {
  readonly reduced: ReducedBatch;
  readonly threadId: number;
}

export interface WorkerPoolOptions {
  /** The worker's script; default {@link poolWorkerScript}. For tests. */
  readonly script?: URL;
}

/**
 * The compiled worker script: `pool-worker.js` beside this module (the compiled package), or
 * the package's `dist/src/threads/pool-worker.js` when this module runs from the TypeScript
 * sources (vitest; `npm test` builds first); `undefined` when neither exists.
 */
export function poolWorkerScript(): URL | undefined {
  const beside = new URL('./pool-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const compiled = join(packageRoot(), 'dist', 'src', 'threads', 'pool-worker.js');
  return existsSync(compiled) ? pathToFileURL(compiled) : undefined;
}

interface PoolWorker {
  readonly worker: Worker;
  /** Jobs posted to it and not yet answered. */
  load: number;
  alive: boolean;
}

interface PendingJob {
  readonly owner: PoolWorker;
  readonly resolve: (answer: { result: unknown; threadId: number }) => void;
  readonly reject: (error: Error) => void;
}

/**
 * One fixed set of worker threads for everything the process does beside the main thread:
 * the directory source's reader threads scan `.json` files on it ({@link scan}) and Task 5's
 * reducer reduces batches on it ({@link reduce}), so the two never compete with two sets of
 * threads for the same cores. The threads start with the first job (a pool nobody uses costs
 * nothing) and hold the process open only while they have a job; columns are transferred,
 * not copied; each job goes to the least busy thread. A thread that crashes fails its own
 * pending jobs and leaves the pool; {@link terminate} stops every thread and fails every
 * pending job. The owner (the command that made it) terminates it; its users do not.
 */
export class WorkerPool implements FileScanner {
  private readonly workers: PoolWorker[] = [];
  private readonly pending = new Map<number, PendingJob>();
  private nextId = 0;
  private lastChosen = -1;
  private started = false;
  private terminated = false;
  private live = 0;

  /**
   * A pool of `size` threads, or `undefined` when `size` is 0 or the compiled worker script
   * cannot be found (then callers do the work on the calling thread).
   */
  static create(size: number, options: WorkerPoolOptions = {}): WorkerPool | undefined {
    if (!(Number.isInteger(size) && size >= 0)) {
      throw new RangeError(`a worker pool's size must be an integer >= 0, got ${size}`);
    }
    const script = options.script ?? poolWorkerScript();
    return size === 0 || script === undefined ? undefined : new WorkerPool(size, script);
  }

  private constructor(
    /** Threads, once started. */
    readonly size: number,
    private readonly script: URL,
  ) {}

  /** Threads started and not yet exited. */
  get liveWorkers(): number {
    return this.live;
  }

  /** Jobs posted and not yet answered. */
  get pendingJobs(): number {
    return this.pending.size;
  }

  /** Reads and scans the `.json` file at `path` from array element `first` on. */
  async scan(path: string, first: number, fields?: EventFields): Promise<ScannedFile> {
    const { result } = await this.run({ kind: 'scan', path, first, fields }, []);
    return {
      size: result.size,
      mtimeMs: result.mtimeMs,
      identity: result.identity,
      read: result.read && decodeRead(result.read),
    };
  }

  /** Reduces a batch of Task 5; its columns are transferred, so unusable afterwards. */
  async reduce(batch: EncodedBatch): Promise<PooledReduction> {
    const { result, threadId } = await this.run({ kind: 'reduce', batch }, encodedBuffers(batch));
    return { reduced: result, threadId };
  }

  /** Stops every thread; jobs still pending fail. Idempotent. */
  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    for (const { worker } of this.workers) void worker.terminate();
    this.workers.length = 0;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const job of pending) job.reject(new Error('the worker pool was terminated'));
  }

  private run<J extends Job>(
    job: J,
    transfer: ArrayBuffer[],
  ): Promise<{ result: JobResult<J>; threadId: number }> {
    if (this.terminated) return Promise.reject(new Error('the worker pool was terminated'));
    if (!this.started) this.start();
    const owner = this.leastBusy();
    if (owner === undefined) return Promise.reject(new Error('every pool worker failed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { owner, resolve: resolve as PendingJob['resolve'], reject });
      if (owner.load++ === 0) owner.worker.ref();
      owner.worker.postMessage({ id, job } satisfies JobRequest, transfer);
    });
  }

  private start(): void {
    this.started = true;
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(entryOf(this.script));
      const pooled: PoolWorker = { worker, load: 0, alive: true };
      this.live += 1;
      worker.unref();
      worker.on('message', (answer: JobAnswer) => this.answer(pooled, answer));
      worker.on('error', (error) => this.crash(pooled, error));
      worker.on('exit', (code) => {
        this.live -= 1;
        this.crash(pooled, new Error(`a pool worker exited with code ${code}`));
      });
      this.workers.push(pooled);
    }
  }

  private answer(owner: PoolWorker, answer: JobAnswer): void {
    const job = this.pending.get(answer.id);
    if (job === undefined) return;
    this.pending.delete(answer.id);
    if (--owner.load === 0) owner.worker.unref();
    if ('error' in answer) {
      const { code, message } = answer.error;
      job.reject(Object.assign(new Error(message), code === undefined ? {} : { code }));
    } else {
      job.resolve({ result: answer.result, threadId: answer.threadId });
    }
  }

  /** A thread that died takes its own pending jobs with it; the others go on. */
  private crash(owner: PoolWorker, error: Error): void {
    if (!owner.alive || this.terminated) return;
    owner.alive = false;
    this.workers.splice(this.workers.indexOf(owner), 1);
    for (const [id, job] of this.pending) {
      if (job.owner !== owner) continue;
      this.pending.delete(id);
      job.reject(error);
    }
  }

  /** The live thread with the fewest jobs; ties go round-robin, so that all are used. */
  private leastBusy(): PoolWorker | undefined {
    const count = this.workers.length;
    if (count === 0) return undefined;
    let best = (this.lastChosen + 1) % count;
    for (let step = 2; step <= count; step++) {
      const next = (this.lastChosen + step) % count;
      if (this.workers[next]!.load < this.workers[best]!.load) best = next;
    }
    this.lastChosen = best;
    return this.workers[best];
  }
}

/**
 * The thread's entry point: a data: URL that imports the script. A data: URL is an ES module
 * whatever the parent's flags, whereas a file entry fails in a process started with
 * `--input-type` (`node --input-type=module -e …`), whose flags the thread inherits.
 */
function entryOf(script: URL): URL {
  return new URL(
    `data:text/javascript,${encodeURIComponent(`import ${JSON.stringify(script.href)};`)}`,
  );
}
