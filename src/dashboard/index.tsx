import { render } from 'ink';
import { enterAlternateScreen } from './alternate-screen.js';
import { Dashboard, type DashboardProps } from './app.js';

export type { DashboardProps } from './app.js';
export { Dashboard } from './app.js';
export type { SourceStats, TaskOutput } from './types.js';

export interface DashboardHandle {
  /**
   * Resolves when the dashboard has been unmounted and the terminal is back on its normal
   * screen; rejects with the error that unmounted it, if one did (a component that threw).
   */
  waitUntilExit(): Promise<void>;
  unmount(): void;
}

/** Where the dashboard reads its keys. */
export interface DashboardTerminal {
  /**
   * The terminal to read keys from: `process.stdin` by default. `logstream dashboard -` reads
   * its events on standard input, so it passes the controlling terminal (/dev/tty) here.
   */
  readonly keys?: NodeJS.ReadStream;
}

/**
 * Renders the dashboard on the process's terminal, on its alternate screen (so the shell's
 * screen comes back on exit, see {@link enterAlternateScreen}). Ctrl-C does not kill the
 * process: it calls `onQuit`, like `q`, so the caller shuts the pipeline down in order.
 * Console output is not patched: the caller must not write to stdout while the dashboard
 * is up.
 */
export function renderDashboard(
  props: DashboardProps,
  terminal: DashboardTerminal = {},
): DashboardHandle {
  const screen = enterAlternateScreen(process.stdout);
  let instance: ReturnType<typeof render>;
  try {
    instance = render(<Dashboard {...props} />, {
      stdin: terminal.keys ?? process.stdin,
      exitOnCtrlC: false,
      patchConsole: false,
    });
  } catch (error) {
    screen.leave();
    throw error;
  }
  // Asked for now: Ink settles its exit promise only if it exists when Ink unmounts.
  const exited = instance.waitUntilExit().finally(() => screen.leave());
  // The caller may never ask (it failed elsewhere first): not an unhandled rejection then.
  exited.catch(() => {});
  return {
    waitUntilExit: async () => {
      await exited;
    },
    unmount: () => instance.unmount(),
  };
}
