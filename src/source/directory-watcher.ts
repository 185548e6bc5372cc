import { type FSWatcher, watch } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isUnder, listTree, type TreeListing, type TreeNames } from './list-tree.js';

/** How often a removed directory is looked for again. */
export const REAPPEAR_POLL_MS = 250;

/**
 * How soon after a change the directory's names are listed again, and the least time between
 * two listings. The kernel's queue of changes is bounded (inotify drops what does not fit in
 * its 16,384 events, without a word), so a burst of new files may go untold: the listing
 * finds them. It runs only after changes, so a quiet directory costs nothing.
 */
export const RELIST_MS = 1000;

export interface DirectoryWatcherEvents {
  /**
   * A file of the directory appeared or changed: its path relative to the directory,
   * `/`-separated (`2026/12/app.ndjson` in a subdirectory).
   */
  readonly onFile: (name: string) => void;
  /** The directory was removed (true), or is back after a removal (false). */
  readonly onDirectory: (removed: boolean) => void;
  /** Watching failed for another reason; the watcher goes on if it can. */
  readonly onError: (reason: string) => void;
}

/**
 * The watcher part of the directory source: one watch of the directory itself (Node's
 * `fs.watch`: inotify, FSEvents or ReadDirectoryChangesW), which tells of every file that
 * appears, changes or is renamed in it, whatever their number; and, for a source read with
 * `--recursive`, one more watch of each subdirectory entered (`names.enters`), set as it
 * appears. Never through symbolic links (the reader decides what a name is). chokidar, used
 * before, watched every file on its own and listed and stat-ed the whole directory on every
 * change: following 100,000 files took 2.6 times the memory of reading them once. Node's
 * `recursive` watch is not used: on Linux (Node 20) it is a walk of the tree in JavaScript
 * that has missed the files of a directory created after the start.
 *
 * A change is told as it comes (the reader coalesces names already queued). After changes,
 * the tree is listed again once ({@link RELIST_MS}), and names never told before are told:
 * what a full kernel queue dropped, and the files of a subdirectory whose own creation went
 * untold; subdirectories found then are watched, those gone are no longer. A change to a
 * subdirectory's entry (created, removed, renamed) watches it afresh and tells its files: a
 * directory removed and created again under the same name is watched as the new one. When
 * the directory itself is removed it says so, looks for it every {@link REAPPEAR_POLL_MS},
 * and once it is back says so and watches it again: the reader then looks at every file in it.
 *
 * The watches do not keep the process alive; a timer of its own does, until {@link close}.
 */
