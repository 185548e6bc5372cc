#!/usr/bin/env node
// logstream's benchmark suite: `node bench/run.js [options]` (`npm run bench` at the root).
// See `node bench/run.js --help` and the README's Benchmarks section.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareBaseline } from './lib/baseline.js';
import { checkpointOverhead } from './lib/checkpoint.js';
import { ensureCorpus } from './lib/corpus.js';
import { allTasks, compareEngines, task5Name } from './lib/engines.js';
import { followLatency } from './lib/latency.js';
import { describeMachine } from './lib/machine.js';
import { manyFilesMemory } from './lib/many-files.js';
import { bloomLookups, reservoirThroughput, scannerThroughput } from './lib/micro.js';
import { RESULTS_DIR, requireBenchDependencies, requireBuild } from './lib/paths.js';
import { recordAndReplay } from './lib/recording.js';
import { buildSections, evaluateTargets, machineLine, toMarkdown, toText } from './lib/report.js';
import { scaleOutThroughput } from './lib/scale-out.js';

const HELP = `Usage: node bench/run.js [options]

Measures logstream on a deterministic corpus (logstream generate --seed 1, files of 1,000
events in bench/corpus/<events>/, reused when present) and writes bench/results/latest.json
and latest.md.
  (a) Task 5 (lazy-groups) vs DuckDB vs Polars, same totals required
  (b) all six tasks vs DuckDB's query of (a), runs interleaved
  (c) follow-mode latency, rename of a file → its first record on stdout
  (d) peak RSS at several corpus sizes
  (e) micro: Bloom lookups/s vs bloom-filters; reservoirSample vs Algorithm R; the byte
      scanner's MB/s per core (bench/scan.mjs)
  (f) checkpoint overhead: all six tasks on the corpus of (b), without and with --checkpoint
      <fresh dir> (default interval, and --checkpoint-interval 100ms), runs interleaved
  (g) peak RSS following many small files (bench/corpus/files-<n>/, 10 events each,
      running-average, SIGTERM after the last batch's record) vs run --once over them
  (h) scale-out on a local three-node NATS JetStream cluster (needs nats-server:
      scripts/install-nats.sh): the corpus of --scale-events published once, then folded by
      1, 2 and 3 workers of a fresh group each, until every partition's state is stored
  (i) record and replay: all six tasks on the corpus of (b), run --once without and with
      --record <file>, then replay <file> --max, runs interleaved; the replay's records must
      be the recorded run's, byte for byte

Options:
  --events <n>        corpus of (a), (b), (f) (default 5e6; a multiple of 1,000; 5e6, 5M, 200k)
  --sizes <list>      corpus sizes of (d) (default 1e6,5e6,2e7)
  --runs <n>          runs of each measurement, the median is reported (default 3)
  --only <list>       measurements to run, of a,b,c,d,e,f,g,h,i (default all)
  --quick             smoke run: 200k events, (d) at 200k only, 1 run, smaller micro runs,
                      (g) over 5,000 files, (h) over 200k events
  --files <n>         files of 10 events in (g) (default 100k)
  --scale-events <n>  corpus of (h) (default 1e6)
  --latency-files <n> files dropped in (c) (default 200)
  --interval <ms>     time between two drops in (c) (default 30)
  --baseline <ref>    also measure (a) and (b) with the build of git commit <ref> (HEAD, main~1,
                      a sha), runs interleaved with the current build's; reports both medians
                      and current/baseline. The commit is checked out in a git worktree in
                      bench/.baseline/<short-sha>/ and built there (npm ci, npm run build),
                      both reused by later runs; its Task 5 totals must equal the current ones.
  --help              this text

Exit status: 0 when every run succeeded and the engines agree (targets missed are reported,
not failed); 1 otherwise.`;

