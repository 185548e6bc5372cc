import { createWriteStream } from 'node:fs';
import { readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { type CliResult, recordsOf, runCli, tempDir, writeLogFile } from '../support/cli.js';

// Hostile input (issue 10, item 4): each case through the real CLI, with valid events beside
// the bad one that must all be counted, the bad one reported once, and exit 0.

const BASE = 1_767_225_600;
/** An event the default Bloom filter forwards (a 500), with `extra` members after its fields. */
const eventText = (timestamp: number | string, extra = '') =>
  `{"service":"api","timestamp":${timestamp},"message":"HTTP Status Code: 500"${extra}}`;
const DEEP = `,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}`;
const FUTURE = "timestamp is more than 24 hours ahead of this machine's clock";

const totalOf = (result: CliResult) => recordsOf(result, 'running-average').at(-1)?.total;
const problemsOf = (result: CliResult) => result.stderr.split('\n').filter(Boolean);

describe('hostile input', () => {
  it('an event with a 100,000-deep extra field is one invalid event, in .json and NDJSON, also forwarded', async () => {
    const dir = await tempDir();
    const forward = join(await tempDir(), 'forwarded.ndjson');
    await writeLogFile(
      dir,
      'deep.json',
      `[${eventText(BASE)},${eventText(BASE + 1, DEEP)},${eventText(BASE + 2)}]`,
      0,
    );
    const lines = [eventText(BASE + 3), eventText(BASE + 4, DEEP), eventText(BASE + 5)];
    await writeLogFile(dir, 'deep.ndjson', `${lines.join('\n')}\n`, 1);

    const result = await runCli(['run', dir, '--once', '--forward', forward]);
    expect(result.code).toBe(0);
    expect(totalOf(result)).toBe(4);
    expect(problemsOf(result)).toEqual([
      'logstream: deep.json: 1 invalid event: nested more than 128 levels deep (index 1)',
      'logstream: deep.ndjson: 1 invalid event: nested more than 128 levels deep (line 2)',
    ]);
    const forwarded = (await readFile(forward, 'utf8')).trimEnd().split('\n');
    expect(forwarded.map((line) => JSON.parse(line).timestamp)).toEqual(
      [0, 2, 3, 5].map((i) => BASE + i),
    );
  });

  it('a byte-order mark at the start of an NDJSON file is skipped, as in a .json file', async () => {
    const dir = await tempDir();
    const lines = [eventText(BASE), eventText(BASE + 1), eventText(BASE + 2)];
    await writeLogFile(dir, 'marked.ndjson', `\ufeff${lines.join('\r\n')}\r\n`, 0);
    await writeLogFile(dir, 'marked.json', `\ufeff[${eventText(BASE + 3)}]`, 1);

    const result = await runCli(['run', dir, '--once', '--task', 'running-average']);
    expect(result.code).toBe(0);
    expect(totalOf(result)).toBe(4);
    expect(result.stderr).toBe('');
  });

  it('a .json event over 64 MiB, single or in an array, is one invalid event naming the limit', async () => {
    const dir = await tempDir();
    /** Streams a file holding `before`, an event of more than 64 MiB, then `after`. */
    const writeHuge = async (name: string, before: string, after: string, order: number) => {
      const path = join(dir, name);
      const out = createWriteStream(path);
      out.write(`${before}{"service":"huge","timestamp":${BASE},"message":"`);
      const chunk = 'x'.repeat(1 << 20);
      for (let i = 0; i <= 64; i++) out.write(chunk);
      out.end(`"}${after}`);
      await finished(out);
      await utimes(path, 1_600_000_000 + order, 1_600_000_000 + order);
    };
    await writeHuge('huge.json', '\n', '\n', 0);
    await writeHuge(
      'huge-array.json',
      `[${eventText(BASE + 1)},\n`,
      `,\n${eventText(BASE + 2)}]`,
      1,
    );
    await writeLogFile(dir, 'small.json', `[${eventText(BASE + 3)},${eventText(BASE + 4)}]`, 2);

    const result = await runCli(['run', dir, '--once', '--task', 'running-average']);
    expect(result.code).toBe(0);
    expect(totalOf(result)).toBe(4);
    expect(problemsOf(result)).toEqual([
      'logstream: huge.json: 1 invalid event: larger than 64 MiB, the limit for one event (index 0)',
      'logstream: huge-array.json: 1 invalid event: larger than 64 MiB, the limit for one event (index 1)',
    ]);
  });

  it('a timestamp more than a day ahead of the clock is invalid and makes no later event late', async () => {
    const dir = await tempDir();
    // The CLI reads its own clock: an hour ahead is well inside the day, two days well outside.
    const now = Math.round(Date.now() / 1000);
    const ndjson = [BASE, BASE + 1, '1e300', BASE + 2, now + 2 * 86_400, BASE + 3, '1e999'];
    await writeLogFile(
      dir,
      'a-future.ndjson',
      `${ndjson.map((t) => eventText(t)).join('\n')}\n`,
      0,
    );
    const json = [BASE + 4, 1e12, BASE + 5, now + 3600];
    await writeLogFile(dir, 'b-future.json', `[${json.map((t) => eventText(t)).join(',')}]`, 1);

    const result = await runCli(['run', dir, '--once']);
    expect(result.code).toBe(0);
    expect(totalOf(result)).toBe(7);
    expect(problemsOf(result)).toEqual([
      `logstream: a-future.ndjson: 2 invalid events: ${FUTURE} (lines 3, 5)`,
      'logstream: a-future.ndjson: 1 invalid event: timestamp is Infinity, not epoch seconds or ISO-8601 (line 7)',
      `logstream: b-future.json: 1 invalid event: ${FUTURE} (index 1)`,
    ]);
    const window = recordsOf(result, 'sliding-window').at(-1);
    expect(window).toMatchObject({ windowEnd: now + 3600, late: 0 });
    expect(recordsOf(result, 'running-average').at(-1)).toMatchObject({ newest: now + 3600 });
  });
});
