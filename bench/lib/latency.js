import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureCorpus, jsonFiles } from './corpus.js';
import { forEachLine } from './measure.js';
import { CLI } from './paths.js';
import { median, percentile } from './stats.js';

/** How long a dropped file may take to show on stdout before it counts as lost. */
const ARRIVAL_TIMEOUT_MS = 10_000;
const RECORD_FILE = /"file":"((?:[^"\\]|\\.)*)"/;

/**
 * Measurement (c): `logstream run <empty dir>` (all six tasks, following the directory) while
 * files of 1,000 events are dropped into it one by one, each written under a temporary name
 * and renamed, as `logstream generate` does. The latency of a file is the time from just
 * before its rename to the arrival on the child's stdout of the first record whose `file` is
 * that file. Files are dropped on a fixed schedule, `intervalMs` apart, whether or not the
 * previous one has arrived (a producer does not wait for its consumer); `warmup` files are
 * dropped and awaited first and not counted.
 */
export async function followLatency({ files, warmup, intervalMs, runs, log }) {
  const staging = ensureCorpus((files + warmup) * 1000, {
    name: `follow-${files + warmup}`,
    seed: 2,
    log,
  });
  const bodies = jsonFiles(staging.dir).map((name) => ({
    name,
    text: readFileSync(join(staging.dir, name)),
  }));
  const perRun = [];
  for (let round = 1; round <= runs; round++) {
    const run = await oneRun(bodies, { files, warmup, intervalMs });
    log(
      `  follow run ${round}/${runs}: p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, max ${run.max.toFixed(1)} ms` +
        (run.lost ? `, ${run.lost} lost` : ''),
    );
    perRun.push(run);
  }
  return {
    files,
    warmup,
    intervalMs,
    p50: median(perRun.map((run) => run.p50)),
    p99: median(perRun.map((run) => run.p99)),
    max: median(perRun.map((run) => run.max)),
    lost: perRun.reduce((sum, run) => sum + run.lost, 0),
    runs: perRun,
  };
}

async function oneRun(bodies, { files, warmup, intervalMs }) {
  const dir = mkdtempSync(join(tmpdir(), 'logstream-follow-'));
  const child = spawn(process.execPath, [CLI, 'run', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  /** name → time of the rename; name → latency once its first record arrived. */
  const droppedAt = new Map();
  const latencies = new Map();
  const waiters = new Map();
  const exited = new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  let failed;
  exited.then(({ code, signal }) => {
    failed ??= new Error(`logstream run exited early (${signal ?? code}): ${stderr.trim()}`);
    for (const waiter of waiters.values()) waiter();
  });

  forEachLine(child.stdout, (line) => {
    const match = RECORD_FILE.exec(line);
    if (!match) return;
    const name = JSON.parse(`"${match[1]}"`);
    const at = droppedAt.get(name);
    if (at === undefined || latencies.has(name)) return;
    latencies.set(name, performance.now() - at);
    waiters.get(name)?.();
  });

  const drop = ({ name, text }) => {
    const temporary = join(dir, `.${name}.tmp`);
    writeFileSync(temporary, text);
    droppedAt.set(name, performance.now());
    renameSync(temporary, join(dir, name));
  };
  const arrival = (name) =>
    new Promise((resolve) => {
      if (latencies.has(name) || failed) return resolve();
      const timer = setTimeout(resolve, ARRIVAL_TIMEOUT_MS);
      waiters.set(name, () => {
        clearTimeout(timer);
        resolve();
      });
    });

  try {
    for (const body of bodies.slice(0, warmup)) {
      drop(body);
      await arrival(body.name);
      if (failed) throw failed;
      if (!latencies.has(body.name))
        throw new Error(`warm-up file ${body.name} never showed on stdout`);
    }
    const measured = bodies.slice(warmup, warmup + files);
    const start = performance.now();
    for (const [index, body] of measured.entries()) {
      const wait = start + index * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      if (failed) throw failed;
      drop(body);
    }
    for (const body of measured) await arrival(body.name);
    if (failed) throw failed;
    const values = measured.map(({ name }) => latencies.get(name) ?? Number.POSITIVE_INFINITY);
    return {
      p50: percentile(values, 50),
      p99: percentile(values, 99),
      max: Math.max(...values),
      lost: values.filter((value) => value === Number.POSITIVE_INFINITY).length,
    };
  } finally {
    failed ??= new Error('stopped');
    child.kill('SIGTERM');
    const timeout = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timeout);
    rmSync(dir, { recursive: true, force: true });
  }
}
