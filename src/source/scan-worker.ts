/**
 * A reader thread: reads a `.json` file and scans it into columns, so parsing runs on every
 * core while the main thread runs the operators. Answers each request `{ id, path, first }`
 * with `{ id, size, mtimeMs, read }` (no `read` for a file too large to parse whole) or
 * `{ id, error }`.
 */
import { readFileSync, statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { encodeRead } from './batch-transfer.js';
import { readJsonDocument, WHOLE_FILE_LIMIT } from './json.js';

export interface ScanRequest {
  readonly id: number;
  readonly path: string;
  readonly first: number;
}

parentPort?.on('message', ({ id, path, first }: ScanRequest) => {
  try {
    const stats = statSync(path);
    if (stats.size > WHOLE_FILE_LIMIT) {
      // Too large to hold whole: the caller splits it element by element.
      parentPort!.postMessage({ id, size: stats.size, mtimeMs: stats.mtimeMs, read: undefined });
      return;
    }
    const [read, transfer] = encodeRead(readJsonDocument(readFileSync(path), first));
    parentPort!.postMessage({ id, size: stats.size, mtimeMs: stats.mtimeMs, read }, transfer);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    parentPort!.postMessage({ id, error: { code, message } });
  }
});
