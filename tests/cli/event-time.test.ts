/**
 * Issue 11 through the command line: late events as a side output, allowed lateness, the
 * idle flush, zero delays, zone-less ISO timestamps, and a Bloom filter sized for real use.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateLogFiles } from '../../src/generator.js';
import {
  event,
  recordsOf,
  runCli,
  tempDir,
  writeAtomically,
  writeLogFile,
} from '../support/cli.js';
import { startCli, stopPromptly } from '../support/follow.js';

type Event = { service: string; timestamp: number | string; message: string };

const HAS_STATUS = /HTTP Status Code: \d{3}/;

/**
 * The seed generator's traffic, 30 files of 200 events, written so that the files jump back
 * and forth in time: each pair of neighbours is read in reverse order, and a few of the
 * generator's own events are up to 90 s behind.
 */
async function jumpingDirectory(): Promise<{ dir: string; events: Event[] }> {
  const dir = await tempDir();
  const files = generateLogFiles({ events: 200, bursts: 0.1, start: 1_767_225_600, seed: 11 });
  const events: Event[] = [];
  for (let index = 0; index < 30; index++) {
    const content = files.next().value!;
    events.push(...content);
    const order = index % 2 === 0 ? index + 1 : index - 1;
    await writeLogFile(dir, `events-${String(index).padStart(3, '0')}.json`, content, order);
  }
  return { dir, events };
}

async function linesOf(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** `logstream run <dir> --once --task keyed-windows <flags>`. */
function runKeyedWindows(dir: string, ...flags: string[]) {
  return runCli(['run', dir, '--once', '--task', 'keyed-windows', ...flags]);
}

/** The last version of every (service, window): what the windows finally counted. */
function finalWindows(records: readonly Record<string, unknown>[]) {
  const last = new Map<string, Record<string, unknown>>();
  for (const record of records) last.set(`${record.service} ${record.windowStart}`, record);
  return [...last.values()];
}

describe('Task 6 with --late-output, the seed configuration (10 s windows, 30 s watermark)', () => {
  it.each([
    ['no allowed lateness', []],
    ['--allowed-lateness 20s', ['--allowed-lateness', '20s']],
  ])(
    '%s: the windows and the side output hold every valid event exactly once',
    async (_, extra) => {
      const { dir, events } = await jumpingDirectory();
      const late = join(await tempDir(), 'late.ndjson');
      const seed = ['--keyed-window', '10s', '--watermark', '30s'];
      const result = await runKeyedWindows(dir, '--late-output', late, ...seed, ...extra);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      const records = recordsOf(result, 'keyed-windows');
      const windows = finalWindows(records);
      const lateLines = await linesOf(late);
      expect(lateLines.length).toBeGreaterThan(0);
      for (const line of lateLines) {
        expect(line).toEqual({
          task: 'keyed-windows',
          reason: expect.any(String),
          event: expect.objectContaining({ service: expect.any(String) }),
        });
      }
      const lateEvents = lateLines.map((line) => line.event as Event);
      // `total` counts the events with a status; those without one are in no total.
      const withStatus = (list: readonly Event[]) =>
        list.filter((e) => HAS_STATUS.test(e.message)).length;
      const counted = windows.reduce((sum, window) => sum + (window.total as number), 0);
      expect(counted + withStatus(lateEvents)).toBe(withStatus(events));
      // Each late line is one of the events, none twice.
      const keys = (list: readonly Event[]) => list.map((e) => JSON.stringify(e)).sort();
      const all = new Set(keys(events));
      for (const key of keys(lateEvents)) expect(all.has(key)).toBe(true);
      expect(new Set(keys(lateEvents)).size).toBe(lateEvents.length);
      // The late count of each service is its number of lines.
      for (const service of new Set(windows.map((window) => window.service as string))) {
        const lastLate = records.filter((r) => r.service === service).at(-1)!.late;
        expect(lateEvents.filter((e) => e.service === service)).toHaveLength(lastLate as number);
      }
      const updates = records.filter((record) => record.update === true);
      if (extra.length === 0) expect(updates).toHaveLength(0);
      else expect(updates.length).toBeGreaterThan(0);
    },
  );

  it('--allowed-lateness re-emits a window with update: true when a late event falls within it', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'a.json', [event('api', 1, 200), event('api', 41, 200)], 1);
    await writeLogFile(dir, 'b.json', [event('api', 5, 500)], 2);
    await writeLogFile(dir, 'c.json', [event('api', 70, 200)], 3);
    await writeLogFile(dir, 'd.json', [event('api', 6, 503)], 4);
    const late = join(await tempDir(), 'late.ndjson');
    const result = await runKeyedWindows(dir, '--allowed-lateness', '10s', '--late-output', late);
    expect(result.code, result.stderr).toBe(0);
    const firstWindow = recordsOf(result, 'keyed-windows').filter((r) => r.windowStart === 0);
    // a's watermark (41 - 30 = 11) emits [0, 10) and keeps it until 10 + 10 = 20: b's event
    // at 5 updates it.
    expect(firstWindow).toEqual([
      expect.objectContaining({ batch: 1, total: 1, failures: 0, update: false }),
      expect.objectContaining({ batch: 2, total: 2, failures: 1, update: true }),
    ]);
    // c's watermark (70 - 30 = 40) is past 20: d's event at 6 is late.
    expect((await linesOf(late)).map((line) => line.event)).toEqual([event('api', 6, 503)]);
    expect(recordsOf(result, 'keyed-windows').at(-1)).toMatchObject({ late: 1 });
  });
});

