import { type FSWatcher, watch } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';

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
  /** A file of the directory appeared or changed (its name, without directory). */
  readonly onFile: (name: string) => void;
  /** The directory was removed (true), or is back after a removal (false). */
  readonly onDirectory: (removed: boolean) => void;
  /** Watching failed for another reason; the watcher goes on if it can. */
  readonly onError: (reason: string) => void;
}

/**
 * The watcher part of the directory source: one watch of the directory itself (Node's
 * `fs.watch`: inotify, FSEvents or ReadDirectoryChangesW), which tells of every file that
 * appears, changes or is renamed in it, whatever their number. Not its subdirectories, not
 * through symbolic links (the reader decides what a name is). chokidar, used before, watched
 * every file on its own and listed and stat-ed the whole directory on every change: following
 * 100,000 files took 2.6 times the memory of reading them once.
 *
 * A change is told as it comes (the reader coalesces names already queued). After changes,
 * the names are listed again once ({@link RELIST_MS}), and names never told before are told:
 * what a full kernel queue dropped. When the directory itself is removed it says so, looks
 * for it every {@link REAPPEAR_POLL_MS}, and once it is back says so and watches it again:
 * the reader then looks at every file in it.
 *
 * The watch does not keep the process alive; a timer of its own does, until {@link close}.
 */
export class DirectoryWatcher {
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private relist: NodeJS.Timeout | undefined;
  private lastListing = 0;
  /** A listing is being read; a change meanwhile may not be in it. */
  private listing = false;
  private changedWhileListing = false;
  /** Every name told so far (or listed): a listing tells only the others. */
  private readonly told = new Set<string>();
  private readonly keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly accepts: (name: string) => boolean,
    private readonly events: DirectoryWatcherEvents,
  ) {}

  /**
   * Starts watching `dir`; resolves once the watch is set and the names present are known
   * (they are not told: the reader lists the directory itself).
   */
  static async start(
    dir: string,
    accepts: (name: string) => boolean,
    events: DirectoryWatcherEvents,
  ): Promise<DirectoryWatcher> {
    const watcher = new DirectoryWatcher(dir, accepts, events);
    try {
      watcher.watch();
      for (const name of await watcher.names()) watcher.told.add(name);
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
    this.watcher?.close();
    this.watcher = undefined;
  }

  private watch(): void {
    const watcher = watch(this.dir, { persistent: false }, (_, name) => {
      if (this.watcher !== watcher) return;
      // A name the kernel did not give (some platforms, or a dropped event): list to find it.
      if (name === null) this.listSoon();
      else this.changed(name);
    });
    watcher.on('error', (error: NodeJS.ErrnoException) => {
      if (this.watcher !== watcher || this.closed) return;
      // The watched directory is gone (Windows reports it so, Linux by a change and silence).
      void this.present().then((present) => {
        if (!present) this.removed();
        else this.events.onError(`watching failed: ${error.message}`);
      });
    });
    this.watcher = watcher;
  }

  private changed(name: string): void {
    if (this.closed) return;
    if (this.accepts(name)) {
      this.told.add(name);
      this.events.onFile(name);
    }
    this.listSoon();
  }

  /** Lists the names again {@link RELIST_MS} after the last listing, once for any changes. */
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
    try {
      names = await this.names();
    } catch (error) {
      this.listing = false;
      this.changedWhileListing = false;
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'ENOENT' || code === 'ENOTDIR') this.removed();
      else if (!this.closed) this.events.onError(`listing failed: ${(error as Error).message}`);
      return;
    }
    this.listing = false;
    if (this.closed) return;
    if (this.changedWhileListing) {
      this.changedWhileListing = false;
      this.listSoon();
    }
    const present = new Set(names);
    // Forgotten once gone, so a file created again under an old name is told again.
    for (const name of this.told) if (!present.has(name)) this.told.delete(name);
    for (const name of names) {
      if (this.told.has(name)) continue;
      this.told.add(name);
      this.events.onFile(name);
    }
  }

  /** The names of the directory that the reader would read. */
  private async names(): Promise<string[]> {
    return (await readdir(this.dir)).filter(this.accepts);
  }

  private removed(): void {
    if (this.closed || this.poll !== undefined) return;
    this.watcher?.close();
    this.watcher = undefined;
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
        this.watch();
      } catch {
        // Removed again before it could be watched.
        this.poll = setTimeout(look, REAPPEAR_POLL_MS);
        return;
      }
      // The reader reads every file present; later names are told as they come.
      for (const name of await this.names().catch(() => [])) this.told.add(name);
      this.poll = undefined;
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
