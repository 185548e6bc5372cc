/**
 * The acceptance test of `run --checkpoint` (issue 10, "Done when"): runs killed with SIGKILL
 * at random moments while a writer adds files, restarted each time, end with the records and
 * the --forward file of one uninterrupted run. Kill timing varies from run to run; every
 * assertion holds for any timing.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createRandom, type Random } from '../../operators/random.js';
import {
  CLI,
  type NodeProcess,
  runCli,
  spawnNode,
  tempDir,
  writeAtomically,
} from '../support/cli.js';

/** Options every run of a scenario shares: a checkpoint is refused under other options. */
const BATCH_SIZE = 3000;
const TASK_OPTIONS = ['--seed', '7', '--batch-size', String(BATCH_SIZE)];
const KILLS = 20;
const SERVICES = ['auth', 'billing', 'inference', 'search', 'training'];
/** Statuses by weight; 500–504 are forwarded by the default Bloom patterns. */
const STATUSES = [200, 200, 200, 200, 200, 201, 204, 301, 404, 429, 500, 502, 503, 504];
const START_MS = 1_767_225_600_000;

// --- the writer -------------------------------------------------------------------------

type LogEvent = { service: string; timestamp: number; message: string };

/**
 * Events with distinct timestamps (so no two forwarded lines are equal): 7 ms apart, and now
 * and then one 40.003 s late (never a multiple of 7 ms, so never on another event's time).
 */
function eventMaker(random: Random): () => LogEvent {
  let index = 0;
  return () => {
    index += 1;
    const late = random() < 0.03;
    const service = SERVICES[Math.floor(random() * SERVICES.length)]!;
    const message =
      random() < 0.05
        ? 'Cache refreshed'
        : `HTTP Status Code: ${STATUSES[Math.floor(random() * STATUSES.length)]}`;
    return { service, timestamp: (START_MS + index * 7 - (late ? 40_003 : 0)) / 1000, message };
  };
}

/** One step of the writer: a whole `.json` file, or whole lines appended to an NDJSON file. */
type Step =
  | { readonly kind: 'json'; readonly name: string; readonly events: LogEvent[] }
  | { readonly kind: 'ndjson'; readonly name: string; readonly events: LogEvent[] };

/** The steps of a writer, all content fixed by `seed`; `ndjsonShare` of them append NDJSON. */
function writerSteps(seed: number, steps: number, ndjsonShare: number): Step[] {
  const random = createRandom(seed);
  const next = eventMaker(random);
  const plan: Step[] = [];
  let files = 0;
  for (let step = 0; step < steps; step++) {
    if (random() < ndjsonShare) {
      // Three streams; the third appears only a third of the way in.
      const streams = step < steps / 3 ? 2 : 3;
      const name = `stream-${Math.floor(random() * streams)}.ndjson`;
      const count = 5 + Math.floor(random() * 80);
      plan.push({ kind: 'ndjson', name, events: Array.from({ length: count }, next) });
    } else {
      files += 1;
      // Names sort by creation, as `logstream generate` writes them.
      const name = `events-${String(files).padStart(6, '0')}.json`;
      const count = 50 + Math.floor(random() * 350);
      plan.push({ kind: 'json', name, events: Array.from({ length: count }, next) });
    }
  }
  return plan;
}

/** Carries out `plan` in `dir`: `.json` files under a temporary name then renamed. */
async function write(
  dir: string,
  plan: readonly Step[],
  random: Random,
  pauseMs: [number, number],
) {
  for (const step of plan) {
    if (step.kind === 'json') {
      await writeAtomically(dir, step.name, step.events);
    } else {
      // Whole lines in one write: the reader may see them cut, never interleaved.
      const lines = step.events.map((event) => `${JSON.stringify(event)}\n`).join('');
      await appendFile(join(dir, step.name), lines);
    }
    await sleep(pauseMs[0] + random() * (pauseMs[1] - pauseMs[0]));
  }
}

// --- the runs ---------------------------------------------------------------------------

/** What one run printed: its complete stdout lines, and where it resumed from. */
interface RunLog {
  /** The checkpoint's batch when the run started (0: none yet). */
  readonly resumedFrom: number;
  /** Complete lines only: a killed run may have printed half a line. */
  readonly lines: readonly string[];
  readonly records: readonly Record<string, unknown>[];
  readonly stderr: string;
  readonly killed: boolean;
}

