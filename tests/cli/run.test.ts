import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLI,
  event,
  REPO,
  recordsOf,
  runCli,
  spawnNode,
  tempDir,
  writeAtomically,
  writeLogFile,
} from '../support/cli.js';
import { startCli } from '../support/follow.js';

/** What Task 1 must report over a set of events, counted here without the library. */
function countSuccesses(events: readonly Record<string, unknown>[]) {
  const statusOf = (message: string) => /HTTP Status Code:\s*(\d{3})/.exec(message)?.[1];
  const perService = new Map<string, { successes: number; total: number }>();
  let oldest = Number.POSITIVE_INFINITY;
  let newest = Number.NEGATIVE_INFINITY;
  let successes = 0;
  let total = 0;
  for (const { service, timestamp, message } of events) {
    const time = typeof timestamp === 'number' ? timestamp : Date.parse(String(timestamp)) / 1000;
    oldest = Math.min(oldest, time);
    newest = Math.max(newest, time);
    const counts = perService.get(String(service)) ?? { successes: 0, total: 0 };
    perService.set(String(service), counts);
    const status = statusOf(String(message));
    if (status === undefined) continue;
    const success = status.startsWith('2');
    counts.total += 1;
    total += 1;
    if (success) {
      counts.successes += 1;
      successes += 1;
    }
  }
  const services = [...perService]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([service, counts]) => ({
      service,
      ...counts,
      rate: counts.total === 0 ? null : counts.successes / counts.total,
    }));
  return { oldest, newest, successes, total, rate: successes / total, services };
}

const base = 1_767_225_600;

/** The seed's Task 1 test: two batches, 1 of 2 then 2 of 3 successes. */
const SEED_BATCH_1 = [event('monitoring', base + 48, 200), event('monitoring', base + 96, 500)];
const SEED_BATCH_2 = [event('monitoring', base + 144, 200)];
const SEED_RECORDS = [
  {
    task: 'running-average',
    batch: 1,
    file: 'batch-1.json',
    oldest: base + 48,
    newest: base + 96,
    successes: 1,
    total: 2,
    rate: 0.5,
    services: [{ service: 'monitoring', successes: 1, total: 2, rate: 0.5 }],
  },
  {
    task: 'running-average',
    batch: 2,
    file: 'batch-2.json',
    oldest: base + 48,
    newest: base + 144,
    successes: 2,
    total: 3,
    rate: 2 / 3,
    services: [{ service: 'monitoring', successes: 2, total: 3, rate: 2 / 3 }],
  },
];

describe('logstream run --once', () => {
  it('ends on the running average of the whole bundled data/ folder, counted independently', async () => {
    const files = (await readdir(join(REPO, 'data'))).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThan(1);
    const events: Record<string, unknown>[] = [];
    for (const name of files) {
      events.push(...JSON.parse(await readFile(join(REPO, 'data', name), 'utf8')));
    }
    const result = await runCli(['run', 'data', '--once']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const averages = recordsOf(result, 'running-average');
    // One record per file, the files in order of modification time, then name.
    expect(averages).toHaveLength(files.length);
    const last = averages.at(-1)!;
    const { task, batch, file, ...fields } = last;
    expect(fields).toEqual(countSuccesses(events));
    expect(batch).toBe(files.length);
  });

  it("runs the seed's Task 1 test on two files read in order of modification time", async () => {
    const dir = await tempDir();
    // Names in the opposite order of the times, so only the times can order them.
    await writeLogFile(dir, 'batch-2.json', SEED_BATCH_2, 20);
    await writeLogFile(dir, 'batch-1.json', SEED_BATCH_1, 10);
    const result = await runCli(['run', dir, '--once', '--task', 'running-average']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.records).toEqual(SEED_RECORDS);
  });

  it('reads files with the same modification time in order of name', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'b.json', [event('b', base, 200)], 5);
    await writeLogFile(dir, 'a.json', [event('a', base, 200)], 5);
    await writeLogFile(dir, 'c.ndjson', `${JSON.stringify(event('c', base, 200))}\n`, 5);
    const result = await runCli(['run', dir, '--once', '--task', 'running-average']);
    expect(result.records.map((record) => record.file)).toEqual(['a.json', 'b.json', 'c.ndjson']);
  });

  it('puts task, batch and file first in every record, and --task selects the tasks in task order', async () => {
    const result = await runCli(['run', 'data', '--once', '--task', 'reservoir,running-average']);
    expect(result.code).toBe(0);
    expect(new Set(result.records.map((record) => record.task))).toEqual(
      new Set(['running-average', 'reservoir']),
    );
    for (const record of result.records) {
      expect(Object.keys(record).slice(0, 3)).toEqual(['task', 'batch', 'file']);
    }
    // After each batch: one record per selected task, running-average before reservoir.
    const tasksOfBatch1 = result.records.filter((record) => record.batch === 1).map((r) => r.task);
    expect(tasksOfBatch1).toEqual(['running-average', 'reservoir']);
    const files = (await readdir(join(REPO, 'data'))).filter((name) => name.endsWith('.json'));
    expect(result.records).toHaveLength(2 * files.length);
  });
});

