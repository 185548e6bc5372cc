#!/usr/bin/env node
/**
 * Takes a screenshot of a program in a real terminal and draws it as a PNG, for the README.
 *
 *   node scripts/screenshot.mjs [--columns 160] [--rows 48] [--wait 20] [--keys 'j j Enter']
 *     [--title TEXT] [--scale 1] --out docs/dashboard.png [-- <command...>]
 *
 * `npm run screenshot` builds, then writes docs/dashboard.png and docs/dashboard.txt of the
 * default command, `node dist/src/cli.js demo` (what `npm start` runs); more options go after
 * `npm run screenshot --`. Needs tmux and ImageMagick (apt-get install -y tmux imagemagick).
 *
 * The command runs in a detached tmux session of this script's own server (socket
 * logstream-screenshot-<pid>, no user config, no status line) of exactly columns × rows,
 * in the repository. After --wait seconds the --keys, if any, are sent (tmux send-keys
 * arguments split on spaces: key names such as Enter, Escape, Down, C-c, or literal text),
 * and after a short pause for the redraw the screen is captured with `capture-pane -e`, which
 * keeps the colours; then the server is killed. The capture is written as plain text next to
 * the PNG (same name, .txt) and drawn by scripts/ansi-to-mvg.mjs, rendered by ImageMagick's
 * `convert`. A command given as one argument is run by the shell, as tmux does; several
 * arguments are run directly.
 *
 * Exits 1 with one line on stderr when tmux, ImageMagick or the DejaVu fonts are missing, or
 * when the command ended before the capture (its last screen is printed for the reason).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gridText, parseAnsi } from './ansi-grid.mjs';
import { FONT_FILES, gridToMvg } from './ansi-to-mvg.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_COMMAND = ['node', 'dist/src/cli.js', 'demo'];
/** How long the program gets to redraw after the keys, in ms (the dashboard redraws at ~10/s). */
const SETTLE_MS = 1500;

/** Prints one line on stderr and exits 1. */
function fail(message) {
  process.stderr.write(`screenshot: ${message}\n`);
  process.exit(1);
}

/** Whether `command args` runs and prints something matching `pattern`. */
function prints(command, args, pattern) {
  try {
    return pattern.test(execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe' }));
  } catch {
    return false;
  }
}

/** The options, checked; exits with a usage line on a bad one. */
function readOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        columns: { type: 'string', default: '160' },
        rows: { type: 'string', default: '48' },
        wait: { type: 'string', default: '20' },
        keys: { type: 'string', default: '' },
        title: { type: 'string' },
        scale: { type: 'string', default: '1' },
        out: { type: 'string' },
      },
    });
  } catch (error) {
    fail(error.message);
  }
  const { values, positionals } = parsed;
  const whole = (name, low) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < low) fail(`--${name} must be a whole number >= ${low}`);
    return n;
  };
  const wait = Number(values.wait);
  if (!Number.isFinite(wait) || wait < 0) fail('--wait must be a number of seconds >= 0');
  if (!values.out?.endsWith('.png')) fail('--out FILE.png is required');
  const command = positionals.length > 0 ? positionals : DEFAULT_COMMAND;
  return {
    columns: whole('columns', 10),
    rows: whole('rows', 2),
    scale: whole('scale', 1),
    wait,
    keys: values.keys.split(' ').filter(Boolean),
    out: resolve(values.out),
    command,
    title: values.title ?? `${command.join(' ')}  (${values.columns}×${values.rows})`,
  };
}

/** Checks the tools up front, so a missing one costs no --wait. */
function checkTools(options) {
  if (!prints('tmux', ['-V'], /tmux/)) fail('tmux is needed: apt-get install -y tmux');
  // A `convert` that is not ImageMagick's (a stand-in, GraphicsMagick's link) has no "Version:
  // ImageMagick" line.
  if (!prints('convert', ['-version'], /^Version: ImageMagick/m)) {
    fail('ImageMagick is needed to draw the PNG: apt-get install -y imagemagick');
  }
  const missing = Object.values(FONT_FILES).find((file) => !existsSync(file));
  if (missing) fail(`${missing} is missing: apt-get install -y fonts-dejavu-core`);
  if (options.command === DEFAULT_COMMAND && !existsSync(join(REPO, DEFAULT_COMMAND[1]))) {
    fail(`${DEFAULT_COMMAND[1]} is missing: run npm run build first`);
  }
}

/**
 * Runs the command in its own tmux server, waits, sends the keys, and returns the captured
 * screen and whether the command had already ended.
 */
async function capture({ columns, rows, wait, keys, command }) {
  const socket = `logstream-screenshot-${process.pid}`;
  const tmux = (...args) =>
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  let socketPath = '';
  const stop = () => {
    try {
      tmux('kill-server');
    } catch {
      // Already gone.
    }
    // tmux 3.3 leaves its socket file behind.
    if (socketPath) rmSync(socketPath, { force: true });
  };
  // An interrupted run still kills its server.
  const interrupted = () => {
    stop();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    // remain-on-exit keeps a crashed command's last screen for the error message.
    tmux(
      ...['set-option', '-g', 'remain-on-exit', 'on', ';', 'set-option', '-g', 'status', 'off'],
      ...[';', 'new-session', '-d', '-s', 'shot', '-x', String(columns), '-y', String(rows)],
      ...['-c', REPO, ...command],
    );
    socketPath = tmux('display-message', '-p', '#{socket_path}').trim();
    await sleep(wait * 1000);
    if (keys.length > 0) {
      tmux('send-keys', '-t', 'shot', ...keys);
      await sleep(SETTLE_MS);
    }
    const screen = tmux('capture-pane', '-e', '-p', '-t', 'shot');
    const ended = tmux('display-message', '-p', '-t', 'shot', '#{pane_dead}').trim() === '1';
    return { screen, ended };
  } finally {
    stop();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

/** Draws the grid into `out` through an MVG file in a temporary folder. */
function render(grid, { out, title, scale }) {
  const folder = mkdtempSync(join(tmpdir(), 'logstream-screenshot-'));
  try {
    const mvg = join(folder, 'screen.mvg');
    writeFileSync(mvg, gridToMvg(grid, { title, scale }));
    // -depth 8 and -strip: a smaller file, with no timestamps in it.
    execFileSync('convert', ['-background', 'none', `mvg:${mvg}`, '-depth', '8', '-strip', out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const options = readOptions(process.argv.slice(2));
checkTools(options);
const { screen, ended } = await capture(options);
if (ended) {
  process.stderr.write(`${screen.replace(/\x1b\[[0-9;:]*m/g, '').trim()}\n`);
  fail(`${options.command.join(' ')} ended before the capture (its last screen is above)`);
}
const grid = parseAnsi(screen, options);
mkdirSync(dirname(options.out), { recursive: true });
const text = options.out.replace(/\.png$/, '.txt');
writeFileSync(text, gridText(grid));
render(grid, options);
process.stdout.write(`${options.out}\n${text}\n`);
