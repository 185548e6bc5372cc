import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';

/** How often a removed directory is looked for again. */
export const REAPPEAR_POLL_MS = 250;

/**
 * chokidar drops (does not delay) the changes of a file that come within 50 ms of the last
 * one it reported, so each reported change is followed by one more look this much later:
 * a write in that window is read then instead of waiting for the file's next change.
 */
export const CHANGE_RECHECK_MS = 100;

export interface DirectoryWatcherEvents {
  /** A file of the directory appeared or changed (its name, without directory). */
  readonly onFile: (name: string) => void;
  /** The directory was removed (true), or is back after a removal (false). */
  readonly onDirectory: (removed: boolean) => void;
  /** Watching failed for another reason; the watcher goes on if it can. */
  readonly onError: (reason: string) => void;
}

/**
 * The watcher part of the directory source: chokidar on one directory (not its
 * subdirectories, not through symbolic links), telling of each file that appears or changes,
 * once at once and once more {@link CHANGE_RECHECK_MS} later. When the directory itself is
 * removed it says so, looks for it every {@link REAPPEAR_POLL_MS}, and once it is back, says
 * so and watches it again: the reader then looks at every file in it.
 *
 * It keeps the process alive with a timer of its own until {@link close}, never with
 * chokidar's handles: a chokidar watcher that is closed while it still handles the removal of
 * its directory watches a path again (its `add` reopens it), and that handle must not hold a
 * stopped run open. The watcher of a removed directory is closed only once the directory is
 * back, by when it has handled the removal.
 */
export class DirectoryWatcher {
  private watcher: FSWatcher | undefined;
  /** The watcher of the directory before it was removed, closed once it is back. */
  private removedWatcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private readonly keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  private closed = false;
  private readonly root: string;

  private constructor(
    private readonly dir: string,
    private readonly accepts: (name: string) => boolean,
    private readonly events: DirectoryWatcherEvents,
  ) {
    this.root = resolve(dir);
  }

  /** Starts watching `dir`; resolves once chokidar is ready (files present are not reported). */
  static async start(
    dir: string,
    accepts: (name: string) => boolean,
    events: DirectoryWatcherEvents,
  ): Promise<DirectoryWatcher> {
    const watcher = new DirectoryWatcher(dir, accepts, events);
    try {
      await watcher.watch();
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
    for (const timer of this.rechecks.values()) clearTimeout(timer);
    this.rechecks.clear();
    void this.watcher?.close();
    void this.removedWatcher?.close();
    this.watcher = undefined;
    this.removedWatcher = undefined;
  }

  private async watch(): Promise<void> {
    const watcher = watch(this.dir, {
      depth: 0,
      ignoreInitial: true,
      followSymlinks: false,
      persistent: false,
      ignored: (path, stats) =>
        stats !== undefined && !stats.isDirectory() && !this.accepts(basename(path)),
    });
    this.watcher = watcher;
    const current = () => !this.closed && this.watcher === watcher;
    const onFile = (path: string) => {
      if (!current() || resolve(path) === this.root) return;
      const name = basename(path);
      if (!this.accepts(name)) return;
      this.events.onFile(name);
      clearTimeout(this.rechecks.get(name));
      this.rechecks.set(
        name,
        setTimeout(() => {
          this.rechecks.delete(name);
          if (!this.closed) this.events.onFile(name);
        }, CHANGE_RECHECK_MS),
      );
    };
    watcher.on('add', onFile).on('change', onFile);
    watcher.on('unlinkDir', (path) => {
      if (current() && resolve(path) === this.root) this.removed();
    });
    watcher.on('error', (error) => {
      if (current()) this.events.onError(`watching failed: ${(error as Error).message}`);
    });
    await new Promise<void>((done) => watcher.once('ready', done));
  }

  private removed(): void {
    if (this.closed || this.poll !== undefined) return;
    void this.removedWatcher?.close();
    this.removedWatcher = this.watcher;
    this.watcher = undefined;
    this.events.onDirectory(true);
    const look = async () => {
      if (this.closed) return;
      if (!(await this.present())) {
        if (!this.closed) this.poll = setTimeout(look, REAPPEAR_POLL_MS);
        return;
      }
      if (this.closed) return;
      void this.removedWatcher?.close();
      this.removedWatcher = undefined;
      await this.watch();
      if (this.closed) return;
      // Removed again before the new watcher was ready, which cannot tell: look again.
      if (!(await this.present())) {
        this.removedWatcher = this.watcher;
        this.watcher = undefined;
        if (!this.closed) this.poll = setTimeout(look, REAPPEAR_POLL_MS);
        return;
      }
      this.poll = undefined;
      this.events.onDirectory(false);
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
