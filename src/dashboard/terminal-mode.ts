import { writeSync } from 'node:fs';

/** A mode a terminal was switched into by {@link enterTerminalMode}. */
export interface TerminalMode {
  /** Whether the terminal is in the mode because of this handle. */
  readonly entered: boolean;
  /** Switches the mode off; does nothing the second time, or if it was never entered. */
  leave(): void;
}

/**
 * Writes `enter` to `stream` (a terminal) to switch a mode on (the alternate screen, mouse
 * reports), and `leave` when the handle {@link TerminalMode.leave}s. Does nothing when
 * `stream` is not a terminal: escape codes in a file or pipe are noise.
 *
 * A last-resort `exit` listener writes `leave` if the process exits without `leave()` (an
 * uncaught error, `process.exit`): otherwise the shell would be left in the mode (its screen
 * hidden, a report for every click). It writes with `writeSync`, as `exit` listeners cannot
 * wait for an asynchronous write.
 */
export function enterTerminalMode(
  stream: NodeJS.WriteStream,
  enter: string,
  leave: string,
): TerminalMode {
  if (!stream.isTTY) return { entered: false, leave: () => {} };
  let entered = true;
  const { fd } = stream as { fd?: unknown };
  const onExit = () => {
    if (!entered || typeof fd !== 'number') return;
    entered = false;
    try {
      writeSync(fd, leave);
    } catch {
      // The terminal is gone (EIO after a hang-up): there is nothing left to restore.
    }
  };
  stream.write(enter);
  process.on('exit', onExit);
  return {
    get entered() {
      return entered;
    },
    leave: () => {
      if (!entered) return;
      entered = false;
      process.off('exit', onExit);
      // A terminal that went away fails the write: nothing to restore then, and no reason
      // to let the failure replace the error or exit status the caller is leaving with.
      if (stream.writable) stream.write(leave, () => {});
    },
  };
}
