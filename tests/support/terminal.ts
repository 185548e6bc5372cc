import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { REPO } from './cli.js';

/** Whether tmux is installed (`.ci/run` installs it; a test file skips without it). */
export const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

/**
 * A tmux server of one test file's own (its socket, no user config), started before its
 * tests and killed after them. An idle session keeps it alive between tests: a server whose
 * last session ends exits, and a session started in that moment fails with "server exited
 * unexpectedly".
 */
export function tmuxServer(name: string): {
  tmux: (...args: string[]) => string;
  inTerminal: (
    size: { columns: number; rows: number },
    command: string,
    body: (session: string, screen: () => string) => Promise<void>,
  ) => Promise<void>;
} {
  const socket = `logstream-${name}-${process.pid}`;
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  if (hasTmux) {
    beforeAll(() => {
      tmux('new-session', '-d', '-s', 'keep-alive');
    });
    afterAll(() => {
      try {
        tmux('kill-server');
      } catch {
        // Already gone.
      }
    });
  }
  let sessions = 0;
  /**
   * Runs `command` in a detached session of the given size (in the repository), hands `body`
   * a function that reads the screen, and kills the session afterwards.
   */
  const inTerminal = async (
    size: { columns: number; rows: number },
    command: string,
    body: (session: string, screen: () => string) => Promise<void>,
  ) => {
    sessions += 1;
    const session = `test-${sessions}-${size.columns}x${size.rows}`;
    const [x, y] = [String(size.columns), String(size.rows)];
    tmux('new-session', '-d', '-s', session, '-x', x, '-y', y, '-c', REPO, command);
    try {
      await body(session, () => tmux('capture-pane', '-p', '-t', session));
    } finally {
      try {
        tmux('kill-session', '-t', session);
      } catch {
        // Already ended with its command.
      }
    }
  };
  return { tmux, inTerminal };
}
