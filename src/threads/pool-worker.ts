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
    const { code, message } = error as NodeJS.ErrnoException;
    answer = { id, error: { code, message: String(message) } };
  }
  parentPort!.postMessage(answer, transfer);
});
