import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TIME = '/usr/bin/time';
const USAGE_HOOK = fileURLToPath(new URL('./usage-hook.js', import.meta.url));
const STDERR_KEPT = 4096;

/**
 * How child processes are measured: GNU time when it is there (`%U %S %M`: user and system
 * CPU seconds, peak RSS in KiB, read from the kernel's rusage of the child), otherwise a
 * preloaded hook that writes the child's own `process.resourceUsage()` at exit. Every
 * measured child is a Node process, so both ways measure all three engines alike.
 */
export const method = detectMethod();

function detectMethod() {
  if (!existsSync(TIME)) return 'usage-hook';
  const dir = mkdtempSync(join(tmpdir(), 'bench-time-'));
  try {
    const out = join(dir, 'usage');
    const probe = spawnSync(TIME, ['-f', '%U %S %M', '-o', out, process.execPath, '-e', '0']);
    return probe.status === 0 && /^[\d.]+ [\d.]+ \d+\s*$/.test(readFileSync(out, 'utf8'))
      ? 'gnu-time'
      : 'usage-hook';
  } catch {
    return 'usage-hook';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `node <args>` and measures it: wall time (seconds, from spawn to exit, taken here),
 * user and system CPU seconds and peak RSS (MB, 10^6 bytes) of the child.
 *
 * `onLine` receives each stdout line when given; otherwise stdout goes to /dev/null. `onStart`
 * receives, once the child is spawned, a `stop(signal = 'SIGTERM')` that signals the measured
 * Node process (under GNU time, time's child: time itself would die of the signal without
 * writing its figures), for a child that runs until told. Resolves with `{ wall, user, sys, cpu, rssMB, code, signal, stderr }`; never rejects for a
 * failing child (the caller decides), only when the process cannot be started.
 */
export function measureNode(args, { onLine, onStart, cwd, env } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-usage-'));
  const usageFile = join(dir, 'usage');
  const [command, commandArgs] =
    method === 'gnu-time'
      ? [TIME, ['-f', '%U %S %M', '-o', usageFile, process.execPath, ...args]]
      : [process.execPath, ['--import', USAGE_HOOK, ...args]];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, commandArgs, {
      cwd,
      env: { ...process.env, ...env, BENCH_USAGE_FILE: usageFile },
      stdio: ['ignore', onLine ? 'pipe' : 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    if (onLine) forEachLine(child.stdout, onLine);
    onStart?.((signal = 'SIGTERM') => {
      try {
        process.kill(method === 'gnu-time' ? onlyChildOf(child.pid) : child.pid, signal);
      } catch {
        // no measured process to signal (yet): end the run, whose failure the caller sees
        child.kill('SIGKILL');
      }
    });
    child.on('error', (error) => {
      rmSync(dir, { recursive: true, force: true });
      reject(error);
    });
    child.on('close', (code, signal) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      let usage = { user: Number.NaN, sys: Number.NaN, rssKiB: Number.NaN };
      try {
        usage = parseUsage(readFileSync(usageFile, 'utf8'));
      } catch {
        // a child killed before it could report: the caller sees the exit code
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({
        wall,
        user: usage.user,
        sys: usage.sys,
        cpu: usage.user + usage.sys,
        rssMB: (usage.rssKiB * 1024) / 1e6,
        code,
        signal,
        stderr,
      });
    });
  });
}

/** The one child process of `pid` (GNU time's measured command), from Linux's /proc. */
function onlyChildOf(pid) {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  if (children.length !== 1 || !children[0]) {
    throw new Error(`expected one child of GNU time (${pid}), found '${children.join(' ')}'`);
  }
  return Number(children[0]);
}

/** GNU time's output file may start with "Command exited with non-zero status N". */
function parseUsage(text) {
  const last = text.trim().split('\n').at(-1);
  const [user, sys, rssKiB] = last.split(/\s+/).map(Number);
  return { user, sys, rssKiB };
}

/** Calls `onLine` for each complete line of a readable stream (and a last unterminated one). */
export function forEachLine(stream, onLine) {
  stream.setEncoding('utf8');
  let rest = '';
  stream.on('data', (chunk) => {
    const text = rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      onLine(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
  });
  stream.on('end', () => {
    if (rest) onLine(rest);
  });
}

/** Throws with the child's stderr when a measured run failed. */
export function assertSucceeded(name, run) {
  if (run.code !== 0) {
    const how = run.signal ? `signal ${run.signal}` : `exit status ${run.code}`;
    throw new Error(`${name} failed (${how}):\n${run.stderr.trim()}`);
  }
}