describe('logstream run, following the source', () => {
  it("runs the seed's Task 1 test on a file written while it runs, and SIGTERM ends it with 0", async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'batch-1.json', SEED_BATCH_1, 10);
    const cli = startCli(['run', dir, '--task', 'running-average']);
    await cli.waitFor((c) => c.records().length >= 1, 'the record of batch 1');
    await writeAtomically(dir, 'batch-2.json', SEED_BATCH_2);
    await cli.waitFor((c) => c.records().length >= 2, 'the record of batch 2');
    const result = await cli.stop('SIGTERM');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.records).toEqual(SEED_RECORDS);
  });

  it('reads standard input (`-`) until SIGTERM when not --once', async () => {
    const cli = startCli(['run', '-', '--task', 'running-average']);
    cli.child.stdin.write(`${JSON.stringify(event('api', base, 200))}\n`);
    await cli.waitFor((c) => c.records().length >= 1, 'the record of the first line');
    const result = await cli.stop('SIGTERM');
    expect(result.code).toBe(0);
    expect(result.records).toEqual([
      expect.objectContaining({ task: 'running-average', batch: 1, file: '-', total: 1 }),
    ]);
  });
});

describe('logstream run: usage errors', () => {
  const cases: [string, (dir: string) => Promise<string[]>, RegExp][] = [
    ['an unknown option', async () => ['run', 'data', '--once', '--frobnicate'], /--frobnicate/],
    [
      'a bad duration',
      async () => ['run', 'data', '--once', '--sliding-window', '10 parsecs'],
      /--sliding-window.*10 parsecs/,
    ],
    [
      'a zero duration',
      async () => ['run', 'data', '--once', '--keyed-window', '0s'],
      /--keyed-window/,
    ],
    ['a bad --task', async () => ['run', 'data', '--once', '--task', 'averages'], /averages/],
    ['an empty --task', async () => ['run', 'data', '--once', '--task', ','], /--task/],
    [
      'a bad number',
      async () => ['run', 'data', '--once', '--reservoir-size', '-3'],
      /--reservoir-size/,
    ],
    [
      'a missing source directory',
      async (dir) => ['run', join(dir, 'nowhere'), '--once'],
      /nowhere.*no such directory/,
    ],
    [
      'a source that is a file',
      async (dir) => {
        await writeLogFile(dir, 'events.json', [event('api', base, 200)]);
        return ['run', join(dir, 'events.json'), '--once'];
      },
      /events\.json.*not a directory/,
    ],
    [
      'a missing --config file',
      async (dir) => ['run', 'data', '--once', '--config', join(dir, 'absent.json')],
      /--config .*absent\.json.*no such file/,
    ],
    [
      'a --config file that is not JSON',
      async (dir) => {
        await writeFile(join(dir, 'config.json'), '{"task": "reservoir",');
        return ['run', 'data', '--once', '--config', join(dir, 'config.json')];
      },
      /--config .*config\.json.*not valid JSON/,
    ],
    [
      'a --config file that is not an object',
      async (dir) => {
        await writeFile(join(dir, 'config.json'), '["reservoir"]');
        return ['run', 'data', '--once', '--config', join(dir, 'config.json')];
      },
      /--config .*config\.json/,
    ],
    [
      'an unknown key in --config',
      async (dir) => {
        await writeFile(join(dir, 'config.json'), '{"reservoirSize": 5, "resevoirSize": 6}');
        return ['run', 'data', '--once', '--config', join(dir, 'config.json')];
      },
      /config\.json.*unknown option 'resevoirSize'/,
    ],
    [
      'a bad value in --config',
      async (dir) => {
        await writeFile(join(dir, 'config.json'), '{"keyedWindow": "ten seconds"}');
        return ['run', 'data', '--once', '--config', join(dir, 'config.json')];
      },
      /config\.json.*keyedWindow.*ten seconds/,
    ],
    [
      '--keyed-slide longer than --keyed-window',
      async () => ['run', 'data', '--once', '--keyed-window', '10s', '--keyed-slide', '20s'],
      /--keyed-slide/,
    ],
    ['too many sources', async () => ['run', 'data', 'data', '--once'], /argument/],
  ];

  it.each(cases)(
    '%s: one line on stderr naming it, exit status 2, nothing on stdout',
    async (_, argsOf, named) => {
      const dir = await tempDir();
      const result = await runCli(await argsOf(dir));
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.split('\n');
      expect(lines.at(-1)).toBe('');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(named);
    },
  );
});

