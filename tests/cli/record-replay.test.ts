import { mkdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, writeAtomically } from '../support/cli.js';
import { type RunningCli, startCli, startGenerator, stopPromptly } from '../support/follow.js';
import { waitUntil } from '../support/wait.js';

/** The lines of a recording after its header, parsed. */
async function framesOf(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .slice(1)
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A new, empty source directory, and the path of a recording named `name` beside it. */
async function logsAndRecording(name: string): Promise<{ logs: string; recording: string }> {
  const dir = await tempDir();
  const logs = join(dir, 'logs');
  await mkdir(logs);
  return { logs, recording: join(dir, name) };
}

/** Starts `logstream <args>`, once it has created the recording it writes. */
async function startRecording(args: string[], recording: string): Promise<RunningCli> {
  const cli = startCli(args);
  await waitUntil(
    async () => (await stat(recording).catch(() => undefined)) !== undefined,
    'the recording',
  );
  return cli;
}

describe('logstream record and replay', () => {
  it('replays a followed directory with the records of the recorded run, processing time included, at --max and at a speed', async () => {
    const { logs, recording } = await logsAndRecording('run.lsrec');
    // Every task, Task 2 on the processing clock, and Task 5 cut into small batches: files a
    // second apart, Task 5's idle time, so whether it flushes between two files is decided
    // by the machine's timers, which the recording ticks.
    const options = ['--seed', '7', '--batch-size', '1500', '--clock', 'processing'];
    const run = await startRecording(['run', logs, '--record', recording, ...options], recording);
    const generator = startGenerator(logs, 6, '1s');
    expect((await generator.exited).code).toBe(0);
    await run.waitFor(
      (cli) => cli.records().filter((record) => record.task === 'running-average').length === 6,
      'every file read',
    );
    const recorded = await stopPromptly(run);
    expect(recorded.code).toBe(0);
    expect(recorded.stderr).toBe('');
    const frames = await framesOf(recording);
    expect(frames.filter((frame) => frame.type === 'batch')).toHaveLength(6);
    // Task 2's panes and Task 5's idle timer fired in the recorded run: each firing is there.
    const ticked = new Set(
      frames.filter((frame) => frame.type === 'tick').map((frame) => frame.task),
    );
    expect([...ticked].sort()).toEqual(['lazy-groups', 'sliding-window']);
    expect(frames.at(-1)?.type).toBe('end');
    const duration = frames.at(-1)!.at as number;

    const fast = await runCli(['replay', recording, '--max', ...options]);
    expect(fast.stderr).toBe('');
    expect(fast.code).toBe(0);
    expect(fast.stdout).toBe(recorded.stdout);
    // Task 5's idle flushes came from the recorded gaps between files, on the virtual clock.
    expect(fast.records.filter((record) => record.task === 'lazy-groups').length).toBeGreaterThan(
      2,
    );

    const started = performance.now();
    const paced = await runCli(['replay', recording, '--speed', '4', ...options]);
    // A lower bound only: the pace waits for the recorded gaps (a quarter of them) at least.
    expect(performance.now() - started).toBeGreaterThanOrEqual(duration / 4);
    expect(paced.stdout).toBe(recorded.stdout);
  });

  it('replays the processing-time window at its recorded arrival times, the same at any speed', async () => {
    const { logs, recording } = await logsAndRecording('run.lsrec');
    const record = await startRecording(['record', logs, '-o', recording], recording);
    expect((await startGenerator(logs, 3, '700ms').exited).code).toBe(0);
    await waitUntil(async () => (await framesOf(recording)).length >= 3, 'three batches recorded');
    const recorded = await stopPromptly(record);
    expect(recorded.stderr).toMatch(/^logstream: recorded 3 batches \(3000 events\)\n$/);
    const { startedAt } = JSON.parse((await readFile(recording, 'utf8')).split('\n')[0]!) as {
      startedAt: number;
    };
    const processing = [
      '--task',
      'sliding-window',
      '--clock',
      'processing',
      '--sliding-window',
      '2s',
    ];
    const fast = await runCli(['replay', recording, '--max', ...processing]);
    const paced = await runCli(['replay', recording, '--speed', '8', ...processing]);
    expect(fast.code).toBe(0);
    expect(paced.stdout).toBe(fast.stdout);
    // One record a second of the recording, its window ending at the recorded run's epoch
    // time, and one when the recording ends, for the pane it cut short.
    const ends = fast.records.map((record) => (record.windowEnd as number) - startedAt / 1000);
    const end = (await framesOf(recording)).at(-1)!;
    expect(end.type).toBe('end');
    const seconds = Array.from({ length: Math.floor((end.at as number) / 1000) }, (_, i) => i + 1);
    expect(ends.map((at) => Math.round(at * 1000))).toEqual([
      ...seconds.map((second) => second * 1000),
      end.at,
    ]);
    expect(fast.records.at(-1)?.total).toBeGreaterThan(0);
  });

  it('replays a recording cut short by SIGKILL up to its last complete batch, with one notice', async () => {
    const { logs, recording } = await logsAndRecording('killed.lsrec');
    const record = await startRecording(['record', logs, '-o', recording], recording);
    expect((await startGenerator(logs, 3, '100ms').exited).code).toBe(0);
    await waitUntil(async () => (await framesOf(recording)).length >= 3, 'three batches recorded');
    await record.stop('SIGKILL');

    const replayed = await runCli(['replay', recording, '--max', '--task', 'running-average']);
    expect(replayed.code).toBe(0);
    expect(replayed.records.map((record) => record.batch)).toEqual([1, 2, 3]);
    const notices = replayed.stderr.split('\n').filter((line) => line.length > 0);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /killed\.lsrec: cut short at line 5 \(no end frame.*after batch 3: replayed up to there$/,
    );

    // Killed in the middle of writing its last batch: that batch is left out.
    const { size } = await stat(recording);
    await truncate(recording, size - 10);
    const torn = await runCli(['replay', recording, '--max', '--task', 'running-average']);
    expect(torn.code).toBe(0);
    expect(torn.records.map((record) => record.batch)).toEqual([1, 2]);
    expect(torn.stderr).toMatch(
      /^logstream: .*killed\.lsrec: cut short at line 4 \(incomplete\), after batch 2: replayed up to there\n$/,
    );
  });

  it('replays a slice, and reports the recorded problems as the source did', async () => {
    const { logs, recording } = await logsAndRecording('slice.lsrec');
    const record = await startRecording(['record', logs, '-o', recording], recording);
    const event = (i: number) => ({
      service: 'api',
      timestamp: 1_700_000_000 + i,
      message: 'HTTP Status Code: 200',
    });
    await writeAtomically(logs, 'a.json', [event(1), event(2)]);
    await waitUntil(async () => (await framesOf(recording)).length >= 1, 'the first batch');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writeAtomically(logs, 'b.json', [event(3), { service: 'api' }]);
    await waitUntil(
      async () => (await framesOf(recording)).length >= 3,
      'the second batch and its problem',
    );
    expect((await stopPromptly(record)).code).toBe(0);
    const [, second] = (await framesOf(recording)).filter((frame) => frame.type === 'batch');

    const all = await runCli([
      'replay',
      recording,
      '--max',
      '--task',
      'running-average',
      '--strict',
    ]);
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/b\.json: 1 invalid event/);
    expect(all.records.map((record) => record.total)).toEqual([2, 3]);
    expect(all.records.map((record) => record.file)).toEqual(['a.json', 'b.json']);

    const from = `${(second!.at as number) - 1}ms`;
    const sliced = await runCli([
      'replay',
      recording,
      '--max',
      '--task',
      'running-average',
      '--from',
      from,
    ]);
    expect(sliced.records.map((record) => [record.batch, record.file])).toEqual([[2, 'b.json']]);
    const none = await runCli([
      'replay',
      recording,
      '--max',
      '--task',
      'running-average',
      '--to',
      from,
    ]);
    expect(none.records.map((record) => record.batch)).toEqual([1]);
  });

  it('refuses what is no recording, and options a replay cannot honour, in one line', async () => {
    const dir = await tempDir();
    const notRecording = join(dir, 'events.ndjson');
    await writeFile(notRecording, '{"service":"api"}\n');
    const cases: [string[], RegExp][] = [
      [
        ['replay', join(dir, 'missing.lsrec')],
        /^logstream: recording .*missing\.lsrec: no such file\n$/,
      ],
      [['replay', dir], /^logstream: recording .*: is a directory, not a recording\n$/],
      [
        ['replay', notRecording],
        /^logstream: recording .*events\.ndjson: not a logstream recording/,
      ],
      [
        ['replay', notRecording, '--speed', 'fast'],
        /^logstream: --speed: 'fast' is not a number > 0\n$/,
      ],
      [
        ['replay', notRecording, '--from', '5s', '--to', '1s'],
        /^logstream: replay: --to \(1s\) is before --from \(5s\)\n$/,
      ],
      [
        ['replay', notRecording, '--checkpoint', dir],
        /^logstream: replay: --checkpoint cannot be used/,
      ],
      [
        ['record', join(dir, 'nowhere'), '-o', join(dir, 'x.lsrec')],
        /^logstream: source .*nowhere': no such directory\n$/,
      ],
      [['record', dir], /required option '-o, --output <file>' not specified/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout).toBe('');
    }
    // A refused record leaves no recording behind.
    await expect(stat(join(dir, 'x.lsrec'))).rejects.toThrow();
  });
});