const running = new Set<NodeProcess>();
afterEach(() => {
  for (const cli of running) cli.child.kill('SIGKILL');
  running.clear();
});

async function checkpointBatch(checkpoint: string): Promise<number> {
  try {
    const saved = JSON.parse(await readFile(join(checkpoint, 'checkpoint.json'), 'utf8'));
    return saved.batch as number;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

function logOf(resumedFrom: number, stdout: string, stderr: string, killed: boolean): RunLog {
  const lines = stdout
    .slice(0, stdout.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.length > 0);
  const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { resumedFrom, lines, records, stderr, killed };
}

/**
 * Starts the following run `KILLS` times, each killed with SIGKILL at a random moment: half
 * the time so many ms after it started (perhaps before it has read anything), half the time
 * a little after it first printed (while it works).
 */
async function killRepeatedly(args: readonly string[], checkpoint: string, random: Random) {
  const runs: RunLog[] = [];
  for (let kill = 0; kill < KILLS; kill++) {
    const resumedFrom = await checkpointBatch(checkpoint);
    const cli = spawnNode([CLI, 'run', ...args]);
    running.add(cli);
    let exited = false;
    void cli.exited.then(() => {
      exited = true;
    });
    const afterStart = random() < 0.5;
    const delayMs = afterStart ? 150 + random() * 600 : random() * 300;
    if (!afterStart) {
      const deadline = Date.now() + 1500;
      while (cli.stdout() === '' && !exited && Date.now() < deadline) await sleep(10);
    }
    await sleep(delayMs);
    cli.child.kill('SIGKILL');
    const output = await cli.exited;
    running.delete(cli);
    // It must have died of the kill, not of an error of its own.
    expect(cli.child.signalCode, `run ${kill + 1} ended on its own:\n${output.stderr}`).toBe(
      'SIGKILL',
    );
    runs.push(logOf(resumedFrom, output.stdout, output.stderr, true));
  }
  return runs;
}

async function runToEnd(args: readonly string[], checkpoint?: string): Promise<RunLog> {
  const resumedFrom = checkpoint === undefined ? 0 : await checkpointBatch(checkpoint);
  const result = await runCli(['run', '--once', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return logOf(resumedFrom, result.stdout, result.stderr, false);
}

// --- what is checked --------------------------------------------------------------------

/**
 * The printed batch numbers never go backwards except to repeat the records after the last
 * checkpoint, and no batch is ever skipped:
 * - within a run, batch numbers never decrease;
 * - a resumed run starts right after its checkpoint (end-of-input records of a `--once` run
 *   that found nothing new carry the checkpoint's batch itself);
 * - a checkpoint never covers a batch whose records were not printed (at-least-once);
 * - every batch from 1 to the last is printed by some run (running-average prints each).
 */
function expectBatchesResume(runs: readonly RunLog[]): void {
  let printedUpTo = 0;
  const seen = new Set<number>();
  for (const [at, run] of runs.entries()) {
    const batches = run.records.map((record) => record.batch as number);
    const where = `run ${at + 1} (resumed from batch ${run.resumedFrom})`;
    for (let i = 1; i < batches.length; i++) {
      expect(batches[i]!, `${where}: batch numbers went backwards`).toBeGreaterThanOrEqual(
        batches[i - 1]!,
      );
    }
    expect(run.resumedFrom, `${where}: checkpoint past what was printed`).toBeLessThanOrEqual(
      printedUpTo,
    );
    if (batches.length > 0) {
      if (run.killed) expect(batches[0], where).toBe(run.resumedFrom + 1);
      else expect([run.resumedFrom, run.resumedFrom + 1], where).toContain(batches[0]);
      printedUpTo = Math.max(printedUpTo, batches.at(-1)!);
    }
    for (const record of run.records) {
      if (record.task === 'running-average') seen.add(record.batch as number);
    }
  }
  expect([...seen].sort((a, b) => a - b)).toEqual(
    Array.from({ length: printedUpTo }, (_, i) => i + 1),
  );
}

/** Every diagnostic of every run: none is expected from well-formed files. */
function expectQuiet(runs: readonly RunLog[]): void {
  expect(runs.map((run) => run.stderr).filter((stderr) => stderr !== '')).toEqual([]);
}

function allRecords(runs: readonly RunLog[]): Record<string, unknown>[] {
  return runs.flatMap((run) => [...run.records]);
}

function lastOf(records: readonly Record<string, unknown>[], task: string) {
  const last = records.filter((record) => record.task === task).at(-1);
  expect(last, `no ${task} record`).toBeDefined();
  return last!;
}

/** A record without where it was emitted (batch and file differ when reads are cut apart). */
function totalsOf(record: Record<string, unknown>): Record<string, unknown> {
  const {
    batch: _batch,
    file: _file,
    // The Bloom filter's counts of the last batch alone.
    batchChecked: _checked,
    batchForwarded: _forwarded,
    batchRatio: _ratio,
    ...totals
  } = record;
  return totals;
}

/**
 * What identifies a record across runs. `(task, batch)` is not enough for two tasks: Task 6
 * emits one record per closed window, so the window is part of it; Task 5's final totals at
 * the end of input come after the last batch under its number, beside the record of a batch
 * of `--batch-size` events that batch may have completed, so its event count is part of it.
 */
function keyOf(record: Record<string, unknown>): string {
  const which =
    record.task === 'keyed-windows'
      ? [record.service, record.windowStart]
      : record.task === 'lazy-groups'
        ? [record.events]
        : [];
  return JSON.stringify([record.task, record.batch, ...which]);
}

/**
 * Whether `record` is one a following run emits because its input has been quiet for a while:
 * Task 5's totals with its partial batch (an event count that is not a whole number of
 * batches). It depends on timing, so an uninterrupted `--once` run has no such record.
 */
function isIdleFlush(record: Record<string, unknown>): boolean {
  return (
    record.task === 'lazy-groups' &&
    (record.events as number) !== (record.batches as number) * BATCH_SIZE
  );
}

/** The lines of `runs` by {@link keyOf}, checking that every repeat is the same line. */
function deduplicated(runs: readonly RunLog[]): Map<string, string> {
  const byKey = new Map<string, string>();
  for (const run of runs) {
    for (const [at, line] of run.lines.entries()) {
      if (run.killed && isIdleFlush(run.records[at]!)) continue;
      const key = keyOf(run.records[at]!);
      const before = byKey.get(key);
      if (before !== undefined) expect(line, `repeated ${key}`).toBe(before);
      byKey.set(key, line);
    }
  }
  return byKey;
}

async function linesOf(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((line) => line.length > 0);
}

/** The output file of the killed runs holds each line of the uninterrupted run's once. */
async function expectWrittenOnce(output: string, uninterrupted: string, inOrder: boolean) {
  const killed = await linesOf(output);
  const expected = await linesOf(uninterrupted);
  expect(expected.length).toBeGreaterThan(0);
  expect(new Set(killed).size, `a line of ${output} written twice`).toBe(killed.length);
  if (inOrder) expect(killed).toEqual(expected);
  else expect([...killed].sort()).toEqual([...expected].sort());
}

/**
 * One scenario: `plan` written while the following run is killed and restarted, a last `--once`
 * run from the checkpoint, and an uninterrupted `--once` run over the same files; checks what
 * holds for every scenario.
 */
async function killedAndUninterrupted(
  plan: readonly Step[],
  random: Random,
  pauseMs: [number, number],
) {
  const [dir, checkpoint, outputs] = [await tempDir(), await tempDir(), await tempDir()];
  const forward = join(outputs, 'forward.ndjson');
  const late = join(outputs, 'late.ndjson');
  const follow = [dir, '--checkpoint', checkpoint, '--checkpoint-interval', '50ms'];
  const shared = ['--forward', forward, '--late-output', late, ...TASK_OPTIONS];

  const writing = write(dir, plan, random, pauseMs);
  const killed = await killRepeatedly([...follow, ...shared], checkpoint, random);
  await writing;
  const last = await runToEnd([dir, '--checkpoint', checkpoint, ...shared], checkpoint);
  const runs = [...killed, last];

  const whole = join(outputs, 'whole.ndjson');
  const wholeLate = join(outputs, 'whole-late.ndjson');
  const uninterrupted = await runToEnd([
    dir,
    '--forward',
    whole,
    '--late-output',
    wholeLate,
    ...TASK_OPTIONS,
  ]);

  expectQuiet([...runs, uninterrupted]);
  // The kills did not all come before the first checkpoint.
  expect(killed.some((run) => run.resumedFrom > 0)).toBe(true);
  expectBatchesResume(runs);
  return { checkpoint, forward, whole, late, wholeLate, last, runs, uninterrupted };
}

// --- the scenarios ----------------------------------------------------------------------

describe('run --checkpoint, killed with SIGKILL 20 times and restarted', () => {
  it('with a writer of .json files and NDJSON appends: Tasks 1, 4 and 5 end as one uninterrupted run, each event forwarded once', async () => {
    const { forward, whole, runs, uninterrupted } = await killedAndUninterrupted(
      writerSteps(1, 160, 0.4),
      createRandom(2024),
      [30, 90],
    );
    const records = allRecords(runs);
    for (const task of ['running-average', 'bloom', 'lazy-groups']) {
      expect(totalsOf(lastOf(records, task)), task).toEqual(
        totalsOf(lastOf(uninterrupted.records, task)),
      );
    }
    await expectWrittenOnce(forward, whole, false);
    expect(await linesOf(forward)).toHaveLength(
      lastOf(uninterrupted.records, 'bloom').forwarded as number,
    );
  }, 60_000);

  it('with a writer of whole .json files only: every task, records and all, as one uninterrupted run, each late event written once', async () => {
    // Files well apart: the watcher may tell of files made a few ms apart out of order, and
    // a following run reads new files in the order it is told of them.
    const { checkpoint, forward, whole, late, wholeLate, last, runs, uninterrupted } =
      await killedAndUninterrupted(writerSteps(2, 120, 0), createRandom(4048), [40, 120]);

    // The key tells records apart: an uninterrupted run prints each key once.
    const expected = deduplicated([uninterrupted]);
    expect(expected.size).toBe(uninterrupted.lines.length);
    // Repeats are the same lines; together the runs printed what the uninterrupted one did.
    const printed = deduplicated(runs);
    expect([...printed.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, line] of expected) expect(printed.get(key), key).toBe(line);

    // Said again task by task, for a plain failure message: the final records.
    const records = allRecords(runs);
    const finalBatch = lastOf(uninterrupted.records, 'running-average').batch;
    expect(await checkpointBatch(checkpoint)).toBe(finalBatch);
    for (const task of ['running-average', 'sliding-window', 'reservoir', 'bloom', 'lazy-groups']) {
      expect(lastOf(records, task), task).toEqual(lastOf(uninterrupted.records, task));
    }
    // Task 6: the windows still open at the end of input, emitted after the last batch.
    const openWindows = (list: readonly Record<string, unknown>[]) =>
      list.filter((record) => record.task === 'keyed-windows' && record.batch === finalBatch);
    expect(openWindows(uninterrupted.records).length).toBeGreaterThan(0);
    expect(openWindows(last.records)).toEqual(openWindows(uninterrupted.records));

    await expectWrittenOnce(forward, whole, true);
    // Task 6's late events (40 s behind, past the 30 s watermark), in the order they came.
    await expectWrittenOnce(late, wholeLate, true);
  }, 60_000);
});

describe('run --once --checkpoint again with nothing new', () => {
  it('prints only the end-of-input records, as the first run did, under the same batch and file', async () => {
    const [dir, checkpoint, outputs] = [await tempDir(), await tempDir(), await tempDir()];
    await write(dir, writerSteps(5, 4, 0), createRandom(1), [0, 0]);
    const forward = join(outputs, 'forward.ndjson');
    const args = ['run', '--once', dir, '--checkpoint', checkpoint, '--forward', forward];
    const first = await runCli([...args, ...TASK_OPTIONS]);
    expect(first.code, first.stderr).toBe(0);
    const forwarded = await readFile(forward, 'utf8');

    const again = await runCli([...args, ...TASK_OPTIONS]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    // Task 5's final totals, then Task 6's open windows: what the end of input emits.
    const atEnd = first.records.slice(
      first.records.lastIndexOf(lastOf(first.records, 'lazy-groups')),
    );
    expect(atEnd.map((record) => record.task)).toContain('keyed-windows');
    expect(again.records).toEqual(atEnd);
    expect(await readFile(forward, 'utf8')).toBe(forwarded);
  });
});

// --- refusals ---------------------------------------------------------------------------

describe('run --checkpoint refuses a checkpoint it cannot use: one line, exit 2', () => {
  /** A directory of two files, and a checkpoint and --forward file of one run over it. */
  async function checkpointed() {
    const [dir, checkpoint, outputs] = [await tempDir(), await tempDir(), await tempDir()];
    const plan = writerSteps(3, 2, 0);
    await write(dir, plan, createRandom(1), [0, 0]);
    const forward = join(outputs, 'forward.ndjson');
    const args = [dir, '--checkpoint', checkpoint, '--forward', forward, ...TASK_OPTIONS];
    const first = await runCli(['run', '--once', ...args]);
    expect(first.code, first.stderr).toBe(0);
    const file = join(checkpoint, 'checkpoint.json');
    return { args, file, forward };
  }

  /** Runs again with `extra`; expects one line and exit 2, and both files left as they were. */
  async function expectRefused(
    setup: Awaited<ReturnType<typeof checkpointed>>,
    extra: readonly string[] = [],
  ): Promise<string> {
    const checkpointBefore = await readFile(setup.file);
    const forwardBefore = await readFile(setup.forward);
    const result = await runCli(['run', '--once', ...setup.args, ...extra]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n').filter((line) => line.length > 0);
    expect(lines).toHaveLength(1);
    expect(await readFile(setup.file)).toEqual(checkpointBefore);
    expect(await readFile(setup.forward)).toEqual(forwardBefore);
    return lines[0]!;
  }

  it('a checkpoint of another format version', async () => {
    const setup = await checkpointed();
    const saved = JSON.parse(await readFile(setup.file, 'utf8'));
    await writeFile(setup.file, JSON.stringify({ ...saved, version: 2 }));
    expect(await expectRefused(setup)).toBe(
      `logstream: checkpoint ${setup.file}: format version 2, this build reads version 1`,
    );
  });

  it('other task options: the line names the option', async () => {
    const setup = await checkpointed();
    const line = await expectRefused(setup, ['--sliding-window', '30s']);
    expect(line).toMatch(/^logstream: checkpoint .*checkpoint\.json: taken with other options/);
    expect(line).toMatch(/sliding-window.*windowSeconds: 60 and 30/);
    expect(await expectRefused(setup, ['--reservoir-size', '10'])).toMatch(
      /reservoir.*capacity: 1000 and 10/,
    );
  });

  it('other tasks, or another --forward file', async () => {
    const setup = await checkpointed();
    expect(await expectRefused(setup, ['--task', 'bloom'])).toMatch(
      /taken with --task running-average,.*keyed-windows, this run asks for bloom$/,
    );
    const other = join(await tempDir(), 'other.ndjson');
    expect(await expectRefused(setup, ['--forward', other])).toMatch(
      /taken with --forward .*forward\.ndjson, this run has --forward .*other\.ndjson$/,
    );
  });

  it('a corrupt checkpoint: truncated, or valid JSON with a bad field; the line names the file', async () => {
    const setup = await checkpointed();
    const text = await readFile(setup.file, 'utf8');
    const corruptions = [
      text.slice(0, Math.floor(text.length / 2)),
      JSON.stringify({ ...JSON.parse(text), batch: 'three' }),
      JSON.stringify({ ...JSON.parse(text), files: [{ name: 'x.json', kind: 'json' }] }),
    ];
    for (const corrupt of corruptions) {
      await writeFile(setup.file, corrupt);
      const line = await expectRefused(setup);
      expect(line.startsWith(`logstream: checkpoint ${setup.file}: corrupt (`), line).toBe(true);
    }
    // A task's state with a bad field: said to be bad, not to be of other options.
    const saved = JSON.parse(text);
    saved.states[0].state.successes = '!not base64!';
    await writeFile(setup.file, JSON.stringify(saved));
    const line = await expectRefused(setup);
    expect(line).toContain(`checkpoint ${setup.file}: `);
    expect(line).toContain('running-average state: successes is not base64');
    expect(line).not.toContain('other options');
  });

  it('standard input as the source', async () => {
    const checkpoint = await tempDir();
    const result = await runCli(['run', '--once', '-', '--checkpoint', checkpoint], {
      input: '{"service":"a","timestamp":1,"message":"HTTP Status Code: 200"}\n',
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'logstream: --checkpoint: needs a directory source (standard input cannot be read again)',
    ]);
  });
});
