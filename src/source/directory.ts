import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Observable } from 'rxjs';
import { EventBatch } from '../../operators/batch.js';
import { compareText } from '../../operators/records.js';
import { DirectoryWatcher } from './directory-watcher.js';
import { type FileCursor, FileCursors } from './file-cursors.js';
import { FileFilter } from './file-filter.js';
import {
  FINGERPRINT_BYTES,
  type Fingerprint,
  fingerprintOf,
  startsAsBefore,
} from './file-identity.js';
import type { FileType } from './file-kind.js';
import {
  COMPRESSED_LIMIT,
  compressedLines,
  GzipError,
  gunzipWhole,
  TOO_LARGE_DECOMPRESSED,
} from './gzip.js';
import { type JsonRead, readJsonDocument, splitLargeArray, WHOLE_FILE_LIMIT } from './json.js';
import { listTree, parentOf } from './list-tree.js';
import { type LinesRead, type NdjsonChunk, NdjsonTail } from './ndjson.js';
import { OpenFile } from './open-file.js';
import type { FileIdentity, FileScanner, SourceBatch, SourceOptions } from './types.js';
import { badUtf8Reason, type InvalidValue, summarizeInvalid } from './validate-values.js';

/**
 * How long a `.json` file that does not parse, or a compressed file that does not decompress
 * to its end, must stay unchanged before it is broken.
 */
export const SETTLE_MS = 2000;

/**
 * A directory of log files as an Observable of batches. Files present at subscription are
 * read in order of modification time, then name; then (when following) the watcher reports
 * files that appear or grow, and each is read once its content is complete. Each file is
 * known by its identity (device, inode and first bytes, see {@link FileCursors}), so a file
 * renamed, rotated or replaced is read exactly once. `options.stop` ends a following source
 * as `--once` ends: the lines without their newline are read too, then it completes.
 * Unsubscribing closes the watcher, the timers and the open file.
 *
 * Which files are read is the {@link FileFilter}'s choice (`--include`, `--exclude`); with
 * `--recursive` the subdirectories are read too, at start and as they appear, each file named
 * by its path under the directory (`2026/12/app.ndjson`): the `file` of its batches and
 * problems, and the name its cursor is kept under. A directory where the first listing finds
 * nothing to read says so once (a `warning` of file `.`), naming what it looked for.
 *
 * A compressed file (`.gz`) is decompressed as it is read, never held whole (a `.json.gz`
 * is, decompressed, as a `.json` file is), and read once: when it has been read to its end it
 * is not read again while it is the same file (by its identity), only a notice says it
 * changed. One that ends before its compressed stream does is being written: its complete
 * lines are read, and it is looked at again once it has stopped changing, reported broken if
 * it is still cut short then (see {@link SETTLE_MS}).
 *
 * Symbolic links are never opened, at start and while following alike: a link to a log file
 * of the directory is another name of it, read once under its own name (silently); any other
 * link (out of the directory, to a directory, to another kind of file, to nothing) is
 * skipped with a notice that names the link, never its target. FIFOs, sockets and devices are
 * skipped with a notice, never opened for a blocking read.
 */
export function directorySource(dir: string, options: SourceOptions): Observable<SourceBatch> {
  const filter = new FileFilter(options);
  return new Observable<SourceBatch>((subscriber) => {
    const reader = new DirectoryReader(dir, options, filter, (batch) => subscriber.next(batch));
    const stop = options.stop?.subscribe(() => reader.stop());
    reader.run().then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error),
    );
    return () => {
      stop?.unsubscribe();
      reader.close();
    };
  });
}

class DirectoryReader {
  private readonly cursors: FileCursors;
  /** Names to read, in order. */
  private readonly queue = new Set<string>();
  /**
   * The `.json` names of {@link queue}, in the same order: {@link readAhead} looks at the
   * first few, where a look through the queue would pass over every other file first (over a
   * directory of NDJSON files, the whole queue for each file read).
   */
  private readonly queuedJson = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly ahead = new Map<string, Promise<JsonSnapshot>>();
  /** Names skipped with a notice, and why: told once until the reason changes. */
  private readonly skipped = new Map<string, string>();
  private readonly readers: FileScanner | undefined;
  private watcher: DirectoryWatcher | undefined;
  private root: string | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private stopping = false;
  private index: number;