describe('logstream run --config', () => {
  it('takes options from a JSON file', async () => {
    const dir = await tempDir();
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ task: 'running-average', reservoirSize: 5 }));
    const fromConfig = await runCli(['run', 'data', '--once', '--config', config]);
    expect(fromConfig.code).toBe(0);
    expect(fromConfig.stderr).toBe('');
    const fromFlags = await runCli(['run', 'data', '--once', '--task', 'running-average']);
    expect(fromConfig.stdout).toBe(fromFlags.stdout);
    expect(fromConfig.records.length).toBeGreaterThan(0);
  });

  it('lets a flag win over the value of the config file', async () => {
    const dir = await tempDir();
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ task: 'reservoir', reservoirSize: 5, seed: 1 }));
    const taskFlag = await runCli([
      'run',
      'data',
      '--once',
      '--config',
      config,
      '--task',
      'running-average',
    ]);
    expect(new Set(taskFlag.records.map((record) => record.task))).toEqual(
      new Set(['running-average']),
    );
    const sizeFlag = await runCli([
      'run',
      'data',
      '--once',
      '--config',
      config,
      '--reservoir-size',
      '7',
    ]);
    expect(sizeFlag.code).toBe(0);
    const reservoirs = recordsOf(sizeFlag, 'reservoir');
    expect(reservoirs.length).toBeGreaterThan(0);
    for (const record of reservoirs) expect(record).toMatchObject({ capacity: 7, size: 7 });
  });
});

describe('logstream run: pipes', () => {
  /** `logstream run <source> --once | head -1`: the reader goes away after the first line. */
  async function firstLineThenClose(source: string) {
    const cli = spawnNode([CLI, 'run', source, '--once']);
    cli.child.stdin.end();
    cli.child.stdout.on('data', () => {
      if (cli.stdout().includes('\n')) cli.child.stdout.destroy();
    });
    const { code, stderr, stdout } = await cli.exited;
    return { code, stderr, first: stdout.split('\n')[0]! };
  }

  it('`run data --once | head -1` exits 0 without a word on stderr', async () => {
    const result = await firstLineThenClose('data');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.first)).toMatchObject({ task: 'running-average', batch: 1 });
  });

  it('exits 0 quietly when the reader closes long before the end (far more than a pipe holds)', async () => {
    const dir = await tempDir();
    // 400 files: about 2,000 records, several hundred kilobytes, so writes must hit the closed pipe.
    for (let i = 0; i < 400; i++) {
      await writeLogFile(
        dir,
        `f-${String(i).padStart(4, '0')}.json`,
        [event('api', base + i, 200)],
        i,
      );
    }
    const result = await firstLineThenClose(dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('logstream run - (standard input)', () => {
  it('reads NDJSON from stdin with file "-", skips blank lines and reports broken lines', async () => {
    const lines = [
      JSON.stringify(event('api', base + 1, 200)),
      '',
      '   ',
      JSON.stringify(event('api', base + 2, 503)),
      '{"service": "api", "timestamp": ',
      `${JSON.stringify(event('web', base + 3, 204))}\r`,
      JSON.stringify({ service: 'web', timestamp: base + 4 }),
      JSON.stringify(event('web', base + 5, null)),
    ];
    const result = await runCli(['run', '-', '--once', '--task', 'running-average'], {
      input: `${lines.join('\n')}\n`,
    });
    expect(result.code).toBe(0);
    const last = result.records.at(-1)!;
    expect(result.records.every((record) => record.file === '-')).toBe(true);
    expect(last).toMatchObject({
      task: 'running-average',
      file: '-',
      oldest: base + 1,
      newest: base + 5,
      successes: 2,
      total: 3,
      services: [
        { service: 'api', successes: 1, total: 2, rate: 0.5 },
        { service: 'web', successes: 1, total: 1, rate: 1 },
      ],
    });
    const problems = result.stderr.trimEnd().split('\n');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^logstream: -: 1 invalid event: not valid JSON .*\(line 5\)$/);
    expect(problems[1]).toMatch(/^logstream: -: 1 invalid event: missing message \(line 7\)$/);
  });

  it('cuts a long input into batches of at most 10,000 lines', async () => {
    const count = 25_000;
    const input = Array.from(
      { length: count },
      (_, i) => `${JSON.stringify(event('api', base + i, 200))}\n`,
    ).join('');
    const result = await runCli(['run', '-', '--once', '--task', 'running-average'], { input });
    expect(result.code).toBe(0);
    const totals = result.records.map((record) => record.total as number);
    expect(totals.at(-1)).toBe(count);
    expect(result.records.map((record) => record.batch)).toEqual(totals.map((_, i) => i + 1));
    const sizes = totals.map((total, i) => total - (totals[i - 1] ?? 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10_000);
    expect(sizes.length).toBeGreaterThanOrEqual(3);
  });
});
