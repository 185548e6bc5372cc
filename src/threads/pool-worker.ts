/**
 * A thread of the worker pool (worker-pool.ts): answers each {@link JobRequest} with its result (its
 * buffers transferred) or with the error, so that one failed job does not end the thread.
 */
import { parentPort, threadId } from 'node:worker_threads';
import { type JobAnswer, type JobRequest, runJob } from './jobs.js';

parentPort?.on('message', ({ id, job }: JobRequest) => {
  let answer: JobAnswer;
  let transfer: ArrayBuffer[] = [];
  try {
    const [result, buffers] = runJob(job);
    answer = { id, threadId, result };
    transfer = buffers;
  } catch (error) {
    answer = { id, error: errorOf(error) };
  }
  try {
    parentPort!.postMessage(answer, transfer);
  } catch (error) {
    // A result that cannot be cloned fails its job, not the thread (which would take every
    // other pending job with it).
    parentPort!.postMessage({ id, error: errorOf(error) } satisfies JobAnswer);
  }
});

function errorOf(error: unknown): { code?: string; message: string } {
  const { code, message } = error as NodeJS.ErrnoException;
  return { code, message: String(message) };
}