  constructor(
    private readonly dir: string,
    private readonly options: SourceOptions,
    private readonly filter: FileFilter,
    private readonly emit: (batch: SourceBatch) => void,
  ) {
    this.readers = options.pool;
    this.cursors = options.cursors ?? new FileCursors();
    this.index = options.firstIndex ?? 0;
  }

  async run(): Promise<void> {
    this.root = await realpath(this.dir);
    if (this.options.follow) {
      this.watcher = await DirectoryWatcher.start(this.dir, this.filter, {
        onFile: (name) => this.enqueue(name),
        onDirectory: (removed) => {
          if (removed) this.warn('.', 'the directory was removed: waiting for it to come back');
          else {
            this.warn('.', 'the directory is back: reading it again');
            void this.enqueuePresent();
          }
        },
        onError: (reason) => this.warn('.', reason),
      });
    }
    // Files the watcher told of while the directory was listed come after the files listed,
    // which are in order of modification time (those among them included).
    const present = await this.filesPresent();
    const toldMeanwhile = [...this.queue];
    this.queue.clear();
    this.queuedJson.clear();
    for (const name of [...present.names, ...toldMeanwhile]) this.addToQueue(name);
    // Following, an empty directory is the usual start: it is told only when files or
    // subdirectories there were passed over, which is likely a mistaken option.
    if (this.queue.size === 0 && (!this.options.follow || present.passedOver)) {
      this.warn('.', present.nothingToRead);
    }
    while (!this.closed && !this.stopping) {
      const next = this.queue.values().next();
      if (next.done) {
        if (!this.options.follow && this.timers.size === 0) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      this.queue.delete(next.value);
      this.queuedJson.delete(next.value);
      this.readAhead();
      await this.betweenBatches();
      if (this.closed || this.stopping) break;
      await this.read(next.value);
    }
    // Closed while the watcher started: it was kept after close() had run.
    this.closeWatching();
    if (this.closed) return;
    if (!this.options.follow || !this.options.keepUnterminated) await this.readUnterminated();
  }

  /**
   * Awaited between two batches: the sink's backpressure, then one turn of the event loop.
   * Files read ahead are often scanned before their turn, and awaiting a settled promise
   * never leaves the microtask queue: without the turn, a run over many such files never let
   * a key, a signal or a redraw through until the last file (the dashboard ignored `q`).
   */
  private async betweenBatches(): Promise<void> {
    await this.options.ready?.();
    await nextTurn();
  }

  /** Ends following as `--once` ends: no more reads; the unterminated lines are read. */
  stop(): void {
    this.stopping = true;
    this.wakeUp();
  }

  close(): void {
    this.closed = true;
    this.closeWatching();
    this.ahead.clear();
    this.wakeUp();
  }

  private closeWatching(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.watcher?.close();
    this.watcher = undefined;
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private enqueue(name: string): void {
    if (this.closed || this.stopping) return;
    this.addToQueue(name);
    this.wakeUp();
  }

  private addToQueue(name: string): void {
    this.queue.add(name);
    const type = this.filter.typeOf(name);
    // A compressed one is read ahead only by a reader thread: decompressed, here, when its turn comes.
    if (type?.kind === 'json' && (!type.compressed || this.readers)) this.queuedJson.add(name);
  }

  private async enqueuePresent(): Promise<void> {
    try {
      for (const name of (await this.filesPresent()).names) this.enqueue(name);
    } catch (error) {
      this.warn('.', describeError(error));
    }
  }

  /**
   * The names to read now, in order of modification time, then name: the files the filter
   * accepts, and the symbolic links where subdirectories are entered (perhaps to a
   * directory: {@link skipLink} says so); the notice to give if there are none, and whether
   * files or subdirectories were passed over.
   */
  private async filesPresent(): Promise<{
    names: string[];
    nothingToRead: string;
    passedOver: boolean;
  }> {
    const listing = await listTree(this.dir, this.filter);
    const files: { name: string; mtime: number }[] = [];
    for (const name of [...listing.files, ...listing.otherLinks]) {
      try {
        files.push({ name, mtime: lstatSync(join(this.dir, name)).mtimeMs });
      } catch {
        // Removed between readdir and stat: nothing to read.
      }
    }
    files.sort((a, b) => a.mtime - b.mtime || compareText(a.name, b.name));
    const nothingToRead = this.filter.nothingToRead(
      listing.ignoredFiles,
      listing.subdirectoriesSkipped,
    );
    const passedOver = listing.ignoredFiles > 0 || listing.subdirectoriesSkipped;
    return { names: files.map((file) => file.name), nothingToRead, passedOver };
  }

  /**
   * Lines still without their newline at the end of input: each read on to its newline or
   * the file's end, as `--once` would read it now, and complete as it is then. A file no
   * longer there, or no longer the same, ends its line with what was read of it.
   */
  private async readUnterminated(): Promise<void> {
    for (const cursor of [...this.cursors.values()]) {
      const tail = cursor.tail;
      if (tail === undefined || !tail.unterminated) continue;
      cursor.tail = undefined;
      let handle: OpenFile | undefined;
      try {
        handle = OpenFile.open(join(this.dir, cursor.name));
        const stats = handle.stat();
        const same = stats.isFile() && stats.dev === cursor.dev && stats.ino === cursor.ino;
        if (same && stats.size >= tail.bytesRead) {
          for await (const chunk of tail.finishLine(handle, stats.size)) {
            this.emitNdjson(cursor, chunk);
          }
        }
      } catch {
        // Gone or unreadable now: the line is what was read of it.
      } finally {
        handle?.close();
      }
      for (const chunk of tail.finish()) this.emitNdjson(cursor, chunk);
    }
  }

  /**
   * Starts reading the next few queued `.json` files while the current one is processed
   * (on reader threads when there are), so the disk, the parsing and the operators overlap
   * instead of taking turns.
   */
  private readAhead(): void {
    let started = 0;
    for (const name of this.queuedJson) {
      if (started === READ_AHEAD_FILES) return;
      started += 1;
      if (this.ahead.has(name)) continue;
      const pending = this.fetchJson(name, this.cursors.named(name)?.consumed ?? 0);
      pending.catch(() => {}); // Reported when the file's turn comes, not before.
      this.ahead.set(name, pending);
    }
  }

  private async read(name: string): Promise<void> {
    const ahead = this.ahead.get(name);
    this.ahead.delete(name);
    let handle: OpenFile | undefined;
    try {
      handle = await this.openLogFile(name);
      if (handle === undefined) return;
      const stats = handle.stat();
      if (!stats.isFile()) return this.skip(name, NOT_REGULAR);
      this.skipped.delete(name);
      const type = this.filter.typeOf(name);
      if (type === undefined) return; // A name told only in case it was a link.
      // Being written (see readCompressed): looked at again when its timer says, not before.
      if (type.compressed && this.timers.has(name)) return;
      // A read ahead that failed (the file gone, or a link then) is done again, and reported.
      const early = await ahead?.catch(() => undefined);
      // One of this very file (same inode, size and time) fingerprinted what it read: taken
      // instead of reading the file's first and last bytes again here.
      const identity =
        early?.identity &&
        early.identity.dev === stats.dev &&
        early.identity.ino === stats.ino &&
        signatureOf(early) === signatureOf(stats)
          ? early.identity
          : undefined;
      const cursor = this.cursorFor(name, type, handle, stats, identity?.fingerprint);
      if (type.compressed) await this.readCompressed(cursor, handle, stats, early);
      else if (type.kind === 'json') await this.readJson(cursor, handle, stats, early);
      else await this.readNdjson(this.kept(cursor), handle, stats);
    } catch (error) {
      if (this.closed) return; // Unsubscribed while reading: nothing to report.
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'ENOENT') return;
      // Replaced by a symbolic link between lstat and open: looked at again, as a link.
      if (code === 'ELOOP') return this.enqueue(name);
      this.broken(name, describeError(error));
    } finally {
      handle?.close();
    }
  }

  /**
   * Opens `name` for reading: never through a symbolic link (see {@link skipLink}), never
   * anything but a regular file, and without blocking should it become a FIFO meanwhile;
   * `undefined` when it is skipped.
   */
  private async openLogFile(name: string): Promise<OpenFile | undefined> {
    const path = join(this.dir, name);
    // The open refuses a link only as the last part of the path: a subdirectory of the path
    // replaced by a link since it was listed would be gone through. Its link is looked at
    // where it is (a link to a directory: skipped with a notice); this name is passed over.
    const parent = parentOf(name);
    if (parent !== '' && realpathSync(join(this.dir, parent)) !== join(this.root!, parent)) {
      return undefined;
    }
    const entry = lstatSync(path);
    if (entry.isSymbolicLink()) return this.skipLink(name, path);
    // A directory named like a log file: entered (by the listing and the watcher) or not, as
    // subdirectories are, never a file to read.
    if (entry.isDirectory()) return undefined;
    if (!entry.isFile()) return this.skip(name, NOT_REGULAR);
    return OpenFile.open(path);
  }

  /**
   * A symbolic link is not read: one to a log file of this directory (or, with `--recursive`,
   * of its tree) names a file read under its own name (the link adds nothing, so it is passed
   * over silently); one to a directory is never entered; any other is skipped with a notice.
   * The notice never names the target: that is outside what was asked for.
   */
  private async skipLink(name: string, path: string): Promise<undefined> {
    // Where subdirectories are entered, any link is looked at, for one to a directory; a
    // link not named as a file to read is passed over silently otherwise, as any such file.
    const named = this.filter.accepts(name);
    const target = await realpath(path).catch(() => undefined);
    if (target === undefined)
      return named ? this.skip(name, 'a symbolic link to nothing') : undefined;
    if ((await lstat(target).catch(() => undefined))?.isDirectory()) {
      return this.skip(name, 'a symbolic link to a directory: not followed');
    }
    if (!named) return undefined;
    const inside = pathInside(this.root!, target, this.filter.recursive);
    if (inside === undefined) {
      return this.skip(name, 'a symbolic link out of the directory: not followed');
    }
    if (!this.isRead(inside)) {
      return this.skip(name, 'a symbolic link to a file that is not a log file: not followed');
    }
    this.skipped.delete(name);
    return undefined;
  }

  /** Whether the file at `path` (under the source) is read: accepted, in a directory entered. */
  private isRead(path: string): boolean {
    if (!this.filter.accepts(path)) return false;
    for (let parent = parentOf(path); parent !== ''; parent = parentOf(parent)) {
      if (!this.filter.enters(parent)) return false;
    }
    return true;
  }

  /**
   * The cursor of the open file: the one of its inode when it still starts as it did (the same
   * file, perhaps renamed or grown); for a `.json` file, the one of its name when the file
   * under it still starts as that one did (a longer version of it, written atomically); else
   * a fresh cursor at its start, not kept yet ({@link kept} keeps it).
   */
  private cursorFor(
    name: string,
    type: FileType,
    handle: OpenFile,
    stats: Stats,
    /** The fingerprint of the file as it is now, when known already. */
    fingerprintNow?: Fingerprint,
  ): FileCursor {
    const known = this.cursors.at(stats.dev, stats.ino);
    if (
      known?.kind === type.kind &&
      known.compressed === type.compressed &&
      startsAsBefore(handle, stats.size, known.fingerprint)
    ) {
      if (known.name !== name) this.cursors.move(known, name, stats.dev, stats.ino);
      this.growFingerprint(known, handle, stats.size);
      return known;
    }
    // A compressed file replaced by another is a new file, read from its start.
    const named = type.kind === 'json' && !type.compressed ? this.cursors.named(name) : undefined;
    if (
      named?.kind === 'json' &&
      !named.compressed &&
      named !== known &&
      startsAsBefore(handle, stats.size, named.fingerprint)
    ) {
      this.cursors.move(named, name, stats.dev, stats.ino);
      this.growFingerprint(named, handle, stats.size);
      return named;
    }
    const fingerprint = fingerprintNow ?? fingerprintOf(handle, stats.size, type);
    return FileCursors.fresh(name, type, stats.dev, stats.ino, fingerprint);
  }

  /**
   * `cursor`, kept if it was fresh, with a notice when it takes the place of the file read
   * before under the same inode and name (rewritten in place, copytruncate).
   */
  private kept(cursor: FileCursor): FileCursor {
    if (this.cursors.has(cursor)) return cursor;
    const before = this.cursors.at(cursor.dev, cursor.ino);
    if (before?.name === cursor.name && (before.offset > 0 || before.consumed > 0)) {
      this.warn(cursor.name, 'truncated or rewritten: read again from the start');
    }
    this.cursors.keep(cursor);
    return cursor;
  }

  /** A file fingerprinted while short gets the fingerprint of its first bytes once it has them. */
  private growFingerprint(cursor: FileCursor, handle: OpenFile, size: number): void {
    if (cursor.fingerprint.bytes < FINGERPRINT_BYTES && size > cursor.fingerprint.bytes) {
      cursor.fingerprint = fingerprintOf(handle, size, cursor);
    }
  }

  /**
   * A `.json` file read ahead of its turn: its size and time, and its bytes or, on a reader
   * thread, its events from element `first` on.
   */
  private async fetchJson(name: string, first: number): Promise<JsonSnapshot> {
    const path = join(this.dir, name);
    if (this.readers) {
      // The reader thread opens it as the reader here does (no link, no blocking on a FIFO)
      // and refuses anything but a regular file: the read is then done again, here.
      const { size, mtimeMs, identity, read } = await this.readers.scan(
        path,
        first,
        this.options.fields,
      );
      return { size, mtimeMs, identity, scanned: read && { first, read } };
    }
    const handle = OpenFile.open(path);
    try {
      return await snapshotOf(handle);
    } finally {
      handle.close();
    }
  }

  private async readJson(
    cursor: FileCursor,
    handle: OpenFile,
    stats: Stats,
    ahead: JsonSnapshot | undefined,
  ): Promise<void> {
    const signature = signatureOf(stats);
    if (cursor.signature === signature) return;
    if (stats.size > WHOLE_FILE_LIMIT) {
      return this.readLargeJson(this.kept(cursor), handle, stats, signature);
    }
    const name = cursor.name;
    let file = ahead;
    // Read ahead before its turn: use it only if it is still the file as it is now.
    if (file === undefined || signatureOf(file) !== signature) {
      file = await snapshotOf(handle);
      // Changed since `stats`, on which its identity was decided (a rewrite in place caught
      // empty, then read whole): look at it again once the writer is done.
      if (signatureOf(file) !== signature) return this.recheckLater(name, RECHECK_CHANGED_MS);
    }
    // The pool is shared, so closing does not cancel its scans: one may end after close.
    if (this.closed) return;

    let bytes = file.bytes;
    const readFrom = async (first: number) => {
      if (file.scanned?.first === first) return file.scanned.read;
      bytes ??= await handle.readFile();
      return readJsonDocument(bytes, first, Date.now, this.options.fields);
    };
    let document = await readFrom(cursor.consumed);
    if (!document.ok) {
      // A file still being written does not parse yet: it is broken only once it has stopped
      // changing for SETTLE_MS and still does not parse.
      if (this.recheckUnsettled(name, stats.mtimeMs)) return;
      this.kept(cursor).signature = signature;
      return this.broken(name, document.reason);
    }
    this.kept(cursor).signature = signature;
    if (document.badUtf8) this.warn(name, badUtf8Reason());
    if (document.count < cursor.consumed) {
      this.warn(name, 'rewritten with fewer events than were read: read again from the start');
      document = await readFrom(0);
    }
    if (!document.ok) return;
    for (const part of document.parts) this.emitBatch(name, part.batch, part.invalid);
    cursor.consumed = document.count;
  }

  private async readLargeJson(
    cursor: FileCursor,
    handle: OpenFile,
    stats: Stats,
    signature: string,
  ): Promise<void> {
    cursor.signature = signature;
    // Too large to parse whole, so its complete elements are read even while it is being
    // written; `consumed` keeps them from being read twice when it grows.
    for await (const part of splitLargeArray(
      handle,
      stats.size,
      cursor.consumed,
      this.options.fields,
    )) {
      if ('error' in part) {
        if (!this.recheckUnsettled(cursor.name, stats.mtimeMs)) {
          return this.broken(cursor.name, part.error);
        }
        cursor.signature = null;
        return;
      }
      cursor.consumed = Math.max(cursor.consumed, part.next);
      this.emitBatch(
        cursor.name,
        EventBatch.fromParsed(part.collector.events),
        part.collector.invalid,
      );
      await this.betweenBatches();
      if (this.closed || this.stopping) return;
    }
  }

  /**
   * A compressed file: read once, to its end. Unchanged since, it is passed over; changed but
   * still the same file (by its identity: appended to, touched), it is not read again, with a
   * notice once. One that does not decompress to its end yet is being written: its complete
   * lines are read (NDJSON), and it is looked at again once it has been unchanged for
   * {@link SETTLE_MS} (not at each of its writes: each look decompresses it from its start),
   * broken if it still does not decompress then.
   */
  private async readCompressed(
    cursor: FileCursor,
    handle: OpenFile,
    stats: Stats,
    ahead: JsonSnapshot | undefined,
  ): Promise<void> {
    const signature = signatureOf(stats);
    const state = cursor.signature;
    if (state === signature || state === `${BROKEN}${signature}` || state === CHANGED) return;
    if (state !== null && !state.startsWith(BROKEN)) {
      cursor.signature = CHANGED;
      return this.warn(
        cursor.name,
        'changed after it was read: a compressed file is read once (a new file in its place is read)',
      );
    }
    const failure =
      cursor.kind === 'json'
        ? await this.readCompressedJson(cursor, handle, stats, signature, ahead)
        : await this.readCompressedNdjson(cursor, handle, stats);
    if (this.closed || this.stopping || failure === 'changed') return;
    if (failure !== undefined) {
      if (failure !== TOO_LARGE_DECOMPRESSED && this.recheckUnsettled(cursor.name, stats.mtimeMs)) {
        return;
      }
      // Read again should it change (written on, at last), as a `.json` file that did not parse.
      this.kept(cursor).signature = `${BROKEN}${signature}`;
      return this.broken(cursor.name, failure);
    }
    this.kept(cursor).signature = signature;
  }

  /**
   * Reads a compressed NDJSON file from the line after the last one read; the reason it
   * could not be read to its end, if so.
   */
  private async readCompressedNdjson(
    cursor: FileCursor,
    handle: OpenFile,
    stats: Stats,
  ): Promise<string | undefined> {
    this.kept(cursor);
    try {
      for await (const chunk of compressedLines(handle, stats.size, cursor, this.options.fields)) {
        this.emitNdjson(cursor, chunk);
        await this.betweenBatches();
        if (this.closed || this.stopping) return undefined;
      }
    } catch (error) {
      if (error instanceof GzipError) return error.message;
      throw error;
    }
    return undefined;
  }

  /**
   * Reads a compressed `.json` file, decompressed whole (on a reader thread, when it was read
   * ahead there); the reason it could not be read, if so, or `changed` when it changed while
   * it was read (it is looked at again).
   */
  private async readCompressedJson(
    cursor: FileCursor,
    handle: OpenFile,
    stats: Stats,
    signature: string,
    ahead: JsonSnapshot | undefined,
  ): Promise<string | 'changed' | undefined> {
    let file = ahead;
    let document: JsonRead;
    if (file?.scanned?.first === 0 && signatureOf(file) === signature) {
      document = file.scanned.read;
    } else {
      if (stats.size > COMPRESSED_LIMIT) return TOO_LARGE_DECOMPRESSED;
      file = { size: stats.size, mtimeMs: stats.mtimeMs, bytes: await handle.readFile() };
      if (file.bytes?.length !== stats.size) {
        this.recheckLater(cursor.name, RECHECK_CHANGED_MS);
        return 'changed';
      }
      const content = await gunzipWhole(file.bytes);
      if (!content.ok) return content.reason;
      document = readJsonDocument(content.bytes, 0, Date.now, this.options.fields);
    }
    if (this.closed) return undefined;
    if (!document.ok) return document.reason;
    if (document.badUtf8) this.warn(cursor.name, badUtf8Reason());
    this.kept(cursor);
    for (const part of document.parts) this.emitBatch(cursor.name, part.batch, part.invalid);
    cursor.consumed = document.count;
    return undefined;
  }

  private async readNdjson(cursor: FileCursor, handle: OpenFile, stats: Stats): Promise<void> {
    if (stats.size < cursor.offset) {
      this.warn(cursor.name, 'truncated: read again from the start');
      cursor.offset = 0;
      cursor.lines = 0;
      cursor.tail = undefined;
    }
    // Cut inside the line without its newline: that line is read again from its start.
    if (cursor.tail !== undefined && stats.size < cursor.tail.bytesRead) cursor.tail = undefined;
    const tail = cursor.tail ?? new NdjsonTail(cursor, this.options.fields);
    if (stats.size === tail.bytesRead) return;
    cursor.tail = tail;
    for await (const chunk of tail.read(handle, stats.size, !this.options.follow)) {
      this.emitNdjson(cursor, chunk);
      await this.betweenBatches();
      if (this.closed || this.stopping) break;
    }
    if (!tail.unterminated && !this.closed) cursor.tail = undefined;
  }

  private emitNdjson(cursor: FileCursor, chunk: NdjsonChunk & LinesRead): void {
    cursor.offset = chunk.offset;
    cursor.lines = chunk.lines;
    if (chunk.badUtf8Lines.length > 0) this.warn(cursor.name, badUtf8Reason(chunk.badUtf8Lines));
    this.emitBatch(cursor.name, chunk.batch, chunk.invalid);
  }

  private emitBatch(file: string, batch: EventBatch, invalid: readonly InvalidValue[]): void {
    for (const summary of summarizeInvalid(invalid)) {
      this.options.onProblem({ kind: 'invalid', file, ...summary });
    }
    if (batch.length === 0) return;
    this.index += 1;
    this.emit({ index: this.index, file, batch, invalid: invalid.length });
  }

  /**
   * Whether the file, last changed at `mtimeMs`, has changed within {@link SETTLE_MS}: then it
   * is looked at again once it has been unchanged that long.
   */
  private recheckUnsettled(name: string, mtimeMs: number): boolean {
    const age = Date.now() - mtimeMs;
    if (age >= SETTLE_MS) return false;
    this.recheckLater(name, SETTLE_MS - age + 50);
    return true;
  }

  private recheckLater(name: string, delayMs: number): void {
    clearTimeout(this.timers.get(name));
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        this.enqueue(name);
      }, delayMs),
    );
  }

  /** Skips `name` with a notice, told once until the reason changes. */
  private skip(name: string, reason: string): undefined {
    if (this.skipped.get(name) !== reason) {
      this.skipped.set(name, reason);
      this.warn(name, `skipped: ${reason}`);
    }
    return undefined;
  }

  private broken(file: string, reason: string): void {
    this.options.onProblem({ kind: 'broken', file, reason, count: 0 });
  }

  private warn(file: string, reason: string): void {
    this.options.onProblem({ kind: 'warning', file, reason, count: 0 });
  }
}

