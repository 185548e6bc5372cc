import { render } from 'ink';
import { Dashboard, type DashboardProps } from './app.js';

export type { DashboardProps } from './app.js';
export { Dashboard } from './app.js';
export type { SourceStats, TaskOutput } from './types.js';

export interface DashboardHandle {
  /** Resolves when the dashboard has been unmounted. */
  waitUntilExit(): Promise<void>;
  unmount(): void;
}

/**
 * Renders the dashboard on the process's terminal. Ctrl-C does not kill the process: it
 * calls `onQuit`, like `q`, so the caller shuts the pipeline down in order. Console output
 * is not patched: the caller must not write to stdout while the dashboard is up.
 */
export function renderDashboard(props: DashboardProps): DashboardHandle {
  const instance = render(<Dashboard {...props} />, { exitOnCtrlC: false, patchConsole: false });
  return {
    waitUntilExit: async () => {
      await instance.waitUntilExit();
    },
    unmount: () => instance.unmount(),
  };
}
