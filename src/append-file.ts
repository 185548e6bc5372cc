import {
  close,
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  ftruncate,
  ftruncateSync,
  openSync,
  write,
} from 'node:fs';
import { UsageError } from './usage-error.js';

/** Characters buffered before a write starts at once instead of at the next turn of the loop. */
const WRITE_AT = 64 * 1024;
/** Characters buffered beyond which {@link AppendFile.ready} holds the producer back. */
const DEFAULT_HIGH_WATER_MARK = 8 * 1024 * 1024;

export interface AppendFileOptions {
  /** How the file is named in messages, e.g. `--forward out.ndjson`. */
  readonly label: string;
  /**
   * Cut the file back to this many bytes before anything is added (resuming from a
   * checkpoint); a file shorter than that is a {@link UsageError} naming `label`. Absent:
   * append to whatever is there.
   */
  readonly truncateTo?: number;
  /**
   * Told once of the first write failure, as one line with the reason and the lines lost so
   * far (`no space left on device (ENOSPC): 12 events not forwarded so far, counting`), and
   * again at close with the final count (`42 events not forwarded in all`). The line does not
   * name the file: the caller does, with `label`.
   */
  readonly onProblem: (reason: string) => void;
  /** What the lost lines are called after their count in messages (default `lines not written`). */
  readonly lostLines?: string;
  /** Characters buffered beyond which {@link AppendFile.ready} waits (default 8 Mi). */
  readonly highWaterMark?: number;
}

/** Lines handed to one write, and who waits for them to be on the file. */
interface Chunk {
  readonly text: string;
  readonly lines: number;
  /** Called with the file's length once the chunk is written, or cut back after a failure. */
  readonly settled: ((length: number) => void)[];
}

/**
 * A file that NDJSON lines are appended to (the `--forward` file).
 * Lines are buffered and written in large writes, one at a time, so millions of lines cost
 * few system calls. A write failure (a full disk, an I/O error) never throws and never
 * leaves half a line: the file is cut back to the last whole line, reported once through
 * `onProblem`, and every line from then on is only counted in {@link lost}; the run goes on.
 *
 * Memory stays bounded only if the producer awaits {@link ready} (as the source awaits its
 * sink's `ready` before each read): lines are accepted at any rate, and a slow disk makes
 * the buffer grow until the producer is held back.
 */
export class AppendFile {
  /** Lines appended and not yet given to a write. */
  private pending = '';
  private pendingLines = 0;
  /** Chunks cut off by {@link durableLength}, waiting for their write, oldest first. */
  private readonly queued: Chunk[] = [];
  /** The chunk being written: at most one write is in flight. */
  private writing: Chunk | undefined;
  private writeScheduled = false;
  /** Characters accepted and not yet written. */
  private buffered = 0;
  private readonly readyWaiters: (() => void)[] = [];
  private failure: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private lostLines = 0;
  /** {@link durableLength} calls in progress. */
  private readonly durableCalls = new Set<Promise<number>>();

  private constructor(
    private readonly fd: number,
    private readonly isRegularFile: boolean,
    /** The file's length after the last complete write: it ends with a whole line. */
    private length: number,
    private readonly options: AppendFileOptions,
  ) {}

