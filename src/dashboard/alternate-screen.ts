import { enterTerminalMode, type TerminalMode } from './terminal-mode.js';

/** xterm's "use the alternate screen buffer, saving the cursor" (DECSET 1049). */
export const ENTER_ALTERNATE_SCREEN = '\x1b[?1049h';
/**
 * Cursor to the top left: entering the alternate screen clears it but leaves the cursor where
 * the shell had it, and Ink draws from the cursor down, so a full-height frame would scroll.
 */
const CURSOR_HOME = '\x1b[H';
/** Back to the normal screen buffer as it was before {@link ENTER_ALTERNATE_SCREEN}. */
export const LEAVE_ALTERNATE_SCREEN = '\x1b[?1049l';

/**
 * Switches `stream` (a terminal) to its alternate screen, so what the dashboard draws leaves
 * no trace and the shell's screen comes back when the handle leaves it, also when the process
 * exits without leaving (see {@link enterTerminalMode}).
 */
export function enterAlternateScreen(stream: NodeJS.WriteStream = process.stdout): TerminalMode {
  return enterTerminalMode(stream, ENTER_ALTERNATE_SCREEN + CURSOR_HOME, LEAVE_ALTERNATE_SCREEN);
}
