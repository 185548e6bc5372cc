import { useInput, useStdout } from 'ink';
import { useEffect } from 'react';
import { enterTerminalMode } from '../terminal-mode.js';

/** Mouse button reports (1000), in SGR form (1006): `ESC [ < button ; column ; row M`. */
export const ENABLE_MOUSE_REPORTS = '\x1b[?1000h\x1b[?1006h';
export const DISABLE_MOUSE_REPORTS = '\x1b[?1006l\x1b[?1000l';

/**
 * A report as Ink hands it to every `useInput` handler: one input, its leading ESC removed,
 * no key flag set. Ink's input parser keeps a CSI sequence whole, so a report never reaches a
 * handler as single characters such as `q` or `[`.
 */
const SGR_MOUSE_REPORT = /^\[<(\d+);\d+;\d+([Mm])$/;
/** The modifier bits of a report's button code (shift, meta, ctrl): not part of the button. */
const MODIFIERS = 4 | 8 | 16;
const WHEEL_UP = 64;
const WHEEL_DOWN = 65;

/**
 * Whether a `useInput` input is a mouse report (wheel, click, release) rather than typed
 * text: a handler that takes text (a filter) skips it, or a click would type `[<0;12;5M`.
 */
export function isMouseReport(input: string): boolean {
  return SGR_MOUSE_REPORT.test(input);
}

/** The wheel's direction in a `useInput` input: -1 up, 1 down, undefined when not a turn of it. */
export function wheelDirection(input: string): 1 | -1 | undefined {
  const report = SGR_MOUSE_REPORT.exec(input);
  // The wheel only presses: `m` (a release) belongs to a button.
  if (report === null || report[2] !== 'M') return undefined;
  const button = Number(report[1]) & ~MODIFIERS;
  if (button === WHEEL_UP) return -1;
  if (button === WHEEL_DOWN) return 1;
  return undefined;
}

/**
 * Calls `onWheel` for each turn of the mouse wheel: -1 up, 1 down. Mouse reporting is turned
 * on while the component is mounted, and only on a terminal (not in tests, a file or a
 * pipe), and off also when the process ends without unmounting (see
 * {@link enterTerminalMode}), or the shell would receive a report for every scroll and click.
 *
 * While it is on, the terminal's own selection needs Shift held (xterm, tmux, most others),
 * and the other `useInput` handlers receive the reports too: see {@link isMouseReport}.
 */
export function useMouseWheel(onWheel: (direction: 1 | -1) => void): void {
  const { stdout } = useStdout();
  useEffect(() => {
    const reports = enterTerminalMode(stdout, ENABLE_MOUSE_REPORTS, DISABLE_MOUSE_REPORTS);
    return () => reports.leave();
  }, [stdout]);
  useInput((input) => {
    const direction = wheelDirection(input);
    if (direction !== undefined) onWheel(direction);
  });
}
