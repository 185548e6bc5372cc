import { createWriteStream } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  collectValues,
  MAX_BATCH_ELEMENTS,
  parseJsonDocument,
  splitLargeArray,
} from '../../src/source/json.js';
import {
  type BatchCollector,
  type Clock,
  MAX_EVENT_BYTES,
  MAX_NESTING,
  TOO_LARGE,
} from '../../src/source/validate-values.js';
import { tempDir } from '../support/cli.js';

type Part = { collector: BatchCollector; next: number } | { error: string };

/** The reading machine's clock in these tests, so that timestamps up to 2033 are in its past. */
const NOW: Clock = () => Date.UTC(2040, 0, 1);

/** Everything splitLargeArray yields for `text` written to a file. */
async function split(text: string | Buffer, first = 0): Promise<Part[]> {
  const path = join(await tempDir(), 'large.json');
  await writeFile(path, text);
  return splitFile(path, first);
}

async function splitFile(path: string, first = 0): Promise<Part[]> {
  const handle = await open(path, 'r');
  try {
    const parts: Part[] = [];
    const { size } = await handle.stat();
    for await (const part of splitLargeArray(handle, size, first, undefined, NOW)) parts.push(part);
    return parts;
  } finally {
    await handle.close();
  }
}

/** A valid event at `timestamp`. */
const eventAt = (timestamp: number) => ({ service: 'api', timestamp, message: 'm' });

const eventsOf = (parts: readonly Part[]) =>
  parts.flatMap((part) => ('collector' in part ? part.collector.events.map((e) => e.event) : []));
const invalidOf = (parts: readonly Part[]) =>
  parts.flatMap((part) => ('collector' in part ? part.collector.invalid : []));
const errorOf = (parts: readonly Part[]) =>
  parts.flatMap((part) => ('error' in part ? [part.error] : []));

/** Messages that would trip a splitter that ignored strings and escapes. */
const TRICKY = [
  'HTTP Status Code: 200 ] , [ {"a": 1}',
  'quote \\" inside, and } and ]',
  'ends with a backslash \\',
  'escaped backslash then quote \\\\',
  'unicode: é € 😀 \u2028 \u0000',
  '[[[{{{',
];

