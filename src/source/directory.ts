import { type Stats, statSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { Observable } from 'rxjs';
import { EventBatch } from '../../operators/batch.js';
import { compareText } from '../../operators/records.js';
import { type JsonRead, readJsonDocument, splitLargeArray, WHOLE_FILE_LIMIT } from './json.js';
import { readNdjsonLines } from './ndjson.js';
import type { FileScanner, SourceBatch, SourceOptions } from './types.js';
import { badUtf8Reason, type InvalidValue, summarizeInvalid } from './validate-values.js';

/** How long a `.json` file that does not parse must stay unchanged before it is broken. */
export const SETTLE_MS = 2000;

/**
 * chokidar drops (does not delay) the changes of a file that come within 50 ms of the last
 * one it reported, so each reported change is followed by one more look this much later:
 * a write in that window is read then instead of waiting for the file's next change.
 */
export const CHANGE_RECHECK_MS = 100;

type FileKind = 'json' | 'ndjson';

/** The kind of a log file by its extension; other files are ignored. */
export function fileKind(path: string): FileKind | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  return undefined;
}

interface JsonState {
  readonly kind: 'json';
  /** Array elements already read: a growing array is read from here on. */
  consumed: number;
  /** Size and mtime when last read or reported, to skip unchanged files. */
  signature: string | null;
}

interface NdjsonState {
  readonly kind: 'ndjson';
  offset: number;
  lines: number;
  /** The file read so far: another inode under the name is a new file (log rotation). */
  inode: number;
}

/**
 * A directory of log files as an Observable of batches. Files present at subscription are
 * read in order of modification time, then name; then (when following) chokidar reports
 * files that appear or grow, and each is read once its content is complete. Unsubscribing
 * closes the watcher, the timers and the open file.
 */
export function directorySource(dir: string, options: SourceOptions): Observable<SourceBatch> {
  return new Observable<SourceBatch>((subscriber) => {
    const reader = new DirectoryReader(dir, options, (batch) => subscriber.next(batch));
    reader.run().then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error),
    );
    return () => reader.close();
  });
}

class DirectoryReader {
  private readonly files = new Map<string, JsonState | NdjsonState>();
  private readonly queue = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly ahead = new Map<string, Promise<JsonSnapshot>>();
  private readonly readers: FileScanner | undefined;
  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private index = 0;

  constructor(
    private readonly dir: string,
    private readonly options: SourceOptions,
    private readonly emit: (batch: SourceBatch) => void,
  ) {
    this.readers = options.pool;
  }

  async run(): Promise<void> {
    if (this.options.follow) await this.startWatcher();
    for (const name of await this.filesPresent()) this.queue.add(name);
    while (!this.closed) {
      const next = this.queue.values().next();
      if (next.done) {
        if (!this.options.follow && this.timers.size === 0) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      this.queue.delete(next.value);
      this.readAhead();
      await this.options.ready?.();
      if (this.closed) return;
      await this.read(next.value);
    }
  }

  close(): void {
    this.closed = true;
    for (const timer of [...this.timers.values(), ...this.rechecks.values()]) clearTimeout(timer);
    this.timers.clear();
    this.rechecks.clear();
    this.ahead.clear();
    void this.watcher?.close();
    this.wake?.();
  }

  private enqueue(name: string): void {
    if (this.closed) return;
    this.queue.add(name);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async startWatcher(): Promise<void> {
    const watcher = watch(this.dir, {
      depth: 0,
      ignoreInitial: true,
      ignored: (path: string, stats?: Stats) =>
        stats?.isFile() === true && fileKind(path) === undefined,
    });
    this.watcher = watcher;
    const onFile = (path: string) => {
      if (this.closed || fileKind(path) === undefined) return;
      const name = basename(path);
      this.enqueue(name);
      clearTimeout(this.rechecks.get(name));
      this.rechecks.set(
        name,
        setTimeout(() => {
          this.rechecks.delete(name);
          this.enqueue(name);
        }, CHANGE_RECHECK_MS),
      );
    };
    watcher.on('add', onFile).on('change', onFile);
    watcher.on('error', (error) =>
      this.warn(this.dir, `watching failed: ${(error as Error).message}`),
    );
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
  }

  private async filesPresent(): Promise<string[]> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    const files: { name: string; mtime: number }[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || fileKind(entry.name) === undefined) continue;
      try {
        files.push({ name: entry.name, mtime: statSync(join(this.dir, entry.name)).mtimeMs });
      } catch {
        // Removed between readdir and stat: nothing to read.
      }
    }
    files.sort((a, b) => a.mtime - b.mtime || compareText(a.name, b.name));
    return files.map((file) => file.name);
  }

