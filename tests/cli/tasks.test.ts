import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { event, REPO, recordsOf, runCli, tempDir, writeLogFile } from '../support/cli.js';
import { startCli } from '../support/follow.js';

describe('logstream run: the seed tests through the command line', () => {
  it('Task 2: failures in the last 60 s, window [T-60, T]', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'a.json', [event('api', 30, 200), event('api', 90, 500)], 1);
    await writeLogFile(dir, 'b.json', [event('api', 100, 503)], 2);
    await writeLogFile(dir, 'c.json', [event('api', 155, 504)], 3);
    const result = await runCli(['run', dir, '--once', '--task', 'sliding-window']);
    expect(result.code).toBe(0);
    const windows = recordsOf(result, 'sliding-window').map(
      ({ batch, file, failures, windowStart, windowEnd }) => ({
        batch,
        file,
        failures,
        windowStart,
        windowEnd,
      }),
    );
    expect(windows).toEqual([
      { batch: 1, file: 'a.json', failures: 1, windowStart: 30, windowEnd: 90 },
      { batch: 2, file: 'b.json', failures: 2, windowStart: 40, windowEnd: 100 },
      { batch: 3, file: 'c.json', failures: 2, windowStart: 95, windowEnd: 155 },
    ]);
  });

  it('Task 4: 8192 bits, 3 hashes, a 200 and a 500 give batchRatio 0.5 and forward the 500', async () => {
    const dir = await tempDir();
    const patterns = join(dir, 'patterns.txt');
    const forward = join(dir, 'forwarded.ndjson');
    await writeFile(patterns, 'HTTP Status Code: 500\nSomething else\n');
    const logs = join(dir, 'logs');
    await mkdir(logs);
    const fiveHundred = {
      service: 'api',
      timestamp: 2,
      message: 'HTTP Status Code: 500',
      requestId: 'r-2',
    };
    await writeLogFile(logs, 'batch.json', [event('api', 1, 200), fiveHundred]);
    const args = ['run', logs, '--once', '--task', 'bloom', '--bloom-patterns', patterns];
    const result = await runCli([
      ...args,
      '--bloom-bits',
      '8192',
      '--bloom-hashes',
      '3',
      '--forward',
      forward,
    ]);
    expect(result.code).toBe(0);
    expect(recordsOf(result, 'bloom')).toEqual([
      expect.objectContaining({
        bits: 8192,
        hashes: 3,
        checked: 2,
        forwarded: 1,
        batchRatio: 0.5,
        ratio: 0.5,
      }),
    ]);
    // The event is forwarded as it arrived, extra fields included.
    expect(await readFile(forward, 'utf8')).toBe(`${JSON.stringify(fiveHundred)}\n`);
  });

  it('Task 4: a filter saved by `bloom build` is loaded by --bloom-filter and answers the same', async () => {
    const dir = await tempDir();
    const patterns = join(dir, 'patterns.txt');
    const filter = join(dir, 'interesting.bloom');
    await writeFile(patterns, 'HTTP Status Code: 500\r\nHTTP Status Code: 503\r\n\r\n');
    const built = await runCli([
      'bloom',
      'build',
      patterns,
      '-o',
      filter,
      '--bloom-fp-rate',
      '0.001',
    ]);
    expect(built.code).toBe(0);
    expect(built.stderr).toMatch(/wrote .*interesting\.bloom/);
    const fromPatterns = await runCli([
      'run',
      'data',
      '--once',
      '--task',
      'bloom',
      '--bloom-patterns',
      patterns,
      '--bloom-fp-rate',
      '0.001',
    ]);
    const fromFile = await runCli([
      'run',
      'data',
      '--once',
      '--task',
      'bloom',
      '--bloom-filter',
      filter,
    ]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.records).toEqual(fromPatterns.records);
    expect(recordsOf(fromFile, 'bloom').at(-1)?.forwarded).toBeGreaterThan(0);
  });

  it('Task 4: a pattern file that does not exist is named, with exit status 2', async () => {
    const result = await runCli(['run', 'data', '--once', '--bloom-patterns', 'nowhere.txt']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('nowhere.txt');
  });

  it('Task 3: 80 events of 200 and 20 of 500 with capacity 20 give 200, the same for the same seed', async () => {
    const dir = await tempDir();
    const events = [
      ...Array.from({ length: 80 }, (_, i) => event('api', i, 200)),
      ...Array.from({ length: 20 }, (_, i) => event('api', 80 + i, 500)),
    ];
    await writeLogFile(dir, 'events.json', events);
    const args = [
      'run',
      dir,
      '--once',
      '--task',
      'reservoir',
      '--reservoir-size',
      '20',
      '--seed',
      '3',
    ];
    const first = await runCli(args);
    const second = await runCli(args);
    expect(recordsOf(first, 'reservoir')).toEqual([
      expect.objectContaining({ seen: 100, capacity: 20, size: 20, mostCommon: 200 }),
    ]);
    expect(second.stdout).toBe(first.stdout);
  });

  it('Task 6: a generated error burst is flagged, and --once flushes every open window', async () => {
    const dir = await tempDir();
    const generated = await runCli([
      'generate',
      dir,
      '--files',
      '12',
      '--events',
      '1000',
      '--seed',
      '5',
      '--bursts',
      '0.25',
    ]);
    expect(generated.code).toBe(0);
    const result = await runCli(['run', dir, '--once', '--task', 'keyed-windows']);
    const windows = recordsOf(result, 'keyed-windows');
    expect(windows.some((window) => window.anomaly === true)).toBe(true);
    // Every window is emitted exactly once.
    const keys = windows.map((window) => `${window.service}@${window.windowStart}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The generator's events span about 600 s: 10 s windows of 4 services cover it all.
    expect(windows.length).toBeGreaterThan(4 * 55);
  });
});

describe('logstream run, following a directory', () => {
  it('Task 3: an empty directory that later receives data (the seed test_empty_source)', async () => {
    const dir = await tempDir();
    const cli = startCli([
      'run',
      dir,
      '--task',
      'reservoir',
      '--reservoir-size',
      '10',
      '--seed',
      '1',
    ]);
    // Nothing to read: no record, no complaint.
    await sleep(300);
    expect(cli.records()).toEqual([]);
    const events = [200, 200, 200, 404, 500].map((status, i) => event('api', i, status));
    // Written beside the directory and renamed in: a slow start that lists the directory
    // only now must still find it empty or holding the file, never a temporary one.
    const beside = join(await tempDir(), 'first.json');
    await writeFile(beside, JSON.stringify(events));
    await rename(beside, join(dir, 'first.json'));
    await cli.waitFor((c) => c.records().length >= 1, 'the record of the first file');
    const result = await cli.stop('SIGTERM');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.records).toEqual([
      {
        task: 'reservoir',
        batch: 1,
        file: 'first.json',
        seen: 5,
        capacity: 10,
        size: 5,
        mostCommon: 200,
        sample: [
          { status: 200, count: 3 },
          { status: 404, count: 1 },
          { status: 500, count: 1 },
        ],
      },
    ]);
  });

  it('SIGINT ends the input like --once: open keyed windows and the lazy totals are flushed', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'a.json', [
      event('api', 1, 200),
      event('api', 12, 500),
      event('db', 15, 200),
    ]);
    const args = ['run', dir, '--task', 'lazy-groups,keyed-windows'];
    const once = await runCli([...args, '--once']);
    const cli = startCli(args);
    // The lazy engine emits after a second without input; then nothing is pending.
    await cli.waitFor(
      (c) => c.records().some((r) => r.task === 'lazy-groups'),
      'the idle lazy-groups record',
    );
    const result = await cli.stop('SIGINT');
    expect(result.code).toBe(0);
    // No window is closed by the watermark (30 s), so all of them come from the flush.
    const windows = recordsOf(result, 'keyed-windows');
    expect(windows).toEqual(recordsOf(once, 'keyed-windows'));
    expect(windows.map((w) => `${w.service}@${w.windowStart}`)).toEqual([
      'api@0',
      'api@10',
      'db@10',
    ]);
    expect(recordsOf(result, 'lazy-groups').at(-1)).toEqual(recordsOf(once, 'lazy-groups').at(-1));
  });
});

describe('logstream run outside the package folder', () => {
  it('falls back to the bundled data/ and pattern file when the working directory has none', async () => {
    const elsewhere = await tempDir();
    const outside = await runCli(['run', '--once', '--task', 'running-average,bloom'], {
      cwd: elsewhere,
    });
    const inside = await runCli(['run', '--once', '--task', 'running-average,bloom']);
    expect(outside.code).toBe(0);
    // One line says so: a forgotten path must not pass for the user's own logs.
    expect(outside.stderr).toBe(
      `logstream: no source given and no data/ here: reading the bundled sample ${join(REPO, 'data')} (give a directory, or - for standard input)\n`,
    );
    expect(outside.records).toEqual(inside.records);
    expect(recordsOf(outside, 'running-average').at(-1)).toMatchObject({
      total: expect.any(Number),
    });
  });
});
