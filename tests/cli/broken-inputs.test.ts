import { cp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { event, REPO, recordsOf, runCli, tempDir, writeLogFile } from '../support/cli.js';
import { startCli } from '../support/follow.js';

const CORPUS = join(REPO, 'tests/fixtures/broken');

type Valid = readonly [service: string, time: number, status: number | null];

interface Expected {
  /** The valid events of the file: what must reach the tasks. */
  readonly valid: readonly Valid[];
  /** Invalid events: the substring of the reason of each, reported on stderr. */
  readonly invalid?: readonly string[];
  /** A file skipped whole: the substring of the reason, on the file's one line. */
  readonly broken?: string;
  /** Other notices on stderr that lose nothing. */
  readonly warning?: string;
}

/**
 * Every log file of the corpus and what logstream must make of it, written down by hand from
 * the fixtures (tests/fixtures/broken) and the two files the test writes itself.
 */
const EXPECTED: Record<string, Expected> = {
  'empty.json': { valid: [], broken: 'empty file' },
  'truncated.json': { valid: [], broken: 'not valid JSON' },
  'not-json.json': { valid: [], broken: 'not valid JSON' },
  'number.json': { valid: [], invalid: ['not an object (42)'] },
  'mixed.json': {
    valid: [
      ['mixed', 1767225601, 200],
      ['mixed', 1767225602, 404],
    ],
    invalid: ['not an object ("just a string")'],
  },
  'missing-timestamp.json': {
    valid: [['partial', 1767225603, 201]],
    invalid: ['missing timestamp'],
  },
  'wrong-types.json': {
    // The one valid event has an ISO-8601 timestamp: 2026-01-01T00:00:06Z.
    valid: [['typed', 1767225606, 200]],
    invalid: ['service is 42', 'message is a', 'timestamp is "yesterday"'],
  },
  'proto.json': {
    valid: [
      ['__proto__', 1767225607, 200],
      ['__proto__', 1767225608, 503],
      ['constructor', 1767225609, 200],
    ],
  },
  'crlf.ndjson': {
    valid: [
      ['crlf', 1767225610, 200],
      ['crlf', 1767225611, 500],
      ['crlf', 1767225612, null],
    ],
  },
  'big-line.ndjson': {
    valid: [
      ['big', 1767225620, 200],
      ['big', 1767225621, 500],
      ['big', 1767225622, 201],
    ],
  },
  'bad-utf8.ndjson': {
    valid: [
      ['utf8', 1767225630, 200],
      ['utf8', 1767225631, 200],
      ['utf8', 1767225632, 404],
    ],
    warning: 'invalid UTF-8 on line 2',
  },
};

/** Services that only files logstream must not read hold (README.txt, nested/). */
const NEVER_READ = ['readme', 'nested'];

const line = (service: string, time: number, status: number) =>
  JSON.stringify(event(service, time, status));

/** The corpus in a temporary directory, with the two files too large or too odd to commit. */
async function corpusCopy(): Promise<string> {
  const dir = await tempDir();
  await cp(CORPUS, dir, { recursive: true });
  const bigMessage = `HTTP Status Code: 500 ${'x'.repeat(5 * 1024 * 1024)}`;
  await writeFile(
    join(dir, 'big-line.ndjson'),
    [
      line('big', 1767225620, 200),
      JSON.stringify({ service: 'big', timestamp: 1767225621, message: bigMessage }),
      line('big', 1767225622, 201),
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'bad-utf8.ndjson'),
    Buffer.concat([
      Buffer.from(`${line('utf8', 1767225630, 200)}\n`),
      Buffer.from('{"service":"utf8","timestamp":1767225631,"message":"HTTP Status Code: 200 '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`"}\n${line('utf8', 1767225632, 404)}\n`),
    ]),
  );
  // Old enough never to count as still being written, so broken files are reported at once.
  const entries = await readdir(dir);
  for (const [i, name] of entries.entries()) {
    await utimes(join(dir, name), 1_600_000_000 + i, 1_600_000_000 + i);
  }
  return dir;
}

function expectedTotals() {
  const valid = Object.values(EXPECTED).flatMap((file) => file.valid);
  const services = new Map<string, { successes: number; total: number }>();
  for (const [service, , status] of valid) {
    const counts = services.get(service) ?? { successes: 0, total: 0 };
    services.set(service, counts);
    if (status === null) continue;
    counts.total += 1;
    if (status >= 200 && status < 300) counts.successes += 1;
  }
  const times = valid.map(([, time]) => time);
  const successes = valid.filter(([, , s]) => s !== null && s >= 200 && s < 300).length;
  const total = valid.filter(([, , s]) => s !== null).length;
  return {
    oldest: Math.min(...times),
    newest: Math.max(...times),
    successes,
    total,
    rate: successes / total,
    services: [...services]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([service, counts]) => ({
        service,
        ...counts,
        rate: counts.total === 0 ? null : counts.successes / counts.total,
      })),
  };
}