  /**
   * Starts reading the next few queued `.json` files while the current one is processed
   * (on reader threads when there are), so the disk, the parsing and the operators overlap
   * instead of taking turns.
   */
  private readAhead(): void {
    let started = 0;
    for (const name of this.queue) {
      if (started === READ_AHEAD_FILES) return;
      if (fileKind(name) !== 'json') continue;
      started += 1;
      if (this.ahead.has(name)) continue;
      const pending = this.fetchJson(name);
      pending.catch(() => {}); // Reported when the file's turn comes, not before.
      this.ahead.set(name, pending);
    }
  }

  private async read(name: string): Promise<void> {
    const path = join(this.dir, name);
    const ahead = this.ahead.get(name);
    this.ahead.delete(name);
    try {
      if (fileKind(name) === 'json') {
        const file = await (ahead ?? this.fetchJson(name));
        // The pool is shared, so closing does not cancel its scans: one may end after close.
        if (this.closed) return;
        await this.readJson(name, path, file);
      } else await this.readNdjson(name, path, await stat(path));
    } catch (error) {
      if (this.closed) return; // Unsubscribed while reading: nothing to report.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.files.delete(name);
      else this.broken(name, describeError(error));
    }
  }

  /** A `.json` file's size and time, and its bytes or, on a reader thread, its events. */
  private async fetchJson(name: string): Promise<JsonSnapshot> {
    const path = join(this.dir, name);
    const first = this.jsonState(name).consumed;
    if (this.readers) {
      const { size, mtimeMs, read } = await this.readers.scan(path, first);
      return { size, mtimeMs, isFile: true, scanned: read && { first, read } };
    }
    const stats = await stat(path);
    const snapshot = { size: stats.size, mtimeMs: stats.mtimeMs, isFile: stats.isFile() };
    if (!snapshot.isFile || stats.size > WHOLE_FILE_LIMIT) return snapshot;
    return { ...snapshot, bytes: await readFile(path) };
  }

  private async readJson(name: string, path: string, file: JsonSnapshot): Promise<void> {
    if (!file.isFile) return;
    const state = this.jsonState(name);
    const signature = `${file.size}:${file.mtimeMs}`;
    if (state.signature === signature) return;
    if (file.size > WHOLE_FILE_LIMIT) return this.readLargeJson(name, path, file, state, signature);

    let bytes = file.bytes;
    const readFrom = async (first: number) => {
      if (file.scanned?.first === first) return file.scanned.read;
      bytes ??= await readFile(path);
      return readJsonDocument(bytes, first);
    };
    let document = await readFrom(state.consumed);
    if (!document.ok) {
      // A file still being written does not parse yet: it is broken only once it has stopped
      // changing for SETTLE_MS and still does not parse.
      const age = Date.now() - file.mtimeMs;
      if (age < SETTLE_MS) return this.recheckLater(name, SETTLE_MS - age + 50);
      state.signature = signature;
      return this.broken(name, document.reason);
    }
    state.signature = signature;
    if (document.badUtf8) this.warn(name, badUtf8Reason());
    if (document.count < state.consumed) {
      this.warn(name, 'rewritten with fewer events than were read: read again from the start');
      document = await readFrom(0);
    }
    if (!document.ok) return;
    for (const part of document.parts) this.emitBatch(name, part.batch, part.invalid);
    state.consumed = document.count;
  }

