import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { EventBatch } from '../../operators/batch.js';
import type { SourceBatch, SourceOptions } from './types.js';
import { BatchCollector, summarizeInvalid } from './validate-values.js';

export const STDIN_BATCH_LINES = 10_000;
export const STDIN_BATCH_MS = 100;

/**
 * NDJSON on standard input as an Observable of batches of at most {@link STDIN_BATCH_LINES}
 * lines or {@link STDIN_BATCH_MS} milliseconds, whichever comes first. Completes at the end
 * of input.
 */
export function stdinSource(
  input: Readable,
  options: Pick<SourceOptions, 'onProblem' | 'ready'>,
): Observable<SourceBatch> {
  return new Observable<SourceBatch>((subscriber) => {
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let collector = new BatchCollector();
    let size = 0;
    let lineNo = 0;
    let index = 0;
    let timer: NodeJS.Timeout | undefined;

    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (size === 0) return;
      const full = collector;
      collector = new BatchCollector();
      size = 0;
      for (const { reason, count } of summarizeInvalid(full.invalid)) {
        options.onProblem({ kind: 'invalid', file: '-', reason, count });
      }
      if (full.events.length > 0) {
        index += 1;
        subscriber.next({
          index,
          file: '-',
          batch: EventBatch.fromParsed(full.events),
          invalid: full.invalid.length,
        });
      }
      const ready = options.ready?.();
      if (ready) {
        lines.pause();
        void ready.then(() => lines.resume());
      }
    };

    lines.on('line', (line) => {
      lineNo += 1;
      if (line.trim().length === 0) return;
      size += 1;
      try {
        collector.add(JSON.parse(line), { line: lineNo });
      } catch (error) {
        collector.reject(`not valid JSON (${(error as Error).message})`, { line: lineNo });
      }
      if (size >= STDIN_BATCH_LINES) flush();
      else timer ??= setTimeout(flush, STDIN_BATCH_MS);
    });
    lines.on('close', () => {
      flush();
      subscriber.complete();
    });
    input.on('error', (error) => subscriber.error(error));
    return () => {
      clearTimeout(timer);
      lines.close();
    };
  });
}