describe('splitLargeArray', () => {
  it('finds every element, whatever brackets, commas and escaped quotes their strings hold', async () => {
    const events = TRICKY.map((message, i) => ({
      service: i % 2 === 0 ? 'api' : 'a,]"}',
      timestamp: 1_767_225_600 + i,
      message,
      nested: { list: [1, [2, { x: ']' }]], empty: {} },
    }));
    const parts = await split(JSON.stringify(events, null, 2));
    expect(errorOf(parts)).toEqual([]);
    expect(invalidOf(parts)).toEqual([]);
    expect(eventsOf(parts)).toEqual(events);
  });

  it('agrees with JSON.parse on arbitrary arrays of events (property)', async () => {
    const anEvent = fc.record({
      service: fc.string({ minLength: 1, unit: 'binary' }),
      timestamp: fc.integer({ min: 0, max: 2_000_000_000 }),
      message: fc.string({ unit: 'binary' }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(anEvent, { maxLength: 20 }),
        fc.boolean(),
        async (events, pretty) => {
          const parts = await split(JSON.stringify(events, null, pretty ? 1 : undefined));
          expect(errorOf(parts)).toEqual([]);
          expect(eventsOf(parts)).toEqual(JSON.parse(JSON.stringify(events)));
        },
      ),
      { seed: 20_260_101, numRuns: 60 },
    );
  });

  it('reads characters cut between two reads of the file (1 MiB each)', async () => {
    // Four-byte characters all the way: some are cut by every read boundary.
    const message = '😀'.repeat(300_000);
    const events = [0, 1, 2].map((i) => ({ service: 'émoji', timestamp: i, message }));
    const parts = await split(JSON.stringify(events));
    expect(errorOf(parts)).toEqual([]);
    expect(eventsOf(parts)).toEqual(events);
  });

  it('ends a truncated array with an error, after its complete elements', async () => {
    const events = [0, 1, 2].map((i) => ({ service: 'api', timestamp: i, message: 'ok, ]' }));
    const text = JSON.stringify(events);
    const cut = `${text.slice(0, -1)},{"service":"api","message":"half, ] of`;
    const parts = await split(cut);
    expect(eventsOf(parts)).toEqual(events);
    expect(errorOf(parts)).toEqual([expect.stringContaining('not closed after element 3')]);
    expect(parts.at(-1)).toEqual({ error: expect.any(String) });
    const complete = parts.filter((part) => 'collector' in part);
    expect(complete.at(-1)).toMatchObject({ next: 3 });
  });

  it('skips the elements before `first`, counting them in `next`', async () => {
    const events = [0, 1, 2, 3].map((i) => ({ service: 'api', timestamp: i, message: '' }));
    const parts = await split(JSON.stringify(events), 2);
    expect(eventsOf(parts)).toEqual(events.slice(2));
    expect(parts.at(-1)).toMatchObject({ next: 4 });
  });

  it('reports elements that are not events, or not JSON, as invalid and goes on', async () => {
    const valid = { service: 'api', timestamp: 1, message: 'HTTP Status Code: 200' };
    const parts = await split(`[ "a string", ${JSON.stringify(valid)}, tru, 42, {"service": 1} ]`);
    expect(errorOf(parts)).toEqual([]);
    expect(eventsOf(parts)).toEqual([valid]);
    expect(invalidOf(parts).map((i) => [i.position, i.reason.split(' (')[0]])).toEqual([
      [{ index: 0 }, 'not an object'],
      [{ index: 2 }, 'not valid JSON'],
      [{ index: 3 }, 'not an object'],
      [{ index: 4 }, 'service is 1, not a string'],
    ]);
  });

  it('cuts a long array into batches of at most MAX_BATCH_ELEMENTS', async () => {
    const count = 2 * MAX_BATCH_ELEMENTS + 123;
    const values = Array.from({ length: count }, (_, i) => ({
      service: 's',
      timestamp: i,
      message: '',
    }));
    const parts = await split(JSON.stringify(values));
    const sizes = parts.map((part) => ('collector' in part ? part.collector.events.length : -1));
    expect(sizes).toEqual([MAX_BATCH_ELEMENTS, MAX_BATCH_ELEMENTS, 123]);
    expect(parts.map((part) => ('next' in part ? part.next : -1))).toEqual([
      MAX_BATCH_ELEMENTS,
      2 * MAX_BATCH_ELEMENTS,
      count,
    ]);
  });

  it('accepts an empty array and surrounding whitespace', async () => {
    const parts = await split('\n  [ \n ]  \n');
    expect(parts).toEqual([{ collector: expect.anything(), next: 0 }]);
    expect(eventsOf(parts)).toEqual([]);
  });

  it('reads any other value as the one event of the file, and refuses what is not JSON', async () => {
    const valid = { service: 'api', timestamp: 1, message: 'HTTP Status Code: 200' };
    expect(eventsOf(await split(` \n${JSON.stringify(valid)}\n `))).toEqual([valid]);
    expect(invalidOf(await split('{"service": "api"}'))).toEqual([
      { reason: 'missing timestamp', position: { index: 0 } },
    ]);
    expect(invalidOf(await split(' "text" '))).toEqual([
      { reason: 'not an object ("text")', position: { index: 0 } },
    ]);
    expect(invalidOf(await split('42'))).toEqual([
      { reason: 'not an object (42)', position: { index: 0 } },
    ]);
    expect(errorOf(await split('[] []'))).toEqual([expect.stringContaining('after the array')]);
    expect(errorOf(await split('{"a": 1} {}'))).toEqual([
      'not valid JSON (unexpected text after the value)',
    ]);
    expect(errorOf(await split('{"a": "}'))).toEqual(['not valid JSON (the value is not closed)']);
    expect(errorOf(await split('{"a": 1'))).toEqual(['not valid JSON (the value is not closed)']);
    expect(errorOf(await split('tru'))).toEqual([expect.stringMatching(/^not valid JSON \(/)]);
    expect(errorOf(await split(' \n '))).toEqual(['empty file']);
  });

  it('rejects an element nested too deep, or with a future timestamp, as one invalid event', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const text = `[${JSON.stringify(eventAt(1))}, {"service":"api","timestamp":2,"message":"m","x":${deep}}, {"service":"api","timestamp":1e300,"message":"m"}, ${JSON.stringify(eventAt(3))}]`;
    const parts = await split(text);
    expect(errorOf(parts)).toEqual([]);
    expect(eventsOf(parts)).toEqual([eventAt(1), eventAt(3)]);
    expect(invalidOf(parts)).toEqual([
      { reason: `nested more than ${MAX_NESTING} levels deep`, position: { index: 1 } },
      {
        reason: "timestamp is more than 24 hours ahead of this machine's clock",
        position: { index: 2 },
      },
    ]);
  });

  it('rejects an event over MAX_EVENT_BYTES as one invalid event: an element or the single value', async () => {
    const dir = await tempDir();
    const huge = async (name: string, before: string, after: string) => {
      const path = join(dir, name);
      const out = createWriteStream(path);
      out.write(`${before}{"service":"api","timestamp":2,"message":"`);
      const chunk = 'x'.repeat(1 << 20);
      for (let written = 0; written <= MAX_EVENT_BYTES; written += chunk.length) out.write(chunk);
      out.end(`"}${after}`);
      await finished(out);
      return splitFile(path);
    };
    const array = await huge(
      'array.json',
      `[${JSON.stringify(eventAt(1))},\n`,
      `,\n${JSON.stringify(eventAt(3))}]`,
    );
    expect(errorOf(array)).toEqual([]);
    expect(eventsOf(array)).toEqual([eventAt(1), eventAt(3)]);
    expect(invalidOf(array)).toEqual([{ reason: TOO_LARGE, position: { index: 1 } }]);
    const single = await huge('single.json', '\n', '\n');
    expect(errorOf(single)).toEqual([]);
    expect(invalidOf(single)).toEqual([{ reason: TOO_LARGE, position: { index: 0 } }]);
  });
});

describe('parseJsonDocument and collectValues', () => {
  it('takes an array as its elements and any other value as one', () => {
    expect(parseJsonDocument(Buffer.from('[1, 2]'))).toEqual({
      ok: true,
      values: [1, 2],
      badUtf8: false,
    });
    expect(parseJsonDocument(Buffer.from('\ufeff{"a": 1}'))).toEqual({
      ok: true,
      values: [{ a: 1 }],
      badUtf8: false,
    });
    expect(parseJsonDocument(Buffer.from('  \n'))).toEqual({ ok: false, reason: 'empty file' });
    expect(parseJsonDocument(Buffer.from('[1,'))).toMatchObject({ ok: false });
    const bad = Buffer.concat([Buffer.from('["'), Buffer.from([0xff]), Buffer.from('"]')]);
    expect(parseJsonDocument(bad)).toEqual({ ok: true, values: ['\ufffd'], badUtf8: true });
  });

  it('validates from `first` on, in batches of at most MAX_BATCH_ELEMENTS', () => {
    const values = Array.from({ length: MAX_BATCH_ELEMENTS + 10 }, (_, i) => ({
      service: 's',
      timestamp: i,
      message: '',
    }));
    const sizes = [...collectValues(values, 5)].map((c) => c.events.length);
    expect(sizes).toEqual([MAX_BATCH_ELEMENTS, 5]);
    expect([...collectValues(values, values.length)].map((c) => c.events.length)).toEqual([0]);
  });
});