  private async readLargeJson(
    name: string,
    path: string,
    stats: FileTimes,
    state: JsonState,
    signature: string,
  ): Promise<void> {
    state.signature = signature;
    const handle = await open(path, 'r');
    try {
      // Too large to parse whole, so its complete elements are read even while it is being
      // written; `consumed` keeps them from being read twice when it grows.
      for await (const part of splitLargeArray(handle, stats.size, state.consumed)) {
        if ('error' in part) {
          const age = Date.now() - stats.mtimeMs;
          if (age >= SETTLE_MS) return this.broken(name, part.error);
          state.signature = null;
          return this.recheckLater(name, SETTLE_MS - age + 50);
        }
        state.consumed = Math.max(state.consumed, part.next);
        this.emitBatch(name, EventBatch.fromParsed(part.collector.events), part.collector.invalid);
        await this.options.ready?.();
        if (this.closed) return;
      }
    } finally {
      await handle.close();
    }
  }

  private async readNdjson(name: string, path: string, stats: Stats): Promise<void> {
    const state = this.ndjsonState(name);
    if (stats.ino !== state.inode) {
      state.inode = stats.ino;
      state.offset = 0;
      state.lines = 0;
    }
    if (stats.size < state.offset) {
      this.warn(name, 'truncated: read again from the start');
      state.offset = 0;
      state.lines = 0;
    }
    if (stats.size === state.offset) return;
    const handle = await open(path, 'r');
    try {
      for await (const chunk of readNdjsonLines(handle, state, stats.size, !this.options.follow)) {
        state.offset = chunk.offset;
        state.lines = chunk.lines;
        if (chunk.badUtf8Lines.length > 0) this.warn(name, badUtf8Reason(chunk.badUtf8Lines));
        this.emitBatch(name, chunk.batch, chunk.invalid);
        await this.options.ready?.();
        if (this.closed) return;
      }
    } finally {
      await handle.close();
    }
  }

  private emitBatch(file: string, batch: EventBatch, invalid: readonly InvalidValue[]): void {
    for (const { reason, count } of summarizeInvalid(invalid)) {
      this.options.onProblem({ kind: 'invalid', file, reason, count });
    }
    if (batch.length === 0) return;
    this.index += 1;
    this.emit({ index: this.index, file, batch, invalid: invalid.length });
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

  private jsonState(name: string): JsonState {
    let state = this.files.get(name);
    if (state?.kind !== 'json') {
      state = { kind: 'json', consumed: 0, signature: null };
      this.files.set(name, state);
    }
    return state;
  }

  private ndjsonState(name: string): NdjsonState {
    let state = this.files.get(name);
    if (state?.kind !== 'ndjson') {
      state = { kind: 'ndjson', offset: 0, lines: 0, inode: -1 };
      this.files.set(name, state);
    }
    return state;
  }

  private broken(file: string, reason: string): void {
    this.options.onProblem({ kind: 'broken', file, reason, count: 0 });
  }

  private warn(file: string, reason: string): void {
    this.options.onProblem({ kind: 'warning', file, reason, count: 0 });
  }
}

/** `.json` files read ahead of the one being processed. */
const READ_AHEAD_FILES = 4;

type FileTimes = Pick<Stats, 'size' | 'mtimeMs'>;

/**
 * A `.json` file as fetched: its size and time, and for a file small enough to be parsed
 * whole, its bytes, or its events already scanned from element `first` on a reader thread.
 */
interface JsonSnapshot extends FileTimes {
  readonly isFile: boolean;
  readonly bytes?: Buffer;
  readonly scanned?: { readonly first: number; readonly read: JsonRead } | undefined;
}

function describeError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return message;
}
