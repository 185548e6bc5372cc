import type { EventFields } from './event-fields.js';
import { type NdjsonScan, scanNdjsonLines } from './scan-events.js';

/**
 * NDJSON bytes as they arrive (file reads, standard input), cut into complete lines and
 * scanned into batches of at most `maxLines` events. A line without its newline waits for
 * it, or for {@link endInput}. Cutting on bytes never splits a multi-byte character.
 */
export class LineBuffer {
  private complete: Buffer[] = [];
  private partial: Buffer[] = [];
  /** Complete lines waiting to be scanned, blank ones included. */
  private waiting = 0;

  constructor(
    private readonly maxLines: number,
    /** Lines before the first byte pushed, for line numbers. */
    private lines = 0,
    /** Where the event's fields are (default: the event model's). */
    private readonly fields?: EventFields,
  ) {}

  /** Lines scanned so far, blank ones and those before the first push included. */
  get linesRead(): number {
    return this.lines;
  }

  /** Whether enough complete lines wait for a full batch. */
  get full(): boolean {
    return this.waiting >= this.maxLines;
  }

  /** Whether complete lines wait to be scanned. */
  get pending(): boolean {
    return this.complete.length > 0;
  }

  /** Whether the last bytes pushed are a line still without its newline. */
  get unterminated(): boolean {
    return this.partial.length > 0;
  }

  /** Adds bytes; the caller must not reuse `chunk` afterwards. */
  push(chunk: Buffer): void {
    const cut = chunk.lastIndexOf(10) + 1;
    if (cut === 0) {
      this.partial.push(chunk);
      return;
    }
    this.complete.push(...this.partial, chunk.subarray(0, cut));
    this.partial = cut < chunk.length ? [chunk.subarray(cut)] : [];
    for (let at = chunk.indexOf(10); at !== -1 && at < cut; at = chunk.indexOf(10, at + 1)) {
      this.waiting += 1;
    }
  }

  /** No more bytes will come: a last line without its newline is complete as it is. */
  endInput(): void {
    if (this.partial.length === 0) return;
    this.complete.push(...this.partial);
    this.partial = [];
    this.waiting += 1;
  }

  /**
   * Scans the waiting lines: only full batches, or (`all`) every complete line. Each batch
   * leaves the buffer before it is yielded, so a consumer that stops after any batch (a
   * stop mid-file) never sees it again.
   */
  *scan(all: boolean): Generator<NdjsonScan> {
    while (this.complete.length > 0 && (all || this.full)) {
      const bytes = this.complete.length === 1 ? this.complete[0]! : Buffer.concat(this.complete);
      const batch = scanNdjsonLines(bytes, this.lines + 1, this.maxLines, Date.now, this.fields);
      this.lines += batch.lines;
      this.waiting -= batch.lines;
      this.complete = batch.consumed < bytes.length ? [bytes.subarray(batch.consumed)] : [];
      yield batch;
    }
  }
}
