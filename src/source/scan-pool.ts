import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { decodeRead, type TransferredRead } from './batch-transfer.js';
import type { JsonRead } from './json.js';
import type { ScanRequest } from './scan-worker.js';

/** What a reader thread found: the file's size and time when read, and its events. */
export interface ScannedFile {
  readonly size: number;
  readonly mtimeMs: number;
  /** Absent for a file too large to parse whole. */
  readonly read: JsonRead | undefined;
}

type Answer = { id: number } & (
  | { size: number; mtimeMs: number; read: TransferredRead | undefined }
  | { error: { code?: string; message: string } }
);

const WORKER_URL = new URL('./scan-worker.js', import.meta.url);

/**
 * Reader threads that read and scan `.json` files in parallel; answers come back as
 * promises, so the caller keeps its own order. Threads are unref'd while idle (they never
 * hold the process open) and terminated by {@link close}.
 */
export class ScanPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (file: ScannedFile) => void; reject: (error: Error) => void; worker: Worker }
  >();
  private readonly load = new Map<Worker, number>();
  private nextId = 0;

  /** A pool of `size` threads, or undefined where threads cannot run (the sources under a test runner). */
  static create(size = Math.max(1, availableParallelism())): ScanPool | undefined {
    // The worker is compiled JavaScript beside this file; run from TypeScript sources there is none.
    if (!existsSync(fileURLToPath(WORKER_URL))) return undefined;
    return new ScanPool(size);
  }

  private constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_URL);
      worker.unref();
      worker.on('message', (answer: Answer) => this.answer(worker, answer));
      worker.on('error', (error) => this.fail(worker, error));
      this.workers.push(worker);
      this.load.set(worker, 0);
    }
  }

  scan(path: string, first: number): Promise<ScannedFile> {
    if (this.workers.length === 0) return Promise.reject(new Error('the reader threads failed'));
    const worker = this.workers.reduce((a, b) => (this.load.get(b)! < this.load.get(a)! ? b : a));
    const id = this.nextId++;
    const request: ScanRequest = { id, path, first };
    return new Promise<ScannedFile>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      this.busy(worker, +1);
      worker.postMessage(request);
    });
  }

  close(): void {
    for (const worker of this.workers) void worker.terminate();
    for (const { reject } of this.pending.values()) reject(new Error('reader threads closed'));
    this.pending.clear();
  }

  private answer(worker: Worker, answer: Answer): void {
    const request = this.pending.get(answer.id);
    if (!request) return;
    this.pending.delete(answer.id);
    this.busy(worker, -1);
    if ('error' in answer) {
      request.reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
    } else {
      request.resolve({
        size: answer.size,
        mtimeMs: answer.mtimeMs,
        read: answer.read && decodeRead(answer.read),
      });
    }
  }

  private fail(worker: Worker, error: Error): void {
    this.workers.splice(this.workers.indexOf(worker), 1);
    this.load.delete(worker);
    for (const [id, request] of this.pending) {
      if (request.worker !== worker) continue;
      this.pending.delete(id);
      request.reject(error);
    }
  }

  /** Keeps the process alive only while a thread has work. */
  private busy(worker: Worker, change: number): void {
    const load = this.load.get(worker)! + change;
    this.load.set(worker, load);
    if (load > 0) worker.ref();
    else worker.unref();
  }
}
