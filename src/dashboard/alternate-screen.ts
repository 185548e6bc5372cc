import { writeSync } from 'node:fs';

/** xterm's "use the alternate screen buffer, saving the cursor" (DECSET 1049). */
export const ENTER_ALTERNATE_SCREEN = '\x1b[?1049h';
/**
 * Cursor to the top left: entering the alternate screen clears it but leaves the cursor where
 * the shell had it, and Ink draws from the cursor down, so a full-height frame would scroll.
 */
const CURSOR_HOME = '\x1b[H';
/** Back to the normal screen buffer as it was before {@link ENTER_ALTERNATE_SCREEN}. */
export const LEAVE_ALTERNATE_SCREEN = '\x1b[?1049l';

/** The terminal's alternate screen, entered by {@link enterAlternateScreen}. */
export interface AlternateScreen {
  /** Whether the terminal is on the alternate screen because of this handle. */
  readonly entered: boolean;
  /** Goes back to the normal screen; does nothing the second time, or if never entered. */
  leave(): void;
}

/**
 * Switches `stream` (a terminal) to its alternate screen, so what the dashboard draws leaves
 * no trace and the shell's screen comes back when it {@link AlternateScreen.leave}s. Does
 * nothing when `stream` is not a terminal: escape codes in a file or pipe are noise.
 *
 * A last-resort `exit` listener leaves the alternate screen if the process exits without
 * `leave()` (an uncaught error, `process.exit`): otherwise the shell's own screen would stay
 * hidden behind the dashboard's last frame. It writes with `writeSync`, as `exit` listeners
 * cannot wait for an asynchronous write.
 */
export function enterAlternateScreen(
  stream: NodeJS.WriteStream & { readonly fd: number } = process.stdout,
): AlternateScreen {
  if (!stream.isTTY) return { entered: false, leave: () => {} };
  let entered = true;
  const onExit = () => {
    if (!entered) return;
    entered = false;
    try {
      writeSync(stream.fd, LEAVE_ALTERNATE_SCREEN);
    } catch {
      // The terminal is gone (EIO after a hang-up): there is no screen left to restore.
    }
  };
  stream.write(ENTER_ALTERNATE_SCREEN + CURSOR_HOME);
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
      if (stream.writable) stream.write(LEAVE_ALTERNATE_SCREEN, () => {});
    },
  };
}
