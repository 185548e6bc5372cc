import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, REPO, tempDir, writeLogFile } from '../support/cli.js';
import { hasTmux, tmuxServer } from '../support/terminal.js';
import { waitUntil } from '../support/wait.js';

/**
 * Diagnostics quote what came from outside: file names, content, option values. None of it
 * may reach the terminal as a control: these tests write hostile names and content and read
 * what logstream printed, as bytes and as a terminal (tmux) shows it.
 */

const TITLE = '\x1b]0;pwned-title\x07';
const CLIPBOARD = '\x1b]52;c;cHduZWQ=\x07'; // OSC 52: put "pwned" on the clipboard
const CLEAR = '\x1b[2J\x1b[3J\x1b[H'; // erase the screen and the scrollback, cursor home

/** A name with an escape sequence, a newline (a forged second line) and a right-to-left override. */
const HOSTILE_NAME = `evil${TITLE}${CLEAR}\n\u202eline.json`;
const HOSTILE_NAME_SHOWN = 'evil\\x1b]0;pwned-title\\x07\\x1b[2J\\x1b[3J\\x1b[H\\n\\u202eline.json';

/** Valid JSON, not a valid event: the reason quotes a timestamp with a C1 CSI and an override. */
const HOSTILE_TIMESTAMP = '{"service":"a","timestamp":"\\u009b2J\\u202e","message":"x"}';

/**
 * A directory whose files attack the terminal: a `.json` file with a hostile name and invalid
 * JSON content of escape sequences, and an NDJSON file with one valid event and lines that are
 * each one attack, short enough that the parser's message quotes them whole.
 */
async function hostileDirectory(): Promise<string> {
  const dir = await tempDir();
  await writeLogFile(dir, HOSTILE_NAME, `${CLIPBOARD}${TITLE}${CLEAR}`, 1);
  const lines = [
    '{"service":"ok","timestamp":1767225600,"message":"HTTP Status Code: 200"}',
    TITLE,
    CLIPBOARD,
    CLEAR,
    HOSTILE_TIMESTAMP,
  ];
  await writeLogFile(dir, 'lines.ndjson', `${lines.join('\n')}\n`, 2);
  return dir;
}

/** Runs the built CLI and gives its stderr as the bytes it wrote. */
async function stderrBytes(args: readonly string[]): Promise<{ code: number; stderr: Buffer }> {
  try {
    const { stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      cwd: REPO,
      encoding: 'buffer',
    });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: Buffer };
    return { code: failed.code, stderr: failed.stderr };
  }
}

/** Every byte sequence a terminal would obey or that hides or reorders text, in UTF-8. */
function unsafeBytesIn(bytes: Buffer): string[] {
  const found: string[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const next = bytes[i + 1] ?? 0;
    const third = bytes[i + 2] ?? 0;
    if (byte === 0x0a) continue; // the end of each diagnostic
    if (byte < 0x20 || byte === 0x7f) found.push(`0x${byte.toString(16)} at ${i}`);
    // C1 controls U+0080–U+009F are C2 80–C2 9F in UTF-8.
    if (byte === 0xc2 && next >= 0x80 && next <= 0x9f) found.push(`U+00${next.toString(16)}`);
    // U+200B–U+200F, U+2028–U+202E (E2 80 8B–8F, A8–AE), U+2066–U+2069 (E2 81 A6–A9).
    if (
      byte === 0xe2 &&
      next === 0x80 &&
      ((third >= 0x8b && third <= 0x8f) || (third >= 0xa8 && third <= 0xae))
    )
      found.push(`E2 80 ${third.toString(16)}`);
    if (byte === 0xe2 && next === 0x81 && third >= 0xa6 && third <= 0xa9)
      found.push(`E2 81 ${third.toString(16)}`);
  }
  return found;
}

