import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertSucceeded, measureNode } from './measure.js';
import { CLI, SAMPLE_DATA } from './paths.js';
import { median } from './stats.js';

const DUCKDB = fileURLToPath(new URL('../engines/duckdb.js', import.meta.url));
const POLARS = fileURLToPath(new URL('../engines/polars.js', import.meta.url));

/**
 * The task whose final record gives Task 5's totals: `lazy-groups` when this build runs it,
 * otherwise `running-average`, whose last record has the same per-service successes and
 * totals (a fallback while Task 5 is being written; the report says so).
 */
export function task5Name(cli = CLI) {
  const probe = spawnSync(
    process.execPath,
    [cli, 'run', SAMPLE_DATA, '--once', '--task', 'lazy-groups'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const works = probe.status === 0 && probe.stdout.includes('"task":"lazy-groups"');
  return works ? 'lazy-groups' : 'running-average';
}

/** DuckDB's query of (a): the engine that (a) and (b) are measured against. */
const DUCKDB_ENGINE = {
  name: 'duckdb',
  label: 'DuckDB read_json + GROUP BY',
  run: (dir) => jsonRowsOf('duckdb', [DUCKDB, dir]),
};

/**
 * The engines of measurement (a), each a measured child process printing per-service totals;
 * with `baseline` (from prepareBaseline, with its own `task`), that commit's build as well.
 */
export function groupEngines(task, baseline) {
  const engines = [
    logstreamEngine('logstream', `logstream run --task ${task}`, CLI, task),
    DUCKDB_ENGINE,
    {
      name: 'polars',
      label: 'Polars readJSON + lazy group_by',
      run: (dir) => jsonRowsOf('polars', [POLARS, dir]),
    },
  ];
  if (baseline) {
    const label = `baseline ${baseline.short}: logstream run --task ${baseline.task}`;
    engines.push(logstreamEngine('baseline', label, baseline.cli, baseline.task));
  }
  return engines;
}

/** A build of logstream as an engine of (a): the totals of its last record of `task`. */
function logstreamEngine(name, label, cli, task) {
  return {
    name,
    label,
    run: (dir) => {
      const marker = `"task":"${task}"`;
      let last;
      return measured(name, [cli, 'run', dir, '--once', '--task', task], (line) => {
        if (line.includes(marker)) last = line;
      }).then((run) => {
        if (last === undefined) throw new Error(`${name} printed no ${task} record`);
        const record = JSON.parse(last);
        return { ...run, rows: normalize(record.services), events: record.events };
      });
    },
  };
}

async function measured(name, args, onLine) {
  const run = await measureNode(args, { onLine });
  assertSucceeded(name, run);
  return run;
}

async function jsonRowsOf(name, args) {
  const lines = [];
  const run = await measured(name, args, (line) => lines.push(line));
  return { ...run, rows: normalize(JSON.parse(lines.join('\n'))) };
}

function normalize(rows) {
  return rows
    .map(({ service, successes, total }) => ({ service, successes, total }))
    .sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}

/**
 * The differences between the engines' per-service totals (exact integers): an empty list
 * when all agree with the first.
 */
export function disagreements(resultsByEngine) {
  const entries = Object.entries(resultsByEngine);
  if (entries.length === 0) return [];
  const [referenceName, reference] = entries[0];
  const problems = [];
  const key = (rows) => new Map(rows.map((row) => [row.service, row]));
  const expected = key(reference);
  for (const [name, rows] of entries.slice(1)) {
    const actual = key(rows);
    for (const service of new Set([...expected.keys(), ...actual.keys()])) {
      const a = expected.get(service);
      const b = actual.get(service);
      if (a?.successes !== b?.successes || a?.total !== b?.total) {
        problems.push(`${service}: ${referenceName} ${fmt(a)} vs ${name} ${fmt(b)}`);
      }
    }
  }
  return problems;
}

const fmt = (row) => (row ? `${row.successes}/${row.total}` : 'missing');

/**
 * Measurement (a) on one corpus: every engine `runs` times, interleaved so that drift on the
 * machine touches all alike; each run's totals are checked against the others'. With
 * `baseline`, its build runs just before the current one in every round, so the two are
 * measured back to back, and its totals must equal the current ones too.
 */
export async function compareEngines(corpus, { task, runs, log, baseline }) {
  const engines = groupEngines(task, baseline);
  const order = baseline ? [engines.at(-1), ...engines.slice(0, -1)] : engines;
  const perEngine = Object.fromEntries(engines.map((engine) => [engine.name, []]));
  const problems = [];
  for (let round = 1; round <= runs; round++) {
    for (const engine of order) {
      const run = await engine.run(corpus.dir);
      log(`  ${engine.name.padEnd(9)} run ${round}/${runs}: ${summary(run, corpus.events)}`);
      perEngine[engine.name].push(run);
    }
    // the current logstream first: every other engine is compared with it
    const rowsThisRound = Object.fromEntries(
      engines.map((engine) => [engine.name, perEngine[engine.name].at(-1).rows]),
    );
    problems.push(...disagreements(rowsThisRound).map((p) => `run ${round}: ${p}`));
    for (const name of ['logstream', 'baseline']) {
      const counted = perEngine[name]?.at(-1).events;
      if (counted !== undefined && counted !== corpus.events) {
        problems.push(
          `run ${round}: ${name} counted ${counted} events, the corpus holds ${corpus.events}`,
        );
      }
    }
  }
  const result = {};
  for (const engine of engines) {
    const list = perEngine[engine.name];
    result[engine.name] = {
      label: engine.label,
      ...medians(list, corpus.events),
      runs: list.map((run) => pick(run, corpus.events)),
    };
  }
  const duckdbWall = result.duckdb.wall;
  for (const engine of engines)
    result[engine.name].ratioToDuckdb = result[engine.name].wall / duckdbWall;
  return {
    engines: result,
    totals: perEngine.logstream[0].rows,
    agree: problems.length === 0,
    problems,
  };
}

/**
 * Measurement (b): all six tasks, stdout to /dev/null, and DuckDB's query of (a) on the same
 * corpus in the same rounds (the target is a ratio of wall times, so both are measured in the
 * same minutes of the machine). With `baseline`, its build runs just before the current one in
 * every round; resolves with `{ current, duckdb, baseline? }`, each logstream build's figures
 * with `ratioToDuckdb`.
 */
export async function allTasks(corpus, { runs, log, baseline }) {
  const logstream = (name, label, cli) => ({
    name,
    label,
    run: () => measured(`logstream (${label})`, [cli, 'run', corpus.dir, '--once']),
  });
  const builds = [
    ...(baseline ? [logstream('baseline', `baseline ${baseline.short}`, baseline.cli)] : []),
    logstream('current', 'all tasks', CLI),
    { ...DUCKDB_ENGINE, run: () => DUCKDB_ENGINE.run(corpus.dir) },
  ];
  const perBuild = Object.fromEntries(builds.map((b) => [b.name, []]));
  for (let round = 1; round <= runs; round++) {
    for (const { name, label, run } of builds) {
      const measuredRun = await run();
      log(`  ${label} run ${round}/${runs}: ${summary(measuredRun, corpus.events)}`);
      perBuild[name].push(measuredRun);
    }
  }
  const summarize = (list) => ({
    ...medians(list, corpus.events),
    runs: list.map((run) => pick(run, corpus.events)),
  });
  const result = Object.fromEntries(builds.map((b) => [b.name, summarize(perBuild[b.name])]));
  for (const build of builds)
    result[build.name].ratioToDuckdb = result[build.name].wall / result.duckdb.wall;
  return result;
}

function pick(run, events) {
  return {
    wall: run.wall,
    user: run.user,
    sys: run.sys,
    cpu: run.cpu,
    rssMB: run.rssMB,
    eventsPerSecond: events / run.wall,
  };
}

function medians(list, events) {
  const runs = list.map((run) => pick(run, events));
  const m = (field) => median(runs.map((run) => run[field]));
  return {
    wall: m('wall'),
    user: m('user'),
    sys: m('sys'),
    cpu: m('cpu'),
    rssMB: m('rssMB'),
    eventsPerSecond: m('eventsPerSecond'),
  };
}

function summary(run, events) {
  const rate = events ? `, ${(events / run.wall / 1e6).toFixed(2)} M events/s` : '';
  return `${run.wall.toFixed(2)} s wall, ${run.cpu.toFixed(2)} s CPU, ${run.rssMB.toFixed(0)} MB${rate}`;
}