export class DirectoryWatcher {
  /** The watch of each directory by its path relative to the source (`''`: the source). */
  private readonly watchers = new Map<string, FSWatcher>();
  private poll: NodeJS.Timeout | undefined;
  private relist: NodeJS.Timeout | undefined;
  private lastListing = 0;
  /** A listing is being read; a change meanwhile may not be in it. */
  private listing = false;
  private changedWhileListing = false;
  /** Every name told so far (or listed): a listing tells only the others. */
  private readonly told = new Set<string>();
  private readonly keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  /**
   * Why subdirectories could not be watched (the error codes), each told once: a tree past
   * the system's limit of watches would otherwise give a line per directory.
   */
  private readonly unwatchable = new Set<string>();
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly names: TreeNames,
    private readonly events: DirectoryWatcherEvents,
  ) {}

  /**
   * Starts watching `dir` (and the subdirectories `names` enters); resolves once the watches
   * are set and the names present are known (they are not told: the reader lists the
   * directory itself).
   */
  static async start(
    dir: string,
    names: TreeNames,
    events: DirectoryWatcherEvents,
  ): Promise<DirectoryWatcher> {
    const watcher = new DirectoryWatcher(dir, names, events);
    try {
      watcher.watch('');
      for (const name of await watcher.list()) watcher.told.add(name);
    } catch (error) {
      watcher.close();
      throw error;
    }
    return watcher;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.keepAlive);
    clearTimeout(this.poll);
    clearTimeout(this.relist);
    this.closeWatches();
  }

  private closeWatches(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /**
   * Watches the directory at `prefix` (`''`: the source). The source failing to be watched
   * throws; a subdirectory failing is told as an error (once for each reason), and watched
   * again at the next listing.
   */
  private watch(prefix: string): void {
    this.watchers.get(prefix)?.close();
    this.watchers.delete(prefix);
    let watcher: FSWatcher;
    try {
      watcher = watch(join(this.dir, prefix), { persistent: false }, (_, name) => {
        if (this.watchers.get(prefix) !== watcher) return;
        // A name the kernel did not give (some platforms, or a dropped event): list to find it.
        if (name === null) this.listSoon();
        else this.changed(prefix === '' ? name : `${prefix}/${name}`);
      });
    } catch (error) {
      if (prefix === '') throw error;
      const { code = 'unknown', message } = error as NodeJS.ErrnoException;
      // Gone already: the listing that comes after its removal forgets it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && !this.unwatchable.has(code)) {
        this.unwatchable.add(code);
        this.events.onError(
          `watching subdirectory ${prefix} failed: ${message} (its files are found when the directory is listed again after a change)`,
        );
      }
      return;
    }
    watcher.on('error', (error: NodeJS.ErrnoException) => {
      if (this.watchers.get(prefix) !== watcher || this.closed) return;
      if (prefix !== '') {
        // A subdirectory removed: listing again forgets it, or watches it again if it is back.
        this.unwatch(prefix);
        this.listSoon();
        return;
      }
      // The watched directory is gone (Windows reports it so, Linux by a change and silence).
      void this.present().then((present) => {
        if (!present) this.removed();
        else this.events.onError(`watching failed: ${error.message}`);
      });
    });
    this.watchers.set(prefix, watcher);
  }

  /** Stops watching the subdirectory at `prefix` and those under it, and forgets their names. */
  private unwatch(prefix: string): void {
    for (const [path, watcher] of this.watchers) {
      if (path === '' || !isUnder(path, prefix)) continue;
      watcher.close();
      this.watchers.delete(path);
    }
    for (const name of this.told) if (isUnder(name, prefix)) this.told.delete(name);
  }

  private changed(name: string): void {
    if (this.closed) return;
    if (this.names.accepts(name)) {
      this.told.add(name);
      this.events.onFile(name);
    } else if (this.names.enters(name)) {
      void this.lookAt(name);
    }
    this.listSoon();
  }

  /**
   * A name that is not a file to read changed, where subdirectories are entered: if it is a
   * directory, it is watched afresh and its files told (a new one, or one created again); if
   * it was one, it is no longer watched; a symbolic link is told of, for the reader to say it
   * does not follow it.
   */
  private async lookAt(name: string): Promise<void> {
    const entry = await lstat(join(this.dir, name)).catch(() => undefined);
    if (this.closed || this.poll !== undefined) return;
    if (entry?.isSymbolicLink()) {
      this.events.onFile(name);
      return;
    }
    this.unwatch(name);
    if (!entry?.isDirectory()) return;
    let listing: string[];
    try {
      listing = await this.list(name);
    } catch {
      return; // Gone again: its removal is another change.
    }
    if (this.closed || this.poll !== undefined) return;
    this.tell(listing);
  }

  /** Tells each of `names` never told before. */
  private tell(names: readonly string[]): void {
    for (const name of names) {
      if (this.told.has(name)) continue;
      this.told.add(name);
      this.events.onFile(name);
    }
  }

  /** Lists the tree again {@link RELIST_MS} after the last listing, once for any changes. */
  private listSoon(): void {
    if (this.closed || this.poll !== undefined) return;
    // The listing in flight may have been read before this change (the directory's removal
    // among them, which no later event tells of): list once more after it.
    if (this.listing) {
      this.changedWhileListing = true;
      return;
    }
    if (this.relist !== undefined) return;
    const wait = Math.max(0, this.lastListing + RELIST_MS - Date.now());
    this.relist = setTimeout(() => void this.listAgain(), wait);
  }

  private async listAgain(): Promise<void> {
    this.relist = undefined;
    this.lastListing = Date.now();
    this.listing = true;
    let names: string[];
    let directories: Set<string>;
    try {
      const listing = await this.walk('');
      names = listing.files;
      directories = new Set(listing.directories);
    } catch (error) {
      this.listing = false;
      this.changedWhileListing = false;
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'ENOENT' || code === 'ENOTDIR') this.removed();
      else if (!this.closed) this.events.onError(`listing failed: ${(error as Error).message}`);
      return;
    }
    this.listing = false;
    if (this.closed || this.poll !== undefined) return;
    if (this.changedWhileListing) {
      this.changedWhileListing = false;
      this.listSoon();
    }
    for (const path of [...this.watchers.keys()]) {
      if (path !== '' && !directories.has(path)) this.unwatch(path);
    }
    const present = new Set(names);
    // Forgotten once gone, so a file created again under an old name is told again.
    for (const name of this.told) if (!present.has(name)) this.told.delete(name);
    this.tell(names);
  }

  /** The names of the files under the subdirectory `under` (`''`: all) the reader would read. */
  private async list(under = ''): Promise<string[]> {
    return (await this.walk(under)).files;
  }

  /**
   * The files and subdirectories under `under`, each subdirectory not yet watched watched
   * before it is listed, so a file created in it meanwhile is told.
   */
  private walk(under: string): Promise<TreeListing> {
    return listTree(this.dir, this.names, {
      under,
      beforeListing: (path) => {
        if (!this.closed && this.poll === undefined && !this.watchers.has(path)) this.watch(path);
      },
    });
  }

  private removed(): void {
    if (this.closed || this.poll !== undefined) return;
    this.closeWatches();
    clearTimeout(this.relist);
    this.relist = undefined;
    this.told.clear();
    this.events.onDirectory(true);
    const look = async () => {
      if (this.closed) return;
      if (!(await this.present())) {
        if (!this.closed) this.poll = setTimeout(look, REAPPEAR_POLL_MS);
        return;
      }
      if (this.closed) return;
      try {
        this.watch('');
      } catch {
        // Removed again before it could be watched.
        this.poll = setTimeout(look, REAPPEAR_POLL_MS);
        return;
      }
      this.poll = undefined;
      // The reader reads every file present; later names are told as they come.
      for (const name of await this.list().catch(() => [])) this.told.add(name);
      if (!this.closed) this.events.onDirectory(false);
    };
    this.poll = setTimeout(look, REAPPEAR_POLL_MS);
  }

  private present(): Promise<boolean> {
    return stat(this.dir).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
  }
}
