/**
 * The suite's results as tables: one list of sections that is printed as aligned text and
 * written as Markdown, so the console and the README show the same figures.
 */

export const TARGETS = {
  groupsRatio: 0.5,
  allTasksRatio: 1.0,
  latencyP99Ms: 100,
  rssMB: 200,
  rssGrowth: 0.1,
  bloomLookupsPerSecond: 10e6,
  scannerMBPerSecond: 600,
  checkpointRatio: 1.05,
  recordRatio: 1.1,
  replayRatio: 1.0,
  followRssRatio: 1.5,
};

const count = (n) => n.toLocaleString('en-US');
const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const millions = (n, digits = 2) => (Number.isFinite(n) ? `${(n / 1e6).toFixed(digits)} M` : '—');
const thousands = (n) => (Number.isFinite(n) ? `${(n / 1e3).toFixed(1)} k` : '—');
const size = (events) =>
  events >= 1e6 && events % 1e5 === 0 ? `${events / 1e6}M` : `${events / 1e3}k`;
const verdict = (pass) => (pass === undefined ? 'n/a' : pass ? 'PASS' : 'MISS');

/** The targets with their values and verdicts, from the results. */
export function evaluateTargets(results) {
  const targets = [];
  const add = (id, figure, value, target, pass) =>
    targets.push({ id, figure, value, target, pass });
  const { groups, allTasks, latency, memory, micro, checkpoint, manyFiles, recording } = results;
  if (groups) {
    const ratio = groups.engines.logstream.ratioToDuckdb;
    add(
      'a',
      'Task 5 wall time / DuckDB wall time',
      `${fixed(ratio, 2)}×`,
      `≤ ${TARGETS.groupsRatio}×`,
      ratio <= TARGETS.groupsRatio,
    );
  }
  if (allTasks) {
    const ratio = allTasks.ratioToDuckdb;
    add(
      'b',
      'all six tasks wall time / DuckDB wall time',
      `${fixed(ratio, 2)}×`,
      `≤ ${TARGETS.allTasksRatio}×`,
      ratio <= TARGETS.allTasksRatio,
    );
  }
  if (latency) {
    const pass = latency.p99 <= TARGETS.latencyP99Ms && latency.lost === 0;
    add(
      'c',
      'follow mode, rename → first record, p99',
      `${fixed(latency.p99, 1)} ms`,
      `≤ ${TARGETS.latencyP99Ms} ms`,
      pass,
    );
  }
  for (const row of memory ?? []) {
    for (const [key, label] of [
      ['groups', 'Task 5'],
      ['allTasks', 'all tasks'],
    ]) {
      const rss = row[key]?.rssMB;
      if (rss === undefined) continue;
      add(
        'd',
        `peak RSS, ${label}, ${size(row.events)} events`,
        `${fixed(rss, 0)} MB`,
        `≤ ${TARGETS.rssMB} MB`,
        rss <= TARGETS.rssMB,
      );
    }
  }
  // The wall-time targets of (a) and (b) at the larger corpora of (d) as well.
  for (const row of memory ?? []) {
    if (row.events < 5e6) continue;
    const inAB = row.events === results.corpus?.events;
    for (const [key, label, target, shown] of [
      ['groups', 'Task 5', TARGETS.groupsRatio, inAB && groups],
      ['allTasks', 'all six tasks', TARGETS.allTasksRatio, inAB && allTasks],
    ]) {
      const ratio = row[key]?.ratioToDuckdb;
      // Already a target of (a) or (b).
      if (ratio === undefined || shown) continue;
      add(
        'd',
        `${label} wall time / DuckDB wall time, ${size(row.events)} events`,
        `${fixed(ratio, 2)}×`,
        `≤ ${target}×`,
        ratio <= target,
      );
    }
  }
  const at = (events) => memory?.find((row) => row.events === events);
  const [from, to] = [at(5e6), at(2e7)];
  if (memory && from && to) {
    for (const [key, label] of [
      ['groups', 'Task 5'],
      ['allTasks', 'all tasks'],
    ]) {
      const growth = to[key].rssMB / from[key].rssMB - 1;
      add(
        'd',
        `peak RSS growth 5M → 20M, ${label}`,
        `${growth >= 0 ? '+' : ''}${fixed(growth * 100, 0)} %`,
        `within ${TARGETS.rssGrowth * 100} %`,
        Math.abs(growth) <= TARGETS.rssGrowth,
      );
    }
  } else if (memory) {
    add(
      'd',
      'peak RSS growth 5M → 20M (--sizes without 5e6 and 2e7)',
      'not measured',
      `within ${TARGETS.rssGrowth * 100} %`,
      undefined,
    );
  }
  if (micro?.bloom) {
    const rate = micro.bloom.logstream.lookupsPerSecond;
    add(
      'e',
      'Bloom lookups per second (logstream)',
      millions(rate),
      `≥ ${millions(TARGETS.bloomLookupsPerSecond, 0)}`,
      rate >= TARGETS.bloomLookupsPerSecond,
    );
  }
  if (micro?.scanner) {
    const rate = micro.scanner.target.scanner.mbPerSecond;
    add(
      'e',
      `byte scanner, MB/s per core (${micro.scanner.target.name})`,
      `${fixed(rate, 0)} MB/s`,
      `≥ ${TARGETS.scannerMBPerSecond} MB/s`,
      rate >= TARGETS.scannerMBPerSecond,
    );
  }
  if (checkpoint) {
    const { ratio } = checkpoint.variants.checkpoint;
    add(
      'f',
      `checkpoint overhead: wall with / without --checkpoint (interval ${checkpoint.interval})`,
      `${fixed(ratio, 3)}×`,
      `≤ ${TARGETS.checkpointRatio}×`,
      ratio <= TARGETS.checkpointRatio,
    );
  }
  if (manyFiles) {
    const { ratio, follow, once } = manyFiles;
    add(
      'g',
      `peak RSS following ${count(manyFiles.files)} files / run --once`,
      `${fixed(ratio, 2)}× (${fixed(follow.rssMB, 0)} / ${fixed(once.rssMB, 0)} MB)`,
      `≤ ${TARGETS.followRssRatio}×`,
      ratio <= TARGETS.followRssRatio,
    );
  }
  if (recording) {
    const { record, replay } = recording.variants;
    add(
      'i',
      'recording overhead: wall with / without --record',
      `${fixed(record.ratio, 3)}×`,
      `≤ ${TARGETS.recordRatio}×`,
      record.ratio <= TARGETS.recordRatio,
    );
    add(
      'i',
      `replay --max / run --once wall, same records (${recording.identical ? 'identical' : 'DIFFERENT'})`,
      `${fixed(replay.ratio, 3)}×`,
      `< ${TARGETS.replayRatio}×`,
      recording.identical && replay.ratio < TARGETS.replayRatio,
    );
  }
  return targets;
}

