import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli, tempDir, writeAtomically } from '../support/cli.js';
import { PANEL_TITLES } from '../support/dashboard.js';
import { hasTmux, tmuxServer } from '../support/terminal.js';
import { waitUntil } from '../support/wait.js';

/**
 * The dashboard as a person sees it: the real command line in a tmux pseudo-terminal,
 * read with capture-pane and driven with send-keys.
 */
const { tmux, inTerminal } = tmuxServer('dashboard');

/** Each check runs tmux, so the screen is checked less often than usual, and for longer. */
const waitFor = (condition: () => boolean, what: string) =>
  waitUntil(condition, what, { timeoutMs: 15_000, intervalMs: 100 });

describe.runIf(hasTmux)('logstream dashboard in a terminal', () => {
  it.each([
    [80, 24, 'q'],
    [160, 48, 'C-c'],
    [100, 30, 'SIGTERM'],
  ])(
    'at %ix%i shows the six panels, follows a new file and exits 0 on %s',
    async (columns, rows, quit) => {
      const dir = await tempDir();
      const logs = join(dir, 'logs');
      const status = join(dir, 'status');
      await runCli(['generate', logs, '--files', '2', '--events', '500', '--seed', '1']);
      const command = `node ${CLI} dashboard ${logs}; echo $? > ${status}`;
      await inTerminal({ columns, rows }, command, async (session, screen) => {
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
        await writeAtomically(logs, 'zz-next.json', await readFile(join(logs, first!)));
        await waitFor(
          () => /events\D{0,12}1[,.]?500/i.test(screen()),
          'the header to count the new file',
        );
        expect(screen()).not.toBe(before);

        if (quit === 'SIGTERM') {
          const shell = tmux('list-panes', '-t', session, '-F', '#{pane_pid}').trim();
          const dashboard = execFileSync('pgrep', ['-P', shell], { encoding: 'utf8' }).trim();
          process.kill(Number(dashboard), 'SIGTERM');
        } else {
          tmux('send-keys', '-t', session, quit);
        }
        await waitFor(() => existsSync(status), 'the dashboard to exit');
        expect((await readFile(status, 'utf8')).trim()).toBe('0');
      });
    },
  );
});

describe.runIf(hasTmux)('logstream dashboard colours', () => {
  // SGR foreground colours: 30–37, 90–97, 38;5;n and 38;2;r;g;b.
  const COLOUR = /\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])[;m]/;
  it.each([
    ['NO_COLOR=1', false],
    ['NO_COLOR=1 FORCE_COLOR=1', true],
  ])('with %s shows colour: %s', async (env, coloured) => {
    const command = `${env} node ${CLI} dashboard data`;
    await inTerminal({ columns: 80, rows: 24 }, command, async (session, screen) => {
      await waitFor(() => PANEL_TITLES.every((title) => screen().includes(title)), 'the panels');
      const withEscapes = tmux('capture-pane', '-e', '-p', '-t', session);
      expect(COLOUR.test(withEscapes)).toBe(coloured);
      tmux('send-keys', '-t', session, 'q');
    });
  });
});

describe.runIf(hasTmux)('logstream demo (npm start)', () => {
  it('replays data/, keeps generating traffic that every panel shows, and removes its directory on q', async () => {
    const demoDirs = async () =>
      (await readdir(tmpdir())).filter((name) => name.startsWith('logstream-demo-'));
    const before = new Set(await demoDirs());
    const dir = await tempDir();
    const status = join(dir, 'status');
    const command = `node ${CLI} demo; echo $? > ${status}`;
    await inTerminal({ columns: 100, rows: 30 }, command, async (session, screen) => {
      const events = () => Number(/events (\d+)/.exec(screen())?.[1] ?? 0);
      await waitFor(() => events() > 10_000, 'the replayed data/ and some live traffic');
      const seen = events();
      await waitFor(() => events() > seen, 'more live traffic');
      await waitFor(() => /batches \d+/.test(screen()), 'the lazy groups panel');
      expect((await demoDirs()).filter((name) => !before.has(name))).toHaveLength(1);
      tmux('send-keys', '-t', session, 'q');
      await waitFor(() => existsSync(status), 'the demo to exit');
      expect((await readFile(status, 'utf8')).trim()).toBe('0');
      expect((await demoDirs()).filter((name) => !before.has(name))).toEqual([]);
    });
  });
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
