import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { LineBuffer } from './line-buffer.js';
import type { SourceBatch, SourceOptions } from './types.js';
import { badUtf8Reason, summarizeInvalid } from './validate-values.js';

export const STDIN_BATCH_LINES = 10_000;
export const STDIN_BATCH_MS = 100;

/**
 * NDJSON on standard input as an Observable of batches of at most {@link STDIN_BATCH_LINES}
 * lines or {@link STDIN_BATCH_MS} milliseconds, whichever comes first. Lines are cut on bytes
 * and scanned straight into columns, like NDJSON files. Completes at the end of input, where
 * a last line without its newline is read too; `options.stop` ends it the same way.
 */
export function stdinSource(
  input: Readable,
  options: Pick<SourceOptions, 'onProblem' | 'ready' | 'stop' | 'fields'>,
): Observable<SourceBatch> {
  return new Observable<SourceBatch>((subscriber) => {
    const lines = new LineBuffer(STDIN_BATCH_LINES, 0, options.fields);
    let index = 0;
    let timer: NodeJS.Timeout | undefined;
    /** Set at the end of input or a stop: nothing resumes reading afterwards. */
    let ended = false;

    /** Emits the waiting lines: full batches only, or everything (timer, end of input). */
    const flush = (all: boolean) => {
      clearTimeout(timer);
      timer = undefined;
      for (const scan of lines.scan(all)) {
        for (const summary of summarizeInvalid(scan.invalid)) {
          options.onProblem({ kind: 'invalid', file: '-', ...summary });
        }
        if (scan.badUtf8Lines.length > 0) {
          const reason = badUtf8Reason(scan.badUtf8Lines);
          options.onProblem({ kind: 'warning', file: '-', reason, count: 0 });
        }
        if (scan.batch.length > 0) {
          index += 1;
          subscriber.next({ index, file: '-', batch: scan.batch, invalid: scan.invalid.length });
        }
      }
      if (lines.pending) timer = setTimeout(() => flush(true), STDIN_BATCH_MS);
      const ready = options.ready?.();
      if (ready) {
        input.pause();
        void ready.then(() => {
          if (!ended) input.resume();
        });
      }
    };

    const onData = (chunk: Buffer) => {
      lines.push(chunk);
      if (lines.full) flush(false);
      else if (lines.pending) timer ??= setTimeout(() => flush(true), STDIN_BATCH_MS);
    };
    const onEnd = () => {
      if (ended) return;
      ended = true;
      lines.endInput();
      flush(true);
      subscriber.complete();
    };
    const onError = (error: Error) => subscriber.error(error);

    input.on('data', onData).once('end', onEnd).once('error', onError);
    const stop = options.stop?.subscribe(onEnd);
    return () => {
      ended = true;
      stop?.unsubscribe();
      clearTimeout(timer);
      input.off('data', onData).off('end', onEnd).off('error', onError);
      input.pause();
    };
  });
}
