import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLI, event, tempDir, writeLogFile } from '../support/cli.js';
import { PANEL_TITLES } from '../support/dashboard.js';
import { hasTmux, tmuxServer } from '../support/terminal.js';
import { waitUntil } from '../support/wait.js';

/**
 * The dashboard's terminal conventions, in a tmux pseudo-terminal: events piped in with `-`
 * and keys read from /dev/tty, the alternate screen (the shell's screen is back after q), a
 * `--once` screen that stays up until q, and the one-line refusals.
 */
const { tmux, inTerminal } = tmuxServer('dashboard-terminal');

/** Each check runs tmux, so the screen is checked less often than usual, and for longer. */
const waitFor = (condition: () => boolean, what: string, seen?: () => string) =>
  waitUntil(condition, what, {
    timeoutMs: 15_000,
    intervalMs: 100,
    seen: seen && (() => `; the screen:\n${seen()}`),
  });

const SIZE = { columns: 100, rows: 30 };
const EVENTS = 500;
/** The header's event count, however the number is grouped (a panel counts events too). */
const COUNTED = /^logstream.*events\D{0,12}500\b/;

/** `EVENTS` events of four services as one NDJSON file in a new directory; its path and the dir. */
async function ndjsonLogs(): Promise<{ dir: string; logs: string; file: string }> {
  const dir = await tempDir();
  const logs = join(dir, 'logs');
  const services = ['auth', 'billing', 'search', 'upload'];
  const lines = Array.from({ length: EVENTS }, (_, index) =>
    JSON.stringify(event(services[index % 4]!, 1_700_000_000 + index, index % 7 ? 200 : 503)),
  );
  await mkdir(logs);
  const file = await writeLogFile(logs, 'events.ndjson', `${lines.join('\n')}\n`);
  return { dir, logs, file };
}

/** tmux's own view of the pane: whether its program is on the alternate screen. */
const onAlternateScreen = (session: string) =>
  tmux('display-message', '-p', '-t', session, '#{alternate_on}').trim() === '1';

/** The pid of the shell's child (the dashboard) in the session's pane. */
function dashboardPid(session: string): number {
  const shell = tmux('list-panes', '-t', session, '-F', '#{pane_pid}').trim();
  return Number(execFileSync('pgrep', ['-P', shell, 'node'], { encoding: 'utf8' }).trim());
}

/** Quits as the user (a key) or the system (a signal to the dashboard's process) would. */
function quit(session: string, how: string): void {
  if (how.startsWith('SIG')) process.kill(dashboardPid(session), how as NodeJS.Signals);
  else tmux('send-keys', '-t', session, how);
}

async function statusOf(file: string): Promise<string> {
  await waitFor(() => existsSync(file), 'the dashboard to exit');
  return (await readFile(file, 'utf8')).trim();
}

describe.runIf(hasTmux)('logstream dashboard - (events on stdin, keys from the terminal)', () => {
  it.each([
    ['q', 80, 24],
    ['q', 160, 48],
    ['C-c', 100, 30],
    ['SIGTERM', 100, 30],
  ])('shows the piped events and exits 0 on %s at %ix%i', async (how, columns, rows) => {
    const { dir, file } = await ndjsonLogs();
    const status = join(dir, 'status');
    const command = `cat ${file} | node ${CLI} dashboard -; echo $? > ${status}`;
    await inTerminal({ columns, rows }, command, async (session, screen) => {
      await waitFor(() => COUNTED.test(screen()), 'the header to count 500 events', screen);
      expect(screen()).toContain('source -');
      expect(PANEL_TITLES.every((title) => screen().includes(title))).toBe(true);
      quit(session, how);
      expect(await statusOf(status)).toBe('0');
    });
  });

  it('quits on q while standard input is still open', async () => {
    const { dir, file } = await ndjsonLogs();
    const status = join(dir, 'status');
    // A producer that never ends: only the keys from the terminal can end the dashboard.
    const script = `node ${CLI} dashboard - < <(cat ${file}; sleep 600); echo $? > ${status}`;
    await writeFile(join(dir, 'run.sh'), script);
    await inTerminal(SIZE, `bash ${join(dir, 'run.sh')}`, async (session, screen) => {
      await waitFor(() => COUNTED.test(screen()), 'the header to count 500 events', screen);
      tmux('send-keys', '-t', session, 'q');
      expect(await statusOf(status)).toBe('0');
    });
  });

  it('reads the keys from the terminal when stdin is redirected, with a directory too', async () => {
    const { dir, logs } = await ndjsonLogs();
    const status = join(dir, 'status');
    const command = `node ${CLI} dashboard ${logs} < /dev/null; echo $? > ${status}`;
    await inTerminal(SIZE, command, async (session, screen) => {
      await waitFor(() => COUNTED.test(screen()), 'the header to count 500 events', screen);
      tmux('send-keys', '-t', session, 'q');
      expect(await statusOf(status)).toBe('0');
    });
  });
});