/**
 * A table row of a variant measured round by round against `base` (interleavedFigures in
 * stats.js): its medians, `extra` cells, then its ratios to the base (1× for the base itself).
 */
function interleavedRow(figures, base, extra = []) {
  const ratio = (value) => (figures === base ? '1×' : `${fixed(value, 3)}×`);
  return [
    figures.label,
    fixed(figures.wall, 2),
    fixed(figures.cpu, 2),
    fixed(figures.rssMB, 0),
    millions(figures.eventsPerSecond),
    ...extra,
    ratio(figures.ratio),
    ratio(figures.pairedRatio),
  ];
}

/** The sections of the report: `{ title, note?, headers, align, rows }`. */
export function buildSections(results) {
  const sections = [];
  const { options, groups, allTasks, latency, memory, micro, corpus, baseline } = results;
  const { checkpoint, manyFiles, scaleOut, recording } = results;
  const runs = `median of ${options.runs} run${options.runs === 1 ? '' : 's'}`;

  if (groups) {
    const task = results.task5;
    const fallback =
      task === 'lazy-groups'
        ? ''
        : ' (lazy-groups is not in this build: running-average gives the same totals)';
    const engines = groups.engines.baseline
      ? ['logstream', 'baseline', 'duckdb', 'polars']
      : ['logstream', 'duckdb', 'polars'];
    const across = groups.engines.baseline
      ? 'the three engines and the baseline build'
      : 'the three engines';
    sections.push({
      title: `(a) Task 5 totals over ${count(corpus.events)} events: logstream vs DuckDB vs Polars, ${runs}`,
      note: `Per-service successes and totals ${groups.agree ? `agree exactly across ${across}` : 'DISAGREE'}${fallback}.`,
      headers: ['engine', 'wall s', 'CPU s', 'peak RSS MB', 'events/s', '× DuckDB wall'],
      align: 'lrrrrr',
      rows: engines.map((name) => {
        const e = groups.engines[name];
        return [
          e.label,
          fixed(e.wall, 2),
          fixed(e.cpu, 2),
          fixed(e.rssMB, 0),
          millions(e.eventsPerSecond),
          `${fixed(e.ratioToDuckdb, 2)}×`,
        ];
      }),
    });
  }
  if (allTasks) {
    const row = (label, figures) => [
      label,
      fixed(figures.wall, 2),
      fixed(figures.cpu, 2),
      fixed(figures.rssMB, 0),
      millions(figures.eventsPerSecond),
      `${fixed(figures.ratioToDuckdb, 2)}×`,
    ];
    const before = baseline?.allTasks?.figures;
    sections.push({
      title: `(b) all six tasks over ${count(corpus.events)} events (stdout to /dev/null) and DuckDB's query of (a), ${runs}, runs interleaved`,
      headers: ['command', 'wall s', 'CPU s', 'peak RSS MB', 'events/s', '× DuckDB wall'],
      align: 'lrrrrr',
      rows: [
        row('logstream run --once', allTasks),
        ...(before ? [row(`baseline ${baseline.short}: logstream run --once`, before)] : []),
        ...(results.allTasksDuckdb
          ? [row('DuckDB read_json + GROUP BY', results.allTasksDuckdb)]
          : []),
      ],
    });
  }
  if (baseline?.groups || baseline?.allTasks) sections.push(baselineSection(results, runs));
  if (latency) {
    sections.push({
      title: `(c) follow mode: ${latency.files} files of 1,000 events dropped ${latency.intervalMs} ms apart, rename → first record on stdout, ${runs}`,
      headers: ['p50 ms', 'p99 ms', 'max ms', 'lost'],
      align: 'rrrr',
      rows: [
        [fixed(latency.p50, 1), fixed(latency.p99, 1), fixed(latency.max, 1), String(latency.lost)],
      ],
    });
  }
  if (memory?.length) {
    sections.push({
      title: `(d) peak RSS (MB) and wall time by corpus size, ${runs}`,
      headers: [
        'events',
        'Task 5 MB',
        'all tasks MB',
        'DuckDB MB',
        'Polars MB',
        'Task 5 s',
        'all tasks s',
        'DuckDB s',
        'Polars s',
      ],
      align: 'lrrrrrrrr',
      rows: memory.map((row) => [
        count(row.events),
        fixed(row.groups?.rssMB, 0),
        fixed(row.allTasks?.rssMB, 0),
        fixed(row.duckdb?.rssMB, 0),
        fixed(row.polars?.rssMB, 0),
        fixed(row.groups?.wall, 2),
        fixed(row.allTasks?.wall, 2),
        fixed(row.duckdb?.wall, 2),
        fixed(row.polars?.wall, 2),
      ]),
    });
  }
  if (micro?.bloom || micro?.reservoir || micro?.scanner) {
    const rows = [];
    if (micro.bloom) {
      const b = micro.bloom;
      const what = `n = ${count(b.items)}, p = ${b.targetFalsePositiveRate}`;
      rows.push([
        `Bloom lookups/s, logstream BloomFilter (${what})`,
        millions(b.logstream.lookupsPerSecond),
        `FP rate ${fixed(b.logstream.falsePositiveRate * 100, 2)} %`,
      ]);
      rows.push([
        `Bloom lookups/s, bloom-filters ${results.machine.bloomFilters} (${what})`,
        millions(b.bloomFilters.lookupsPerSecond, 3),
        `FP rate ${fixed(b.bloomFilters.falsePositiveRate * 100, 2)} %`,
      ]);
    }
    if (micro.reservoir) {
      const r = micro.reservoir;
      const what = `${count(r.items)} items, k = ${count(r.capacity)}`;
      rows.push([
        `reservoir items/s, reservoirSample, Algorithm L (${what})`,
        millions(r.logstream.itemsPerSecond, 0),
        `most common ${r.logstream.mostCommon}`,
      ]);
      rows.push([
        `reservoir items/s, plain Algorithm R (${what})`,
        millions(r.algorithmR.itemsPerSecond, 0),
        `most common ${r.algorithmR.mostCommon}`,
      ]);
    }
    if (micro.scanner) {
      const m = micro.scanner;
      for (const row of m.rows) {
        for (const [path, figures] of [
          ['scanner', row.scanner],
          ['general path (JSON.parse + validate)', row.general],
        ]) {
          rows.push([
            `${path}, ${row.name} (${count(m.events)} events in memory), MB/s per core`,
            `${fixed(figures.mbPerSecond, 0)} MB/s`,
            `${millions(figures.eventsPerSecond)} events/s`,
          ]);
        }
      }
    }
    sections.push({
      title: `(e) micro benchmarks, ${runs}`,
      headers: ['measure', 'per second', 'check'],
      align: 'lrl',
      rows,
    });
  }
  if (checkpoint) {
    const { plain, ...checkpointed } = checkpoint.variants;
    const row = (figures) => interleavedRow(figures, plain, [fixed(figures.checkpointKB, 0)]);
    sections.push({
      title: `(f) checkpoint overhead: all six tasks over ${count(corpus.events)} events, ${runs}, runs interleaved`,
      note: `Each checkpointed run starts from a fresh, empty --checkpoint directory, so it reads every file; its checkpoint at exit names the last batch. One checkpoint at most every interval (${checkpoint.interval} by default) while reading, one more at exit. "× without" is median wall / median wall without; "paired" the median of each round's ratio.`,
      headers: [
        'command',
        'wall s',
        'CPU s',
        'peak RSS MB',
        'events/s',
        'checkpoint kB',
        '× without',
        'paired',
      ],
      align: 'lrrrrrrr',
      rows: [plain, ...Object.values(checkpointed)].map(row),
    });
  }
  if (manyFiles) {
    const row = (label, figures) => [
      label,
      fixed(figures.rssMB, 0),
      fixed(figures.wall, 2),
      fixed(figures.cpu, 2),
    ];
    sections.push({
      title: `(g) peak RSS over ${count(manyFiles.files)} files of ${manyFiles.eventsPerFile} events, --task ${manyFiles.task}, ${runs}`,
      note: `Following: \`logstream run <dir>\`, stopped with SIGTERM once the record of batch ${count(manyFiles.files)} is on stdout (wall: until that record). Following / --once peak RSS: ${fixed(manyFiles.ratio, 2)}×.`,
      headers: ['command', 'peak RSS MB', 'wall s', 'CPU s'],
      align: 'lrrr',
      rows: [
        row('logstream run <dir> (following)', manyFiles.follow),
        row('logstream run <dir> --once', manyFiles.once),
      ],
    });
  }
  if (recording) {
    const { plain } = recording.variants;
    const row = (figures) => interleavedRow(figures, plain);
    sections.push({
      title: `(i) record and replay: all six tasks over ${count(corpus.events)} events, ${runs}, runs interleaved`,
      note: `The recording: ${fixed(recording.recordingMB, 1)} MB, ${fixed(recording.bytesPerEvent, 1)} bytes an event. The replay's records are ${recording.identical ? 'identical to' : 'DIFFERENT from'} the recorded run's (sha-256 of stdout, --seed 1). "× run --once" is median wall / median wall of run --once; "paired" the median of each round's ratio.`,
      headers: ['command', 'wall s', 'CPU s', 'peak RSS MB', 'events/s', '× run --once', 'paired'],
      align: 'lrrrrrr',
      rows: Object.values(recording.variants).map(row),
    });
  }
  if (scaleOut) {
    sections.push({
      title: `(h) scale-out: ${count(scaleOut.events)} events through a local three-node JetStream cluster, ${runs} of each group size`,
      note: `All on this one machine (${results.machine.cores} cores shared by the three NATS nodes, the workers and the publisher): more workers add parallelism only up to its cores. A group's time runs from its workers' start until every partition's stored state covers its last event; each group's merged Task 5 counts every event.`,
      headers: ['stage', 'wall s', 'events/s', '× 1 worker wall'],
      align: 'lrrr',
      rows: [
        [
          'publish --once (one run)',
          fixed(scaleOut.publish.wall, 1),
          thousands(scaleOut.publish.eventsPerSecond),
          '',
        ],
        ...scaleOut.groups.map((g) => [
          `${g.workers} worker${g.workers === 1 ? '' : 's'} (all six tasks)`,
          fixed(g.wall, 1),
          thousands(g.eventsPerSecond),
          `${fixed(g.ratio, 2)}×`,
        ]),
      ],
    });
  }
  sections.push({
    title: 'Targets',
    headers: ['', 'figure', 'value', 'target', 'result'],
    align: 'llrrl',
    rows: results.targets.map((t) => [`(${t.id})`, t.figure, t.value, t.target, verdict(t.pass)]),
  });
  return sections;
}

