import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

const BLOOM = fileURLToPath(new URL('../micro/bloom.js', import.meta.url));
const RESERVOIR = fileURLToPath(new URL('../micro/reservoir.js', import.meta.url));
const SCAN = fileURLToPath(new URL('../scan.mjs', import.meta.url));
/** The row of bench/scan.mjs the scanner's target is judged on: the corpus' file shape. */
const SCANNER_TARGET_ROW = 'files of 1000';

/** Runs a micro benchmark in a fresh Node process (a clean JIT and heap each run). */
function runScript(script, args) {
  const result = spawnSync(process.execPath, [script, ...args.map(String)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    throw new Error(
      `${script} failed (${result.status ?? result.signal}): ${result.stderr.trim()}`,
    );
  }
  return JSON.parse(result.stdout);
}

/** Measurement (e), Bloom lookups: `runs` runs, medians of the rates. */
export function bloomLookups({ items, falsePositiveRate, lookups, packageLookups, runs, log }) {
  const list = [];
  for (let round = 1; round <= runs; round++) {
    const run = runScript(BLOOM, [items, falsePositiveRate, lookups, packageLookups]);
    log(
      `  bloom run ${round}/${runs}: logstream ${(run.logstream.lookupsPerSecond / 1e6).toFixed(2)} M/s, ` +
        `bloom-filters ${(run.bloomFilters.lookupsPerSecond / 1e6).toFixed(3)} M/s`,
    );
    list.push(run);
  }
  const [first] = list;
  const side = (name) => ({
    ...first[name],
    seconds: undefined,
    lookupsPerSecond: median(list.map((run) => run[name].lookupsPerSecond)),
    falseNegatives: Math.max(...list.map((run) => run[name].falseNegatives)),
  });
  return {
    items,
    targetFalsePositiveRate: falsePositiveRate,
    meanMessageLength: first.meanMessageLength,
    logstream: side('logstream'),
    bloomFilters: side('bloomFilters'),
    runs: list,
  };
}

/** Measurement (e), reservoir: `runs` runs, medians of the rates. */
export function reservoirThroughput({ items, capacity, batchSize, runs, log }) {
  const list = [];
  for (let round = 1; round <= runs; round++) {
    const run = runScript(RESERVOIR, [items, capacity, batchSize]);
    log(
      `  reservoir run ${round}/${runs}: reservoirSample ${(run.logstream.itemsPerSecond / 1e6).toFixed(0)} M items/s, ` +
        `Algorithm R ${(run.algorithmR.itemsPerSecond / 1e6).toFixed(0)} M items/s`,
    );
    list.push(run);
  }
  const [first] = list;
  const side = (name) => ({
    ...first[name],
    seconds: undefined,
    itemsPerSecond: median(list.map((run) => run[name].itemsPerSecond)),
  });
  return {
    items: first.items,
    capacity,
    batchSize,
    logstream: side('logstream'),
    algorithmR: side('algorithmR'),
    runs: list,
  };
}

/**
 * Measurement (e), the byte scanner: bench/scan.mjs's MB/s per CPU second against the general
 * path, on generator events in memory (no file reads), `runs` runs of its own medians, medians
 * of those. The target row is the corpus' shape, `.json` files of 1,000 events.
 */
export function scannerThroughput({ events, scanRuns, runs, log }) {
  const list = [];
  for (let round = 1; round <= runs; round++) {
    const run = runScript(SCAN, [events, scanRuns, '--json']);
    const row = run.rows.find((r) => r.name.includes(SCANNER_TARGET_ROW));
    if (row === undefined) throw new Error(`bench/scan.mjs printed no '${SCANNER_TARGET_ROW}' row`);
    log(`  scanner run ${round}/${runs}: ${row.scanner.mbPerSecond.toFixed(0)} MB/s (${row.name})`);
    list.push(run);
  }
  const rows = list[0].rows.map(({ name }) => {
    const of = (path, field) =>
      median(list.map((run) => run.rows.find((r) => r.name === name)[path][field]));
    return {
      name: name.trim(),
      scanner: {
        mbPerSecond: of('scanner', 'mbPerSecond'),
        eventsPerSecond: of('scanner', 'eventsPerSecond'),
      },
      general: {
        mbPerSecond: of('general', 'mbPerSecond'),
        eventsPerSecond: of('general', 'eventsPerSecond'),
      },
    };
  });
  return {
    events: list[0].events,
    rows,
    target: rows.find((row) => row.name.includes(SCANNER_TARGET_ROW)),
    runs: list,
  };
}