describe('zero delays and lateness', () => {
  it('--watermark 0 emits a window once an event at or past its end arrives', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'a.json', [event('api', 1, 200), event('api', 9.5, 500)], 1);
    await writeLogFile(dir, 'b.json', [event('api', 10, 200)], 2);
    const result = await runKeyedWindows(dir, '--watermark', '0', '--allowed-lateness', '0s');
    expect(result.code, result.stderr).toBe(0);
    expect(recordsOf(result, 'keyed-windows')).toEqual([
      expect.objectContaining({ batch: 2, windowStart: 0, total: 2, update: false }),
      expect.objectContaining({ batch: 2, windowStart: 10, total: 1, update: false }),
    ]);
  });

  it.each([
    ['--watermark', '-1s'],
    ['--allowed-lateness', 'soon'],
    ['--idle-flush', '1x'],
    ['--sliding-slide', '0'],
  ])('%s %s is refused with one line and exit 2', async (flag, value) => {
    const result = await runCli(['run', 'data', '--once', flag, value]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(flag);
  });
});

describe('--idle-flush while following', () => {
  it('emits the open windows once no event has come for that long', async () => {
    const dir = await tempDir();
    const cli = startCli(['run', dir, '--task', 'keyed-windows', '--idle-flush', '500ms']);
    await writeAtomically(dir, 'a.json', [event('api', 1, 200), event('api', 12, 500)]);
    // The watermark (12 - 30 s) closes nothing; only the idle flush can.
    await cli.waitFor((c) => c.records().length >= 1, 'the idle flush to emit [0, 10)');
    expect(cli.records()).toEqual([
      expect.objectContaining({ task: 'keyed-windows', windowStart: 0, total: 1, batch: 1 }),
    ]);
    // The flushed watermark (12) stays: an event for [0, 10) is late now; b's newest (21)
    // is where the next idle flush moves it, closing [10, 20).
    await writeAtomically(dir, 'b.json', [event('api', 5, 200), event('api', 21, 200)]);
    await cli.waitFor((c) => c.records().length >= 2, 'the next idle flush to emit [10, 20)');
    const result = await stopPromptly(cli);
    // SIGTERM ends the input: the window still open, [20, 30), is flushed.
    expect(recordsOf(result, 'keyed-windows')).toEqual([
      expect.objectContaining({ windowStart: 0, total: 1, late: 0, batch: 1 }),
      expect.objectContaining({ windowStart: 10, total: 1, late: 1, batch: 2 }),
      expect.objectContaining({ windowStart: 20, total: 1, late: 1, batch: 2 }),
    ]);
  });
});

describe('Task 2 with --clock processing', () => {
  it('prints a record every --sliding-slide while following, counting what arrived in the window', async () => {
    const dir = await tempDir();
    const args = ['run', dir, '--task', 'sliding-window', '--clock', 'processing'];
    const cli = startCli([...args, '--sliding-window', '2s', '--sliding-slide', '200ms']);
    await writeAtomically(dir, 'a.json', [event('api', 1, 500), event('web', 2, 200)]);
    await cli.waitFor(
      (c) => c.records().filter((r) => r.total === 2).length >= 3,
      'three records of the window holding both events',
    );
    const result = await stopPromptly(cli);
    const records = recordsOf(result, 'sliding-window');
    // One record per slide: their ends 200 ms apart (timers fire a little late, never early).
    const ends = records.map((r) => r.windowEnd as number);
    for (let i = 1; i < ends.length - 1; i++) {
      expect(ends[i]! - ends[i - 1]!).toBeGreaterThanOrEqual(0.199);
    }
    for (const record of records) {
      expect(record.windowStart).toBeCloseTo((record.windowEnd as number) - 2, 6);
      expect(record.late).toBe(0);
    }
    expect(records.find((r) => r.total === 2)).toMatchObject({
      failures: 1,
      rate: 0.5,
      services: [
        { service: 'api', failures: 1, total: 1, rate: 1 },
        { service: 'web', failures: 0, total: 1, rate: 0 },
      ],
    });
  });
});