describe('a corpus of broken inputs', () => {
  it('matches the table of expectations (the committed fixtures did not drift)', async () => {
    const committed = (await readdir(CORPUS)).filter((name) => /\.(json|ndjson)$/.test(name));
    const written = ['big-line.ndjson', 'bad-utf8.ndjson'];
    expect([...committed, ...written].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const name of committed.filter((n) => n.endsWith('.json'))) {
      const text = await readFile(join(CORPUS, name), 'utf8');
      let values: unknown[] | undefined;
      try {
        const parsed: unknown = JSON.parse(text);
        values = Array.isArray(parsed) ? parsed : [parsed];
      } catch {
        values = undefined;
      }
      const expected = EXPECTED[name]!;
      if (expected.broken) expect(values, name).toBeUndefined();
      else
        expect(values?.length, name).toBe(expected.valid.length + (expected.invalid?.length ?? 0));
    }
    expect((await stat(join(CORPUS, 'nested'))).isDirectory()).toBe(true);
    expect((await readdir(CORPUS)).includes('README.txt')).toBe(true);
  });

  it('reports each broken file and invalid event by name, and counts exactly the valid events', async () => {
    const dir = await corpusCopy();
    const result = await runCli(['run', dir, '--once', '--task', 'running-average']);
    expect(result.code).toBe(0);

    const problems = result.stderr.trimEnd().split('\n');
    for (const problem of problems) expect(problem).toMatch(/^logstream: [^:]+: /);
    const linesOf = (file: string) => problems.filter((p) => p.startsWith(`logstream: ${file}: `));
    for (const [file, expected] of Object.entries(EXPECTED)) {
      const lines = linesOf(file);
      if (expected.broken) {
        expect(lines, file).toHaveLength(1);
        expect(lines[0], file).toContain('skipped');
        expect(lines[0], file).toContain(expected.broken);
        continue;
      }
      const invalidLines = lines.filter((l) => /\d+ invalid events?:/.test(l));
      const counted = invalidLines.reduce(
        (sum, l) => sum + Number(/(\d+) invalid events?:/.exec(l)![1]),
        0,
      );
      expect(counted, file).toBe(expected.invalid?.length ?? 0);
      for (const reason of expected.invalid ?? []) {
        expect(
          invalidLines.some((l) => l.includes(reason)),
          `${file}: ${reason}`,
        ).toBe(true);
      }
      const others = lines.filter((l) => !invalidLines.includes(l));
      if (expected.warning) {
        expect(others, file).toHaveLength(1);
        expect(others[0]).toContain(expected.warning);
      } else {
        expect(others, file).toEqual([]);
      }
    }
    for (const ignored of ['README.txt', 'nested']) {
      expect(result.stderr).not.toContain(ignored);
    }

    const averages = recordsOf(result, 'running-average');
    // One batch per file with at least one valid event.
    const withEvents = Object.entries(EXPECTED).filter(([, e]) => e.valid.length > 0);
    expect(averages.map((r) => r.file).sort()).toEqual(withEvents.map(([file]) => file).sort());
    const { task, batch, file, ...last } = averages.at(-1)!;
    expect(last).toEqual(expectedTotals());
    const services = (last.services as { service: string }[]).map((s) => s.service);
    expect(services).toContain('__proto__');
    for (const service of NEVER_READ) expect(services).not.toContain(service);
  });

  it('never stops on it: every task runs through the corpus and exits 0', async () => {
    const dir = await corpusCopy();
    const result = await runCli(['run', dir, '--once']);
    expect(result.code).toBe(0);
    expect(result.records.length).toBeGreaterThan(0);
    for (const problem of result.stderr.trimEnd().split('\n')) {
      expect(problem).toMatch(/^logstream: [^:]+: /);
    }
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a .json file still being written', () => {
  const truncated = (service: string) =>
    `[${line(service, 1767225700, 200)},\n {"service": "${service}", "times`;
  const complete = (service: string) =>
    JSON.stringify([event(service, 1767225700, 200), event(service, 1767225701, 500)]);

  it('is read once complete, never reported broken, and one left truncated is reported once', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'first.json', [event('first', 1767225600, 200)]);
    const cli = startCli(['run', dir, '--task', 'running-average']);
    await cli.waitFor((c) => c.records().length === 1, 'the record of first.json');

    await writeFile(join(dir, 'slow.json'), truncated('slow'));
    await writeFile(join(dir, 'stuck.json'), truncated('stuck'));
    // Files are read in the order they appear: once this one is read, so were the truncated ones.
    await writeLogFile(dir, 'middle.json', [event('middle', 1767225650, 200)], 50);
    await cli.waitFor((c) => c.records().some((r) => r.file === 'middle.json'), 'middle.json');
    // The producer of slow.json finishes well within the 2 s a .json file may take.
    await writeFile(join(dir, 'slow.json'), complete('slow'));
    await cli.waitFor(
      (c) => c.records().some((r) => r.file === 'slow.json'),
      'the record of slow.json',
    );
    await cli.waitFor((c) => c.stderr().includes('stuck.json'), 'the report of stuck.json');
    // Something read after the report: by then a second report would have come too.
    await writeLogFile(dir, 'last.json', [event('last', 1767225800, 200)], 100);
    await cli.waitFor((c) => c.records().some((r) => r.file === 'last.json'), 'last.json');

    const result = await cli.stop();
    expect(result.code).toBe(0);
    const problems = result.stderr.trimEnd().split('\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^logstream: stuck\.json: skipped, not valid JSON/);
    expect(result.records.map((r) => r.file)).toEqual([
      'first.json',
      'middle.json',
      'slow.json',
      'last.json',
    ]);
    expect(result.records.at(-1)).toMatchObject({ total: 5, successes: 4 });
  });

  it('with --once, a fresh truncated file is waited for, then reported, and the run ends with 0', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'first.json', [event('first', 1767225600, 200)]);
    await writeFile(join(dir, 'stuck.json'), truncated('stuck'));
    const result = await runCli(['run', dir, '--once', '--task', 'running-average']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^logstream: stuck\.json: skipped, not valid JSON[^\n]*\n$/);
    expect(result.records.map((r) => r.file)).toEqual(['first.json']);
  });
});
