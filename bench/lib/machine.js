import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { method } from './measure.js';
import { BENCH_DIR } from './paths.js';

/** What the figures were measured on, and with which versions. */
export function describeMachine() {
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
    logstream: gitVersion(),
    duckdb: packageVersion('@duckdb/node-api'),
    polars: packageVersion('nodejs-polars'),
    bloomFilters: packageVersion('bloom-filters'),
    /** 1-, 5- and 15-minute load averages at the start: other work on the machine skews figures. */
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    measuredWith: method === 'gnu-time' ? '/usr/bin/time (rusage)' : 'process.resourceUsage()',
  };
}

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((text) => /^model name\s*:/.test(text));
    return line ? line.replace(/^model name\s*:\s*/, '').trim() : 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitVersion() {
  const git = (...args) =>
    spawnSync('git', args, { cwd: BENCH_DIR, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD');
  if (!commit) return 'unknown';
  const dirty = git('status', '--porcelain', '--', '../src', '../operators') !== '';
  return dirty ? `${commit} (with uncommitted changes)` : commit;
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8'))
      .version;
  } catch {
    return 'not installed';
  }
}