describe('ISO-8601 timestamps without a zone', () => {
  it('give the same records under TZ=America/New_York as under TZ=UTC: they are UTC', async () => {
    const dir = await tempDir();
    const zoneless = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19);
    const events: Event[] = [];
    for (let i = 0; i < 200; i++) {
      const status = i % 7 === 0 ? 500 : 200;
      events.push({
        service: ['api', 'web'][i % 2]!,
        timestamp: zoneless(1_767_225_600 + i * 0.5),
        message: `HTTP Status Code: ${status}`,
      });
    }
    await writeFile(join(dir, 'events.json'), JSON.stringify(events));
    const run = (TZ: string) => runCli(['run', dir, '--once', '--seed', '3'], { env: { TZ } });
    const [newYork, utc] = await Promise.all([run('America/New_York'), run('UTC')]);
    expect(utc.code, utc.stderr).toBe(0);
    expect(newYork.stdout).toBe(utc.stdout);
    const average = recordsOf(utc, 'running-average').at(-1)!;
    expect(average.oldest).toBe(1_767_225_600);
  });

  it('an impossible date (February 30) is an invalid event, named on stderr', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'events.json', [
      { service: 'api', timestamp: '2026-02-30T10:00:00', message: 'HTTP Status Code: 200' },
      { service: 'api', timestamp: '2026-02-28T10:00:00', message: 'HTTP Status Code: 200' },
    ]);
    const result = await runCli(['run', dir, '--once', '--task', 'running-average']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /events\.json: 1 invalid event: timestamp is "2026-02-30T10:00:00"/,
    );
    expect(recordsOf(result, 'running-average').at(-1)).toMatchObject({ total: 1 });
  });
});

describe('Task 4 sized for real use', () => {
  it('the default filter is sized for 100,000 messages, and forwards only the patterns over the generator traffic', async () => {
    const dir = await tempDir();
    const files = generateLogFiles({ events: 1000, bursts: 0.2, start: 1_767_225_600, seed: 4 });
    for (let index = 0; index < 20; index++) {
      await writeLogFile(dir, `f-${index}.json`, files.next().value!, index);
    }
    const forward = join(await tempDir(), 'forward.ndjson');
    const result = await runCli(['run', dir, '--once', '--task', 'bloom', '--forward', forward]);
    expect(result.code, result.stderr).toBe(0);
    const record = recordsOf(result, 'bloom').at(-1)!;
    expect(record).toMatchObject({ bits: 958_506, hashes: 7 });
    expect(record.falsePositiveRate as number).toBeLessThan(1e-20);
    const patterns = new Set(
      (await readFile('data/interesting-messages.txt', 'utf8')).split('\n').filter(Boolean),
    );
    const forwarded = (await linesOf(forward)).map((line) => line.message as string);
    expect(forwarded.length).toBe(record.forwarded);
    expect(forwarded.length).toBeGreaterThan(0);
    expect(forwarded.filter((message) => !patterns.has(message))).toEqual([]);
  });

  it('--bloom-bits without --bloom-hashes takes the optimal count for the capacity', async () => {
    const result = await runCli([
      'run',
      'data',
      '--once',
      '--task',
      'bloom',
      '--bloom-bits',
      '1000',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(recordsOf(result, 'bloom').at(-1)).toMatchObject({ bits: 1000, hashes: 1 });
    const small = await runCli([
      ...['run', 'data', '--once', '--task', 'bloom'],
      ...['--bloom-bits', '1000', '--bloom-capacity', '10'],
    ]);
    expect(recordsOf(small, 'bloom').at(-1)).toMatchObject({ bits: 1000, hashes: 69 });
  });

  it('--bloom-capacity sizes the filter', async () => {
    const result = await runCli([
      ...['run', 'data', '--once', '--task', 'bloom'],
      ...['--bloom-capacity', '1000', '--bloom-fp-rate', '0.001'],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(recordsOf(result, 'bloom').at(-1)).toMatchObject({ bits: 14_378, hashes: 10 });
  });

  it.each([
    ['--bloom-patterns', 'data/interesting-messages.txt'],
    ['--bloom-bits', '1000'],
    ['--bloom-capacity', '10'],
  ])('--bloom-filter with %s is refused with one line and exit 2', async (flag, value) => {
    const dir = await tempDir();
    const filter = join(dir, 'f.bloom');
    const built = await runCli(['bloom', 'build', 'data/interesting-messages.txt', '-o', filter]);
    expect(built.code, built.stderr).toBe(0);
    const result = await runCli(['run', 'data', '--once', '--bloom-filter', filter, flag, value]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      `logstream: ${flag}: cannot be used with --bloom-filter (the filter file holds its patterns and size)`,
    ]);
  });
});
