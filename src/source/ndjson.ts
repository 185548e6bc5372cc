import type { FileHandle } from 'node:fs/promises';
import type { EventBatch } from '../../operators/batch.js';
import { scanNdjsonLines } from './scan-events.js';
import type { InvalidValue } from './validate-values.js';

/** Events per batch when a file or chunk is larger: one batch in memory, whatever the file. */
export const MAX_BATCH_LINES = 50_000;
const READ_SIZE = 1 << 20;

export interface LinesRead {
  /** Byte offset after the last complete line consumed. */
  readonly offset: number;
  /** Lines consumed so far in the file (for line numbers in reports). */
  readonly lines: number;
}

export interface NdjsonChunk {
  readonly batch: EventBatch;
  readonly invalid: readonly InvalidValue[];
  /** Lines with invalid UTF-8, decoded with U+FFFD in place of the bad bytes. */
  readonly badUtf8Lines: readonly number[];
}

/**
 * Reads the complete lines between `from.offset` and `end` as batches of at most
 * {@link MAX_BATCH_LINES} events. A last line without its newline is left for later, unless
 * `takeUnterminated` (the end of input in `--once` mode). Lines are cut on bytes, so a
 * multi-byte character is never split between two reads, and scanned straight into columns.
 */
export async function* readNdjsonLines(
  handle: FileHandle,
  from: LinesRead,
  end: number,
  takeUnterminated: boolean,
): AsyncGenerator<NdjsonChunk & LinesRead> {
  let offset = from.offset;
  let lines = from.lines;
  let position = offset;
  // Complete lines not yet scanned, and the bytes of a line still waiting for its newline.
  let complete: Buffer[] = [];
  let completeLines = 0;
  let pending: Buffer[] = [];
  const buffer = Buffer.allocUnsafe(READ_SIZE);

  function* scan(all: boolean): Generator<NdjsonChunk & LinesRead> {
    if (complete.length === 0) return;
    const bytes = complete.length === 1 ? complete[0]! : Buffer.concat(complete);
    let at = 0;
    while (at < bytes.length && (all || completeLines >= MAX_BATCH_LINES)) {
      const chunk = scanNdjsonLines(bytes.subarray(at), lines + 1, MAX_BATCH_LINES);
      at += chunk.consumed;
      offset += chunk.consumed;
      lines += chunk.lines;
      completeLines -= chunk.lines;
      yield { ...chunk, offset, lines };
    }
    complete = at < bytes.length ? [bytes.subarray(at)] : [];
  }

  while (position < end) {
    const { bytesRead } = await handle.read(
      buffer,
      0,
      Math.min(READ_SIZE, end - position),
      position,
    );
    if (bytesRead === 0) break;
    position += bytesRead;
    // Copies: `buffer` is reused by the next read.
    const data = Buffer.from(buffer.subarray(0, bytesRead));
    const cut = data.lastIndexOf(10) + 1;
    if (cut === 0) {
      pending.push(data);
      continue;
    }
    complete.push(...pending, data.subarray(0, cut));
    pending = cut < data.length ? [data.subarray(cut)] : [];
    completeLines += countNewlines(data, cut);
    yield* scan(false);
  }
  if (takeUnterminated && pending.length > 0) {
    complete.push(...pending);
    completeLines += 1;
  }
  yield* scan(true);
}

function countNewlines(data: Buffer, end: number): number {
  let count = 0;
  for (let at = data.indexOf(10); at !== -1 && at < end; at = data.indexOf(10, at + 1)) count += 1;
  return count;
}