function parseCount(text, flag) {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmM]?)$/.exec(String(text).trim());
  const value = match
    ? Number(match[1]) * { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[match[2]]
    : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`${flag}: '${text}' is not a positive count`);
  return value;
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      sizes: { type: 'string' },
      runs: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'latency-files': { type: 'string' },
      interval: { type: 'string' },
      files: { type: 'string' },
      'scale-events': { type: 'string' },
      baseline: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick;
  const events = values.events
    ? parseCount(values.events, '--events')
    : quick
      ? 200_000
      : 5_000_000;
  const sizes = values.sizes
    ? values.sizes.split(',').map((text) => parseCount(text, '--sizes'))
    : quick
      ? [events]
      : [1_000_000, 5_000_000, 20_000_000];
  const scaleEvents = values['scale-events']
    ? parseCount(values['scale-events'], '--scale-events')
    : quick
      ? 200_000
      : 1_000_000;
  for (const n of [events, scaleEvents, ...sizes]) {
    if (n % 1000) throw new Error(`corpus sizes are whole files of 1,000 events, not ${n}`);
  }
  const only = new Set((values.only ?? 'a,b,c,d,e,f,g,h,i').split(',').map((s) => s.trim()));
  for (const id of only)
    if (!'abcdefghi'.includes(id) || id.length !== 1)
      throw new Error(`--only: unknown measurement '${id}'`);
  return {
    events,
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    runs: values.runs ? parseCount(values.runs, '--runs') : quick ? 1 : 3,
    only: [...only].sort(),
    quick,
    latencyFiles: values['latency-files']
      ? parseCount(values['latency-files'], '--latency-files')
      : 200,
    latencyWarmup: 5,
    intervalMs: values.interval ? parseCount(values.interval, '--interval') : 30,
    baseline: values.baseline,
    checkpointStressInterval: '100ms',
    scaleEvents,
    manyFiles: values.files ? parseCount(values.files, '--files') : quick ? 5000 : 100_000,
    bloom: {
      items: 100_000,
      falsePositiveRate: 0.01,
      lookups: quick ? 200_000 : 1_000_000,
      packageLookups: quick ? 20_000 : 100_000,
    },
    reservoir: { items: quick ? 1_000_000 : 10_000_000, capacity: 1000, batchSize: 100_000 },
    scanner: { events: quick ? 50_000 : 200_000, scanRuns: quick ? 3 : 9 },
  };
}

const log = (text) => process.stderr.write(`${text}\n`);

/**
 * The worktree and build of `--baseline <ref>`, with the task that gives its Task 5 totals
 * (an older commit may not run `lazy-groups` yet).
 */
function baselineBuild(ref) {
  log('\nbaseline build');
  let baseline;
  try {
    baseline = prepareBaseline(ref, { log });
  } catch (error) {
    // nothing measured yet: stop before the corpus and the runs, with the reason only
    log(`FAILED: ${error.message}`);
    process.exit(1);
  }
  const task = task5Name(baseline.cli);
  if (task !== 'lazy-groups') {
    log(`NOTE: baseline ${baseline.short} does not run lazy-groups: measuring its ${task}.`);
  }
  return { ...baseline, task };
}