const NOT_REGULAR = 'not a regular file (a FIFO, socket or device)';

/**
 * The {@link FileCursor.signature} of a compressed file reported broken at the signature that
 * follows (read again when it changes), and of one that changed after it was read whole (told
 * once, never read again while it is the same file).
 */
const BROKEN = 'broken ';
const CHANGED = 'changed';

/** How soon a file that changed while it was being looked at is looked at again. */
const RECHECK_CHANGED_MS = 50;

/** `.json` files read ahead of the one being processed. */
const READ_AHEAD_FILES = 16;

/**
 * A `.json` file as fetched: its size and time, and for a file small enough to be parsed
 * whole, its bytes, or its events already scanned from element `first` on a reader thread.
 */
interface JsonSnapshot {
  readonly size: number;
  readonly mtimeMs: number;
  /** What a reader thread read, for the fresh cursor's fingerprint. */
  readonly identity?: FileIdentity;
  readonly bytes?: Buffer;
  readonly scanned?: { readonly first: number; readonly read: JsonRead } | undefined;
}

/**
 * The open `.json` file's size and time, and its bytes when it is a regular file small enough
 * to be parsed whole.
 */
async function snapshotOf(handle: OpenFile): Promise<JsonSnapshot> {
  const stats = handle.stat();
  const snapshot = { size: stats.size, mtimeMs: stats.mtimeMs };
  if (!stats.isFile() || stats.size > WHOLE_FILE_LIMIT) return snapshot;
  const bytes = await handle.readFile();
  // The size of what was read: a file written between the stat and the read then differs
  // from the size its identity was decided on, and is looked at again.
  return { ...snapshot, size: bytes.length, bytes };
}

/** What tells two looks at a `.json` file apart: its size and modification time. */
function signatureOf(file: { readonly size: number; readonly mtimeMs: number }): string {
  return `${file.size}:${file.mtimeMs}`;
}

/**
 * The path of `path` under the directory `root`, `/`-separated, when it is an entry of it
 * (or, with `recursive`, of any of its subdirectories); `undefined` when it is not.
 */
function pathInside(root: string, path: string, recursive: boolean): string | undefined {
  const inside = relative(root, path);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`)) return undefined;
  if (!recursive && inside.includes(sep)) return undefined;
  return inside.split(sep).join('/');
}

function describeError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return message;
}
