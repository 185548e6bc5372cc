import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { scanNdjsonLines } from './scan-events.js';
import type { SourceBatch, SourceOptions } from './types.js';
import { summarizeInvalid } from './validate-values.js';

export const STDIN_BATCH_LINES = 10_000;
export const STDIN_BATCH_MS = 100;

/**
 * NDJSON on standard input as an Observable of batches of at most {@link STDIN_BATCH_LINES}
 * lines or {@link STDIN_BATCH_MS} milliseconds, whichever comes first. Lines are cut on bytes
 * and scanned straight into columns, like NDJSON files. Completes at the end of input, where
 * a last line without its newline is read too.
 */
export function stdinSource(
  input: Readable,
  options: Pick<SourceOptions, 'onProblem' | 'ready'>,
): Observable<SourceBatch> {
  return new Observable<SourceBatch>((subscriber) => {
    // Complete lines waiting for their batch, and the start of a line without its newline.
    let complete: Buffer[] = [];
    let completeLines = 0;
    let partial: Buffer[] = [];
    let lineNo = 0;
    let index = 0;
    let timer: NodeJS.Timeout | undefined;

    /** Emits the waiting lines: full batches only, or everything (timer, end of input). */
    const flush = (all: boolean) => {
      clearTimeout(timer);
      timer = undefined;
      if (complete.length === 0) return;
      const bytes = complete.length === 1 ? complete[0]! : Buffer.concat(complete);
      let at = 0;
      while (at < bytes.length && (all || completeLines >= STDIN_BATCH_LINES)) {
        const scan = scanNdjsonLines(bytes.subarray(at), lineNo + 1, STDIN_BATCH_LINES);
        at += scan.consumed;
        lineNo += scan.lines;
        completeLines -= scan.lines;
        for (const { reason, count } of summarizeInvalid(scan.invalid)) {
          options.onProblem({ kind: 'invalid', file: '-', reason, count });
        }
        if (scan.badUtf8Lines.length > 0) {
          const lines = scan.badUtf8Lines.slice(0, 5).join(', ');
          options.onProblem({
            kind: 'warning',
            file: '-',
            reason: `invalid UTF-8 on line ${lines}, read with U+FFFD in place of the bad bytes`,
            count: 0,
          });
        }
        if (scan.batch.length > 0) {
          index += 1;
          subscriber.next({ index, file: '-', batch: scan.batch, invalid: scan.invalid.length });
        }
      }
      complete = at < bytes.length ? [bytes.subarray(at)] : [];
      if (complete.length > 0) timer = setTimeout(() => flush(true), STDIN_BATCH_MS);
      const ready = options.ready?.();
      if (ready) {
        input.pause();
        void ready.then(() => input.resume());
      }
    };

    const onData = (chunk: Buffer) => {
      const cut = chunk.lastIndexOf(10) + 1;
      if (cut === 0) {
        partial.push(chunk);
        return;
      }
      complete.push(...partial, chunk.subarray(0, cut));
      partial = cut < chunk.length ? [chunk.subarray(cut)] : [];
      for (let at = chunk.indexOf(10); at !== -1 && at < cut; at = chunk.indexOf(10, at + 1)) {
        completeLines += 1;
      }
      if (completeLines >= STDIN_BATCH_LINES) flush(false);
      else timer ??= setTimeout(() => flush(true), STDIN_BATCH_MS);
    };
    const onEnd = () => {
      if (partial.length > 0) {
        complete.push(...partial);
        partial = [];
      }
      flush(true);
      subscriber.complete();
    };
    const onError = (error: Error) => subscriber.error(error);

    input.on('data', onData).once('end', onEnd).once('error', onError);
    return () => {
      clearTimeout(timer);
      input.off('data', onData).off('end', onEnd).off('error', onError);
      input.pause();
    };
  });
}
