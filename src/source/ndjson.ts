import { isUtf8 } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import { BatchCollector } from './validate-values.js';

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
  readonly collector: BatchCollector;
  /** Lines with invalid UTF-8, decoded with U+FFFD in place of the bad bytes. */
  readonly badUtf8Lines: readonly number[];
}

/**
 * Reads the complete lines between `from.offset` and `end` as chunks of at most
 * {@link MAX_BATCH_LINES} lines. A last line without its newline is left for later, unless
 * `takeUnterminated` (the end of input in `--once` mode). Lines are split on bytes, so a
 * multi-byte character is never cut between two reads.
 */
export async function* readNdjsonLines(
  handle: FileHandle,
  from: LinesRead,
  end: number,
  takeUnterminated: boolean,
): AsyncGenerator<NdjsonChunk & LinesRead> {
  let offset = from.offset;
  let lineNo = from.lines;
  let position = offset;
  let pending: Buffer[] = [];
  let chunk = newChunk();
  let linesInChunk = 0;
  const buffer = Buffer.allocUnsafe(READ_SIZE);

  const takeLine = (bytes: Buffer, terminated: boolean) => {
    lineNo += 1;
    offset += bytes.length + (terminated ? 1 : 0);
    const line = stripCr(bytes);
    if (isBlank(line)) return;
    linesInChunk += 1;
    const text = line.toString('utf8');
    if (!isUtf8(line)) chunk.badUtf8Lines.push(lineNo);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      chunk.collector.reject(`not valid JSON (${(error as Error).message})`, { line: lineNo });
      return;
    }
    chunk.collector.add(value, { line: lineNo });
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
    const data = buffer.subarray(0, bytesRead);
    let start = 0;
    for (let newline = data.indexOf(10, start); newline !== -1; newline = data.indexOf(10, start)) {
      const piece = data.subarray(start, newline);
      takeLine(pending.length > 0 ? Buffer.concat([...pending, piece]) : piece, true);
      pending = [];
      start = newline + 1;
      if (linesInChunk >= MAX_BATCH_LINES) {
        yield { ...chunk, offset, lines: lineNo };
        chunk = newChunk();
        linesInChunk = 0;
      }
    }
    // Copy: `buffer` is reused by the next read.
    if (start < data.length) pending.push(Buffer.from(data.subarray(start)));
  }
  if (takeUnterminated && pending.length > 0) takeLine(Buffer.concat(pending), false);
  yield { ...chunk, offset, lines: lineNo };
}

function newChunk(): { collector: BatchCollector; badUtf8Lines: number[] } {
  return { collector: new BatchCollector(), badUtf8Lines: [] };
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 32 && byte !== 9) return false;
  return true;
}