/** The median wall times of the baseline and the current build, and current / baseline. */
function against(byName, currentName) {
  const baselineWall = byName.baseline.wall;
  const currentWall = byName[currentName].wall;
  return { baselineWall, currentWall, ratio: currentWall / baselineWall };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  requireBuild();
  requireBenchDependencies();
  const started = Date.now();
  const machine = describeMachine();
  const task5 = task5Name();
  const results = { machine, options, task5, failures: [] };
  log(`logstream bench: ${machineLine(machine)}; load average ${machine.loadAverage.join(' ')}`);
  if (task5 !== 'lazy-groups') {
    log(
      'NOTE: `--task lazy-groups` does not run in this build: measuring running-average, whose last record has the same totals.',
    );
  }
  const section = async (id, title, body) => {
    if (!options.only.includes(id)) return;
    log(`\n${title}`);
    try {
      await body();
    } catch (error) {
      log(`FAILED: ${error.message}`);
      results.failures.push(`(${id}) ${error.message}`);
    }
  };
  // first, so that a wrong ref fails at once; only (a) and (b) are compared with it
  const baseline =
    options.baseline && options.only.some((id) => 'ab'.includes(id))
      ? baselineBuild(options.baseline)
      : undefined;
  if (options.baseline && !baseline) log('NOTE: --baseline compares (a) and (b) only: ignored.');
  results.baseline = baseline && {
    ref: baseline.ref,
    commit: baseline.commit,
    short: baseline.short,
    subject: baseline.subject,
    dir: baseline.dir,
    task5: baseline.task,
    buildSeconds: baseline.buildSeconds,
  };
  const needsMain =
    options.only.some((id) => 'abfi'.includes(id)) ||
    (options.only.includes('d') && options.sizes.includes(options.events));
  const corpus = needsMain ? ensureCorpus(options.events, { log }) : undefined;
  results.corpus = corpus && {
    events: corpus.events,
    files: corpus.files,
    dir: corpus.dir,
    generatedSeconds: corpus.generatedSeconds,
  };

  const checkAgreement = (groups, events) => {
    if (!groups.agree) {
      for (const problem of groups.problems) log(`DISAGREE at ${events} events: ${problem}`);
      results.failures.push(
        `(a) the engines disagree at ${events} events: ${groups.problems.join('; ')}`,
      );
    }
  };

  await section(
    'a',
    `(a) Task 5 (${task5}) vs DuckDB vs Polars, ${corpus?.events} events`,
    async () => {
      results.groups = await compareEngines(corpus, {
        task: task5,
        runs: options.runs,
        log,
        baseline,
      });
      checkAgreement(results.groups, corpus.events);
      if (baseline) results.baseline.groups = against(results.groups.engines, 'logstream');
    },
  );
  await section('b', `(b) all six tasks, ${corpus?.events} events`, async () => {
    const all = await allTasks(corpus, { runs: options.runs, log, baseline });
    results.allTasks = all.current;
    results.allTasksDuckdb = all.duckdb;
    if (baseline) {
      // the baseline's own figures here; in (a) they are among the engines'
      results.baseline.allTasks = { ...against(all, 'current'), figures: all.baseline };
    }
  });
  await section('c', '(c) follow-mode latency', async () => {
    results.latency = await followLatency({
      files: options.latencyFiles,
      warmup: options.latencyWarmup,
      intervalMs: options.intervalMs,
      runs: options.runs,
      log,
    });
  });
  await section('d', `(d) peak RSS at ${options.sizes.join(', ')} events`, async () => {
    results.memory = [];
    for (const events of options.sizes) {
      const reuse = events === corpus?.events;
      const sized = reuse ? corpus : ensureCorpus(events, { log });
      log(` ${events} events${reuse ? ' (from (a) and (b) when measured)' : ''}`);
      const groups =
        reuse && results.groups
          ? results.groups
          : await compareEngines(sized, { task: task5, runs: options.runs, log });
      if (!reuse || !results.groups) checkAgreement(groups, events);
      const all =
        reuse && results.allTasks
          ? results.allTasks
          : (await allTasks(sized, { runs: options.runs, log })).current;
      const strip = ({ runs, label, ...medians }) => medians;
      results.memory.push({
        events,
        // each ratio to the DuckDB runs interleaved with it: (a)'s for Task 5, (b)'s for all six
        groups: strip(groups.engines.logstream),
        allTasks: strip(all),
        duckdb: strip(groups.engines.duckdb),
        polars: strip(groups.engines.polars),
      });
    }
  });
  await section('e', '(e) micro benchmarks', async () => {
    results.micro = {};
    results.micro.bloom = bloomLookups({ ...options.bloom, runs: options.runs, log });
    if (results.micro.bloom.logstream.falseNegatives > 0) {
      results.failures.push(
        `(e) logstream's BloomFilter gave ${results.micro.bloom.logstream.falseNegatives} false negatives`,
      );
    }
    results.micro.reservoir = reservoirThroughput({
      ...options.reservoir,
      runs: options.runs,
      log,
    });
    results.micro.scanner = scannerThroughput({ ...options.scanner, runs: options.runs, log });
  });
  await section(
    'f',
    `(f) checkpoint overhead, all six tasks, ${corpus?.events} events`,
    async () => {
      results.checkpoint = await checkpointOverhead(corpus, {
        runs: options.runs,
        stressInterval: options.checkpointStressInterval,
        log,
      });
    },
  );
  await section('g', `(g) peak RSS following ${options.manyFiles} files`, async () => {
    results.manyFiles = await manyFilesMemory({
      files: options.manyFiles,
      runs: options.runs,
      log,
    });
  });

  await section('h', `(h) scale-out on NATS JetStream, ${options.scaleEvents} events`, async () => {
    const scaleCorpus = ensureCorpus(options.scaleEvents, { log });
    results.scaleOut = {
      events: scaleCorpus.events,
      ...(await scaleOutThroughput(scaleCorpus, { runs: options.runs, log })),
    };
  });

  await section('i', `(i) record and replay, all six tasks, ${corpus?.events} events`, async () => {
    results.recording = await recordAndReplay(corpus, { runs: options.runs, log });
  });

  results.seconds = (Date.now() - started) / 1000;
  results.loadAverageAtEnd = loadavg().map((value) => Math.round(value * 100) / 100);
  results.targets = evaluateTargets(results);
  results.ok = results.failures.length === 0;
  const sections = buildSections(results);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, 'latest.md'), toMarkdown(sections, machine));

  console.log(`\nlogstream benchmarks — ${machineLine(machine)}\n`);
  console.log(toText(sections));
  console.log(
    `\n${results.seconds.toFixed(0)} s in all; written to bench/results/latest.json and latest.md`,
  );
  if (!results.ok) {
    console.log(`\nFAILED:\n${results.failures.map((f) => `  ${f}`).join('\n')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  log(error.stack ?? String(error));
  process.exitCode = 1;
});
