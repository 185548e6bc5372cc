import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO, runCli, tempDir } from '../support/cli.js';
import { PANEL_TITLES } from '../support/dashboard.js';
import { waitUntil } from '../support/wait.js';

/**
 * The dashboard as a person sees it: the real command line in a tmux pseudo-terminal,
 * read with capture-pane and driven with send-keys.
 */
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

/** Each check runs tmux, so the screen is checked less often than usual, and for longer. */
const waitFor = (condition: () => boolean, what: string) =>
  waitUntil(condition, what, { timeoutMs: 15_000, intervalMs: 100 });

describe.runIf(hasTmux)('logstream dashboard in a terminal', () => {
  it.each([
    [80, 24],
    [160, 48],
  ])(
    'at %ix%i shows the six panels, follows a new file and quits with q',
    async (columns, rows) => {
      const dir = await tempDir();
      const logs = join(dir, 'logs');
      const status = join(dir, 'status');
      await runCli(['generate', logs, '--files', '2', '--events', '500', '--seed', '1']);
      const session = `logstream-test-${process.pid}-${columns}`;
      const command = `node ${CLI} dashboard ${logs}; echo $? > ${status}`;
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        String(columns),
        '-y',
        String(rows),
        '-c',
        REPO,
        command,
      );
      try {
        const screen = () => tmux('capture-pane', '-p', '-t', session);
        await waitFor(
          () => PANEL_TITLES.every((title) => screen().includes(title)),
          'the six panel titles',
        );
        await waitFor(
          () => /events\D{0,12}1[,.]?000/i.test(screen()),
          'the header to count 1,000 events',
        );
        const before = screen();
        // A frame taller than the terminal would scroll its header off the top.
        expect(before.split('\n')[0]).toMatch(/^logstream/);
        expect(before).toContain('q quit');

        const [first] = (await readdir(logs)).sort();
        await writeFile(join(dir, 'next.tmp'), await readFile(join(logs, first!)));
        await rename(join(dir, 'next.tmp'), join(logs, 'zz-next.json'));
        await waitFor(
          () => /events\D{0,12}1[,.]?500/i.test(screen()),
          'the header to count the new file',
        );
        expect(screen()).not.toBe(before);

        tmux('send-keys', '-t', session, 'q');
        await waitFor(() => existsSync(status), 'the dashboard to exit');
        expect((await readFile(status, 'utf8')).trim()).toBe('0');
      } finally {
        try {
          tmux('kill-session', '-t', session);
        } catch {
          // Already ended with the dashboard.
        }
      }
    },
  );
});

describe('logstream dashboard without a terminal', () => {
  it('refuses with a one-line hint to use `logstream run`', async () => {
    const result = await runCli(['dashboard', 'data']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('logstream run');
  });
});
