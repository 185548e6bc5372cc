import type { FileHandle } from 'node:fs/promises';
import type { EventBatch } from '../../operators/batch.js';
import { LineBuffer } from './line-buffer.js';
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
  let position = offset;
  const lines = new LineBuffer(MAX_BATCH_LINES, from.lines);
  const buffer = Buffer.allocUnsafe(READ_SIZE);
  const scanned = function* (all: boolean): Generator<NdjsonChunk & LinesRead> {
    for (const chunk of lines.scan(all)) {
      offset += chunk.consumed;
      yield { ...chunk, offset, lines: lines.linesRead };
    }
  };

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
    lines.push(Buffer.from(buffer.subarray(0, bytesRead)));
    yield* scanned(false);
  }
  if (takeUnterminated) lines.endInput();
  yield* scanned(true);
}