  /**
   * Opens `path` for appending (creating it), cut back to `truncateTo` bytes if given.
   * Synchronous, so a file that cannot be used stops the command before anything is read.
   * @throws {UsageError} `<label>: <reason>` when the file cannot be opened or cut back.
   */
  static open(path: string, options: AppendFileOptions): AppendFile {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o666);
    } catch (error) {
      throw new UsageError(`${options.label}: ${describeError(error)}`);
    }
    try {
      const stats = fstatSync(fd);
      let length = stats.size;
      const { truncateTo } = options;
      if (truncateTo !== undefined && truncateTo !== 0 && !stats.isFile()) {
        throw new UsageError(
          `${options.label}: not a regular file, so it cannot be cut back to ${truncateTo} bytes`,
        );
      }
      if (truncateTo !== undefined && stats.isFile()) {
        if (length < truncateTo) {
          throw new UsageError(
            `${options.label}: ${length} bytes long, shorter than the ${truncateTo} bytes to resume from`,
          );
        }
        ftruncateSync(fd, truncateTo);
        length = truncateTo;
      }
      return new AppendFile(fd, stats.isFile(), length, options);
    } catch (error) {
      closeSync(fd);
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${options.label}: ${describeError(error)}`);
    }
  }

  /** Lines that were not written because of a write failure (or were appended after close). */
  get lost(): number {
    return this.lostLines;
  }

  /** Appends one NDJSON line, given without its newline. Never throws. */
  append(line: string): void {
    if (this.failure !== undefined || this.closing !== undefined) {
      this.lostLines++;
      return;
    }
    this.pending += line;
    this.pending += '\n';
    this.pendingLines++;
    this.buffered += line.length + 1;
    if (this.writing !== undefined) return;
    if (this.pending.length >= WRITE_AT) this.writeNext();
    else if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(() => {
        this.writeScheduled = false;
        this.writeNext();
      });
    }
  }

  /**
   * Resolves once fewer characters than the high-water mark are waiting to be written (at
   * once when there are, or after a failure): the producer awaits it before producing more.
   */
  ready = (): Promise<void> => {
    if (this.buffered < this.highWaterMark || this.failure !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  };

  /**
   * Waits until every line appended before the call is written, flushes the file to disk
   * (fdatasync) and resolves with its length then: it ends with a whole line, and is what a
   * checkpoint records. Lines appended while it waits are not included. After a failure,
   * resolves with the length the file was cut back to.
   */
  durableLength(): Promise<number> {
    if (this.closing !== undefined) return this.writtenLength();
    const durable = this.syncedLength();
    // Kept until it ends, so close waits for it before the descriptor goes away.
    this.durableCalls.add(durable);
    void durable.then(() => this.durableCalls.delete(durable));
    return durable;
  }

  /**
   * Writes what is buffered and closes the file, then reports the lines lost, if any.
   * Resolves even after a failure; calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writtenLength();
      // The descriptor must outlive every call using it, or its number could be reused.
      await Promise.all(this.durableCalls);
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
        close(this.fd, resolve),
      );
      if (error && this.failure === undefined) {
        this.options.onProblem(`${describeError(error)} on close`);
      }
      if (this.lostLines > 0) {
        this.options.onProblem(`${this.lostLines} ${this.lostName} in all`);
      }
    })();
    return this.closing;
  }

  private get highWaterMark(): number {
    return this.options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  }

  private get lostName(): string {
    return this.options.lostLines ?? 'lines not written';
  }

  private async syncedLength(): Promise<number> {
    const length = await this.writtenLength();
    if (this.failure !== undefined || !this.isRegularFile) return length;
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      fdatasync(this.fd, resolve),
    );
    if (error) {
      // What was written may never reach the disk: as after a failed write, stop writing.
      // Nothing is cut back, since a write may be in flight.
      this.fail(error, false);
      await this.writtenLength();
    }
    return length;
  }

  /** Resolves with the file's length once every line appended so far is written or lost. */
  private async writtenLength(): Promise<number> {
    if (this.failure !== undefined) {
      await this.failure;
      const inFlight = this.writing;
      if (inFlight !== undefined) await new Promise((resolve) => inFlight.settled.push(resolve));
      return this.length;
    }
    const last = this.pendingLines > 0 ? this.cutPending() : (this.queued.at(-1) ?? this.writing);
    if (last === undefined) return this.length;
    const written = new Promise<number>((resolve) => last.settled.push(resolve));
    this.writeNext();
    return written;
  }

  /** Makes the pending lines a chunk of their own, so its end is a length to wait for. */
  private cutPending(): Chunk {
    const chunk: Chunk = { text: this.pending, lines: this.pendingLines, settled: [] };
    this.queued.push(chunk);
    this.pending = '';
    this.pendingLines = 0;
    return chunk;
  }

  private writeNext(): void {
    if (this.writing !== undefined || this.failure !== undefined) return;
    if (this.queued.length === 0 && this.pendingLines > 0) this.cutPending();
    const chunk = this.queued.shift();
    if (chunk === undefined) return;
    this.writing = chunk;
    this.writeBytes(chunk, Buffer.from(chunk.text), 0);
  }

  private writeBytes(chunk: Chunk, bytes: Buffer, offset: number): void {
    write(this.fd, bytes, offset, bytes.length - offset, null, (error, written) => {
      this.writing = undefined;
      if (error) {
        this.lostLines += chunk.lines;
        this.fail(error, offset > 0);
        this.settleAfterFailure(chunk);
        return;
      }
      // A short write is followed by one for the rest: it fails if the disk is full.
      if (offset + written < bytes.length) {
        this.writing = chunk;
        this.writeBytes(chunk, bytes, offset + written);
        return;
      }
      this.length += bytes.length;
      this.buffered -= chunk.text.length;
      for (const settle of chunk.settled) settle(this.length);
      if (this.buffered < this.highWaterMark) this.wakeProducers();
      this.writeNext();
    });
  }

  /**
   * Stops writing after `error`, once: every line not yet given to a write is lost, the file
   * is cut back to its last whole line if part of a chunk reached it, and the failure is
   * reported. A write still in flight (after a failed fdatasync) ends on its own.
   */
  private fail(error: unknown, partial: boolean): void {
    if (this.failure !== undefined) return;
    const dropped = this.queued.splice(0);
    this.lostLines += this.pendingLines + dropped.reduce((sum, chunk) => sum + chunk.lines, 0);
    this.pending = '';
    this.pendingLines = 0;
    this.buffered = this.writing?.text.length ?? 0;
    this.failure = (async () => {
      let notCutBack = '';
      if (partial && this.isRegularFile) {
        const truncated = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
          ftruncate(this.fd, this.length, resolve),
        );
        if (truncated) {
          notCutBack = `; the partial line could not be cut back: ${describeError(truncated)}`;
        }
      }
      this.options.onProblem(
        `${describeError(error)}: ${this.lostLines} ${this.lostName} so far, counting${notCutBack}`,
      );
      this.wakeProducers();
    })();
    for (const chunk of dropped) this.settleAfterFailure(chunk);
  }

  /** Tells who waits for `chunk` the length the file was left at, once the failure is handled. */
  private settleAfterFailure(chunk: Chunk): void {
    void this.failure?.then(() => {
      for (const settle of chunk.settled) settle(this.length);
    });
  }

  private wakeProducers(): void {
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }
}

/** `no space left on device (ENOSPC)` from Node's `ENOSPC: no space left on device, write`. */
function describeError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === undefined) return String(message ?? error);
  const reason = message.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+( '.*')?$/, '');
  return `${reason} (${code})`;
}