/**
 * The current build against the `--baseline` commit's, for (a) and (b): their median wall
 * times, measured in the same run with the two builds' runs interleaved, and the ratio.
 */
function baselineSection({ baseline, machine, task5 }, runs) {
  const row = (label, figures) => [
    label,
    fixed(figures.baselineWall, 2),
    fixed(figures.currentWall, 2),
    `${fixed(figures.ratio, 2)}×`,
  ];
  const rows = [];
  if (baseline.groups) {
    const tasks = baseline.task5 === task5 ? task5 : `${task5}; baseline: ${baseline.task5}`;
    rows.push(row(`(a) Task 5 (${tasks})`, baseline.groups));
  }
  if (baseline.allTasks) rows.push(row('(b) all six tasks', baseline.allTasks));
  return {
    title: `current vs baseline: wall time of (a) and (b), ${runs}, runs interleaved baseline, current`,
    note: `Baseline: ${baseline.ref} = ${baseline.short} (${baseline.subject}), built in bench/.baseline/${baseline.short}/; current: dist/ of the working tree (${machine.logstream}). Below 1× the current build is faster.`,
    headers: ['measurement', `baseline ${baseline.short} s`, 'current s', 'current / baseline'],
    align: 'lrrr',
    rows,
  };
}

export function machineLine(machine) {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}; logstream ${machine.logstream}, DuckDB ${machine.duckdb}, nodejs-polars ${machine.polars}; ${machine.date}`;
}

/** The sections as aligned plain text. */
export function toText(sections) {
  return sections
    .map(({ title, note, headers, align, rows }) => {
      const widths = headers.map((header, i) =>
        Math.max(header.length, ...rows.map((row) => row[i].length)),
      );
      const line = (cells) =>
        cells
          .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
          .join('  ')
          .trimEnd();
      const rule = widths.map((w) => '-'.repeat(w)).join('  ');
      return [title, ...(note ? [note] : []), line(headers), rule, ...rows.map(line)].join('\n');
    })
    .join('\n\n');
}

/** The sections as Markdown tables. */
export function toMarkdown(sections, machine) {
  const escapeCell = (cell) => cell.replaceAll('|', '\\|');
  const body = sections.map(({ title, note, headers, align, rows }) => {
    const row = (cells) => `| ${cells.map(escapeCell).join(' | ')} |`;
    const rule = `|${[...align].map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`;
    return [
      `**${title}**`,
      '',
      ...(note ? [note, ''] : []),
      row(headers),
      rule,
      ...rows.map(row),
    ].join('\n');
  });
  const load = `load average ${machine.loadAverage.join(' ')} (1, 5, 15 min) at the start`;
  return [`Measured on ${machineLine(machine)}; ${load}.`, ...body].join('\n\n').concat('\n');
}