describe('diagnostics on stderr', () => {
  it('escape hostile file names and content: nothing a terminal obeys, one line each', async () => {
    const dir = await hostileDirectory();
    const { code, stderr } = await stderrBytes(['run', '--once', dir]);
    expect(code).toBe(0);
    expect(unsafeBytesIn(stderr)).toEqual([]);

    const lines = stderr.toString('utf8').trimEnd().split('\n');
    // One line per problem: the broken .json file and four invalid NDJSON lines.
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/^logstream: /);
    const text = lines.join('\n');
    expect(text).toContain(`logstream: ${HOSTILE_NAME_SHOWN}: skipped, not valid JSON`);
    // What was there stays visible, escaped.
    expect(text).toContain('"\\x1b]0;pwned-title\\x07"');
    expect(text).toContain('"\\x1b]52;c;cHduZWQ=\\x07"');
    expect(text).toContain('"\\x1b[2J\\x1b[3J\\x1b[H"');
    expect(text).toContain('timestamp is "\\x9b2J\\u202e"');
  });

  it.each([
    [
      'a bad option value',
      ['run', '--once', '--sliding-window', TITLE],
      "'\\x1b]0;pwned-title\\x07'",
    ],
    [
      'an unknown option',
      ['run', '--once', `--pwned${TITLE}`],
      "'--pwned\\x1b]0;pwned-title\\x07'",
    ],
    ['a missing source', ['run', '--once', `/nonexistent/${CLEAR}\n`], '/nonexistent/\\x1b[2J'],
  ])('escape %s echoed back, on one line, exit 2', async (_what, args, shown) => {
    const { code, stderr } = await stderrBytes(args);
    expect(code).toBe(2);
    expect(unsafeBytesIn(stderr)).toEqual([]);
    const text = stderr.toString('utf8');
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(text).toContain(shown);
  });

  it('bound a hostile value to one line of reasonable length', async () => {
    const { code, stderr } = await stderrBytes(['run', '--sliding-window', '\x1b'.repeat(100_000)]);
    expect(code).toBe(2);
    const text = stderr.toString('utf8').trimEnd();
    expect(text.split('\n')).toHaveLength(1);
    expect(text.length).toBeLessThan(700);
    expect(text).toMatch(/^logstream: --sliding-window: '(\\x1b)+…(\\x1b)+' is not a duration/);
  });
});

const { tmux, inTerminal } = tmuxServer('safety');

describe.runIf(hasTmux)('diagnostics in a terminal', () => {
  it('leave the title, the clipboard and the screen alone', async () => {
    const dir = await hostileDirectory();
    const work = await tempDir();
    const go = join(work, 'go');
    const status = join(work, 'status');
    const script = join(work, 'script.sh');
    await writeFile(
      script,
      [
        'echo before-marker',
        `while [ ! -e '${go}' ]; do sleep 0.05; done`,
        `node '${CLI}' run --once '${dir}' > /dev/null`,
        `node '${CLI}' run --once --sliding-window "$(printf '\\033]0;pwned-option\\007\\033[2J')" '${dir}'`,
        `echo $? > '${status}'`,
        'echo after-marker',
        'sleep 600',
      ].join('\n'),
    );
    await inTerminal({ columns: 200, rows: 50 }, `sh '${script}'`, async (session, screen) => {
      // Let the pane act on OSC 52, as terminals that allow it do, to see whether it is sent.
      tmux('set-option', '-g', 'set-clipboard', 'on');
      tmux('select-pane', '-t', session, '-T', 'initial-title');
      const waitFor = (condition: () => boolean, what: string) =>
        waitUntil(condition, what, { timeoutMs: 15_000, intervalMs: 100, seen: screen });
      await waitFor(() => screen().includes('before-marker'), 'the script to start');
      await writeFile(go, '');
      await waitFor(() => screen().includes('after-marker'), 'logstream to finish');

      expect(existsSync(status)).toBe(true);
      expect((await readFile(status, 'utf8')).trim()).toBe('2');
      // All three at once, so a failure shows every attack that got through.
      expect({
        title: tmux('display-message', '-p', '-t', session, '#{pane_title}').trim(),
        clipboard: tmux('list-buffers'),
        earlierTextStillShown: screen().includes('before-marker'),
      }).toEqual({ title: 'initial-title', clipboard: '', earlierTextStillShown: true });
      const shown = screen();
      expect(shown).toContain('skipped, not valid JSON');
      expect(shown).toContain("'\\x1b]0;pwned-option\\x07\\x1b[2J' is not a duration");
    });
  });
});
