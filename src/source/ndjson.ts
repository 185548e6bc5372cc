import type { EventBatch } from '../../operators/batch.js';
import type { EventFields } from './event-fields.js';
import { LineBuffer } from './line-buffer.js';
import type { PositionalFile } from './open-file.js';
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
 * The end of an NDJSON file as read so far: complete lines are scanned into batches of at most
 * {@link MAX_BATCH_LINES} events, and a last line without its newline stays here, in memory,
 * until the rest of it arrives. Each read goes on from the last byte read, never from the
 * start of that line again, so a line that grows in many writes costs its length once.
 * Lines are cut on bytes, so a multi-byte character is never split between two reads.
 */
export class NdjsonTail {
  private readonly buffer: LineBuffer;
  private offset: number;
  /** The file's bytes read so far: `offset` plus the unterminated line held here. */
  private position: number;

  constructor(from: LinesRead, fields?: EventFields) {
    this.offset = from.offset;
    this.position = from.offset;
    this.buffer = new LineBuffer(MAX_BATCH_LINES, from.lines, fields);
  }

  /** The file's bytes read so far, the unterminated line included. */
  get bytesRead(): number {
    return this.position;
  }

  /**
   * Whether bytes read wait here unyielded: a line without its newline, or the lines a reader
   * that stopped mid-read did not take.
   */
  get unterminated(): boolean {
    return this.position > this.offset;
  }

  /**
   * Reads the file's bytes from where the last read stopped to `end`, yielding complete lines;
   * with `endOfInput` (`--once`), a last line without its newline too, in the same batch as
   * the lines before it.
   */
  async *read(
    handle: PositionalFile,
    end: number,
    endOfInput = false,
  ): AsyncGenerator<NdjsonChunk & LinesRead> {
    for await (const bytes of this.readOn(handle, end)) {
      this.take(bytes);
      yield* this.scanned(false);
    }
    if (endOfInput) this.buffer.endInput();
    yield* this.scanned(true);
  }

  /** The end of input (`--once`, or a stop): the unterminated line is complete as it is. */
  *finish(): Generator<NdjsonChunk & LinesRead> {
    this.buffer.endInput();
    yield* this.scanned(true);
  }

  /**
   * The end of input at a stop, as `--once` would read the line held here: the file's bytes
   * written to it since the last read (up to `end`, or its newline, never further: the lines
   * after it are left as any other unread line is at a stop), then {@link finish}.
   */
  async *finishLine(handle: PositionalFile, end: number): AsyncGenerator<NdjsonChunk & LinesRead> {
    if (this.buffer.unterminated) {
      for await (const bytes of this.readOn(handle, end)) {
        const newline = bytes.indexOf(10);
        this.take(newline === -1 ? bytes : bytes.subarray(0, newline + 1));
        if (newline !== -1) break;
      }
    }
    yield* this.finish();
  }

  /**
   * The file's bytes from where the last read stopped to `end`, a read at a time, in one
   * buffer reused by the next read: the caller {@link take}s what it keeps before then.
   */
  private async *readOn(handle: PositionalFile, end: number): AsyncGenerator<Buffer> {
    const chunk = Buffer.allocUnsafe(Math.min(READ_SIZE, Math.max(end - this.position, 1)));
    while (this.position < end) {
      const { bytesRead } = await handle.read(
        chunk,
        0,
        Math.min(chunk.length, end - this.position),
        this.position,
      );
      if (bytesRead === 0) return;
      yield chunk.subarray(0, bytesRead);
    }
  }

  /** Bytes read at the position: copied, as `readOn` reuses its buffer. */
  private take(bytes: Buffer): void {
    this.position += bytes.length;
    this.buffer.push(Buffer.from(bytes));
  }

  private *scanned(all: boolean): Generator<NdjsonChunk & LinesRead> {
    for (const scan of this.buffer.scan(all)) {
      this.offset += scan.consumed;
      yield { ...scan, offset: this.offset, lines: this.buffer.linesRead };
    }
  }
}