describe.runIf(hasTmux)('logstream dashboard on the alternate screen', () => {
  it.each([
    ['q', 80, 24],
    ['q', 160, 48],
    ['C-c', 100, 30],
    ['SIGTERM', 100, 30],
    ['SIGHUP', 100, 30],
  ])('gives the shell its screen back after %s at %ix%i', async (how, columns, rows) => {
    const { dir, logs } = await ndjsonLogs();
    const status = join(dir, 'status');
    const command = `printf 'BEFORE-DASHBOARD\\n'; node ${CLI} dashboard ${logs}; echo $? > ${status}; sleep 600`;
    await inTerminal({ columns, rows }, command, async (session, screen) => {
      await waitFor(() => screen().includes('BEFORE-DASHBOARD'), 'the shell to print');
      await waitFor(() => COUNTED.test(screen()), 'the header to count 500 events', screen);
      expect(onAlternateScreen(session)).toBe(true);
      expect(screen()).not.toContain('BEFORE-DASHBOARD');
      // Drawn from the top, not from where the shell's cursor was.
      expect(screen().split('\n')[0]).toMatch(/^logstream/);

      quit(session, how);
      expect(await statusOf(status)).toBe('0');
      expect(onAlternateScreen(session)).toBe(false);
      expect(screen()).toContain('BEFORE-DASHBOARD');
      for (const title of PANEL_TITLES) expect(screen()).not.toContain(title);
    });
  });
});

describe.runIf(hasTmux)('logstream dashboard --once', () => {
  // Awaits the dashboard's feed saying `input ended` in its header.
  it('says the input ended and keeps the numbers on screen until q', async () => {
    const { dir, logs } = await ndjsonLogs();
    const status = join(dir, 'status');
    const command = `node ${CLI} dashboard --once ${logs}; echo $? > ${status}`;
    await inTerminal(SIZE, command, async (session, screen) => {
      const ended = () => {
        const now = screen();
        return now.includes('input ended') && COUNTED.test(now);
      };
      await waitFor(ended, '`input ended` and the 500 events in the header', screen);
      // Still up a while later (a dashboard that exited at the end of input would be gone).
      await sleep(1_500);
      expect(existsSync(status)).toBe(false);
      expect(ended()).toBe(true);
      tmux('send-keys', '-t', session, 'q');
      expect(await statusOf(status)).toBe('0');
    });
  });
});

describe.runIf(hasTmux)('logstream dashboard refusals in a terminal', () => {
  /** Runs `command` (its stderr to a file) in a terminal; its exit status and stderr lines. */
  async function refusal(command: (err: string) => string) {
    const dir = await tempDir();
    const [err, status] = [join(dir, 'err'), join(dir, 'status')];
    await inTerminal(SIZE, `${command(err)}; echo $? > ${status}; sleep 600`, async () => {
      await waitFor(() => existsSync(status), 'the command to exit');
    });
    const text = await readFile(err, 'utf8');
    return { code: (await readFile(status, 'utf8')).trim(), lines: text.trimEnd().split('\n') };
  }

  it('refuses `dashboard -` with nothing piped in (stdin is the terminal), in one line', async () => {
    const { code, lines } = await refusal((err) => `node ${CLI} dashboard - 2> ${err}`);
    expect(code).toBe('2');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^logstream: .*events and the keys cannot both come from the terminal/,
    );
  });

  it('refuses a stdout that is not a terminal with the `logstream run` hint, stdin a terminal', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out');
    const { code, lines } = await refusal((err) => `node ${CLI} dashboard data > ${out} 2> ${err}`);
    expect(code).toBe('2');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('logstream run');
    expect(await readFile(out, 'utf8')).toBe('');
  });

  const hasSetsid = (() => {
    try {
      execFileSync('setsid', ['--version']);
      return true;
    } catch {
      return false;
    }
  })();
  it.runIf(hasSetsid)(
    'refuses in one line when there is no terminal to read keys from',
    async () => {
      // A new session has no controlling terminal: /dev/tty cannot be opened.
      const { code, lines } = await refusal(
        (err) => `setsid -w node ${CLI} dashboard data < /dev/null 2> ${err}`,
      );
      expect(code).toBe('2');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^logstream: .*\/dev\/tty/);
    },
  );
});
