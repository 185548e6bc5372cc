import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBatch, NO_STATUS } from '../../operators/batch.js';
import { collectValues, MAX_BATCH_ELEMENTS, parseJsonDocument } from '../../src/source/json.js';
import {
  type JsonScan,
  type NdjsonScan,
  type ScanPart,
  scanJsonArray,
  scanNdjsonLines,
} from '../../src/source/scan-events.js';
import {
  BatchCollector,
  type Clock,
  EARLIEST_TIMESTAMP,
  FUTURE_HORIZON_SECONDS,
  type InvalidValue,
  MAX_EVENT_BYTES,
  MAX_NESTING,
  TOO_LARGE,
} from '../../src/source/validate-values.js';

type Expected = { batch: EventBatch; invalid: readonly InvalidValue[] };

/** The reading machine's clock in these tests: 2026-06-01, so that the bound is known. */
const NOW: Clock = () => Date.UTC(2026, 5, 1);
/** The latest valid timestamp at {@link NOW}. */
const LATEST = NOW() / 1000 + FUTURE_HORIZON_SECONDS;
/** A clock that bounds no finite timestamp, for tests of number parsing alone. */
const UNBOUNDED: Clock = () => Number.POSITIVE_INFINITY;

/** The general path of a `.json` file: JSON.parse of the whole text, validateValue per value. */
function generalJson(bytes: Buffer, first: number, now: Clock) {
  const document = parseJsonDocument(bytes);
  if (!document.ok) return undefined;
  const parts: Expected[] = [...collectValues(document.values, first, now)].map((collector) => ({
    batch: EventBatch.fromParsed(collector.events),
    invalid: collector.invalid,
  }));
  return { parts, count: document.values.length, badUtf8: document.badUtf8 };
}

/**
 * The general path of NDJSON lines, restated independently: drop a byte-order mark that starts
 * line 1, cut on newlines, strip one CR, skip blank lines, then JSON.parse and validateValue
 * each line.
 */
function generalNdjson(bytes: Buffer, firstLine: number, now: Clock) {
  const collector = new BatchCollector(now);
  const badUtf8Lines: number[] = [];
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const newline = bytes.indexOf(10, start);
    const stop = newline === -1 ? bytes.length : newline;
    pieces.push(bytes.subarray(start, stop));
    start = stop + 1;
  }
  pieces.forEach((piece, i) => {
    const lineNo = firstLine + i;
    const unmarked = lineNo === 1 && piece.toString('latin1', 0, 3) === '\xef\xbb\xbf';
    const text = unmarked ? piece.subarray(3) : piece;
    const line = text.at(-1) === 13 ? text.subarray(0, -1) : text;
    if (/^[ \t]*$/.test(line.toString('latin1'))) return;
    if (!isUtf8(line)) badUtf8Lines.push(lineNo);
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch (error) {
      collector.reject(`not valid JSON (${(error as Error).message})`, { line: lineNo });
      return;
    }
    collector.add(value, { line: lineNo });
  });
  return {
    batch: EventBatch.fromParsed(collector.events),
    invalid: collector.invalid,
    badUtf8Lines,
    lines: pieces.length,
  };
}

function expectSamePart(actual: ScanPart, expected: Expected): void {
  const { batch } = actual;
  expect(batch.length).toBe(expected.batch.length);
  expect(batch.services).toEqual(expected.batch.services);
  expect(batch.messages).toEqual(expected.batch.messages);
  expect(Array.from(batch.statuses)).toEqual(Array.from(expected.batch.statuses));
  // Object.is: -0 and 0 are different timestamps to JSON.parse, and must stay so.
  const times = Array.from(batch.times);
  const expectedTimes = Array.from(expected.batch.times);
  expect(times.every((time, i) => Object.is(time, expectedTimes[i]))).toBe(true);
  for (let i = 0; i < batch.length; i++) {
    expect(batch.eventAt(i)).toEqual(expected.batch.eventAt(i));
  }
  expect(actual.invalid).toEqual(expected.invalid);
}

function expectSameJson(bytes: Buffer, first = 0, now = NOW): JsonScan | undefined {
  const expected = generalJson(bytes, first, now);
  const actual = scanJsonArray(bytes, { first, maxBatchElements: MAX_BATCH_ELEMENTS, now });
  if (expected === undefined) {
    expect(actual).toBeUndefined();
    return undefined;
  }
  expect(actual).toBeDefined();
  expect(actual!.count).toBe(expected.count);
  expect(actual!.badUtf8).toBe(expected.badUtf8);
  expect(actual!.parts).toHaveLength(expected.parts.length);
  actual!.parts.forEach((part, i) => {
    expectSamePart(part, expected.parts[i]!);
  });
  return actual;
}

async function expectSameNdjson(bytes: Buffer, firstLine = 1, now = NOW): Promise<NdjsonScan> {
  const expected = await generalNdjson(bytes, firstLine, now);
  const actual = scanNdjsonLines(bytes, firstLine, Number.POSITIVE_INFINITY, now);
  expectSamePart(actual, expected);
  expect(actual.lines).toBe(expected.lines);
  expect(actual.consumed).toBe(bytes.length);
  expect(actual.badUtf8Lines).toEqual(expected.badUtf8Lines);
  return actual;
}

const json = (text: string) => Buffer.from(text);
const eventText = (timestamp: string | number, extra = '') =>
  `{"service":"s","timestamp":${timestamp},"message":"HTTP Status Code: 200"${extra}}`;
/** An extra field whose arrays nest `depth` levels (the event around it is one more). */
const nested = (depth: number) => `,"x":${'['.repeat(depth)}${']'.repeat(depth)}`;
const FUTURE = "timestamp is more than 24 hours ahead of this machine's clock";
const TOO_DEEP = `nested more than ${MAX_NESTING} levels deep`;
const onlyPart = (scan: JsonScan | undefined) => {
  expect(scan?.parts).toHaveLength(1);
  return scan!.parts[0]!;
};

describe('scanJsonArray', () => {
  it('reads generator-shaped events into columns, with their statuses', () => {
    const text = JSON.stringify([
      { service: 'training', timestamp: 1767225600.009, message: 'HTTP Status Code: 200' },
      { service: 'inference', timestamp: 1767225601, message: 'Heartbeat' },
      { service: 'training', timestamp: 1767225600.5, message: 'HTTP Status Code: 503' },
    ]);
    const part = onlyPart(expectSameJson(json(text)));
    expect(part.batch.services).toEqual(['training', 'inference', 'training']);
    expect(Array.from(part.batch.times)).toEqual([1767225600.009, 1767225601, 1767225600.5]);
    expect(Array.from(part.batch.statuses)).toEqual([200, NO_STATUS, 503]);
    expect(part.batch.events).toBeUndefined();
    expect(part.invalid).toEqual([]);
  });

  it('accepts the three keys in any order and whitespace wherever JSON allows it', () => {
    const text =
      '\r\n [ {"message" : "HTTP Status Code: 404"\t,"service":"a",\n"timestamp":\r\n12.25 } ,\n' +
      '{ "timestamp":-3,"message":"m","service":"b"}\t]\n\n';
    const part = onlyPart(expectSameJson(json(text)));
    expect(part.batch.services).toEqual(['a', 'b']);
    expect(Array.from(part.batch.times)).toEqual([12.25, -3]);
    expect(Array.from(part.batch.statuses)).toEqual([404, NO_STATUS]);
    // Read from the bytes, not handed to JSON.parse (which keeps the original objects).
    expect(part.batch.events).toBeUndefined();
  });

  it('decodes strings with escapes, and non-ASCII UTF-8, like JSON.parse', () => {
    const events = [
      { service: 'a"b\\c', timestamp: 1, message: 'line\nbreak\tHTTP Status Code: 201' },
      { service: 'émoji 😀', timestamp: 2, message: 'HTTP Status Code:\u00a0302 — ok' },
      { service: '服务', timestamp: 3, message: 'HTTP Status Code:\u3000418' },
      { service: 'x', timestamp: 4, message: '\u2028HTTP Status Code: 12345' },
    ];
    const part = onlyPart(expectSameJson(json(JSON.stringify(events))));
    expect(part.batch.services).toEqual(events.map((e) => e.service));
    expect(part.batch.messages).toEqual(events.map((e) => e.message));
    // \s includes U+00A0 and U+3000; three digits of a longer number still match.
    expect(Array.from(part.batch.statuses)).toEqual([201, 302, 418, 123]);
    const escaped = onlyPart(
      expectSameJson(json('[{"service":"\\u0061","timestamp":1,"message":"\\/"}]')),
    );
    expect(escaped.batch.services).toEqual(['a']);
    expect(escaped.batch.messages).toEqual(['/']);
  });

  it('parses numbers exactly as JSON.parse: exponents, negatives, long fractions', () => {
    const numbers = [
      '0',
      '-0',
      '-0.0',
      '1767225600.009',
      '1e3',
      '-2.5E-3',
      '1E+2',
      '123456789012345.6',
      '0.1000000000000000055511151231257827',
      '9007199254740993',
      '1767225600.0090000000001',
      '4.9406564584124654e-324',
    ];
    const text = `[${numbers.map((n) => `{"service":"s","timestamp":${n},"message":""}`).join(',')}]`;
    // Some of these are centuries ahead: the clock must not bound them here.
    const part = onlyPart(expectSameJson(json(text), 0, UNBOUNDED));
    const times = Array.from(part.batch.times);
    numbers.forEach((n, i) => {
      expect(Object.is(times[i], JSON.parse(n)), n).toBe(true);
    });
  });

  it('gives every other element to JSON.parse and validateEvent, keeping its original', () => {
    const text = JSON.stringify([
      { service: 'iso', timestamp: '2026-01-01T00:00:00Z', message: 'HTTP Status Code: 500' },
      { service: 'extra', timestamp: 1, message: 'm', level: 'info' },
      { service: 'nested', timestamp: 2, message: 'm', meta: { list: [1, { deep: ']' }] } },
      { service: 'ok', timestamp: 3, message: 'HTTP Status Code: 200' },
      { timestamp: 4, message: 'm' },
      { service: '', timestamp: 5, message: 'm' },
      { service: 7, timestamp: 6, message: 'm' },
      { service: 's', message: 'm' },
      { service: 's', timestamp: 'yesterday', message: 'm' },
      { service: 's', timestamp: 8 },
      { service: 's', timestamp: 9, message: null },
      42,
      'text',
      null,
      [1, 2],
      {},
    ]);
    const part = onlyPart(expectSameJson(json(text)));
    expect(part.batch.services).toEqual(['iso', 'extra', 'nested', 'ok']);
    expect(part.batch.eventAt(0).timestamp).toBe('2026-01-01T00:00:00Z');
    expect(part.batch.times[0]).toBe(Date.UTC(2026, 0, 1) / 1000);
    expect(part.batch.eventAt(1)).toEqual({
      service: 'extra',
      timestamp: 1,
      message: 'm',
      level: 'info',
    });
    expect(part.batch.eventAt(3)).toEqual({
      service: 'ok',
      timestamp: 3,
      message: 'HTTP Status Code: 200',
    });
    expect(part.invalid.map((value) => value.position)).toEqual(
      [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((index) => ({ index })),
    );
    expect(part.invalid[0]!.reason).toBe('missing service');
  });

  it('rejects a timestamp more than a day after the clock, on both paths', () => {
    const timestamps = [
      String(LATEST),
      String(LATEST + 0.001),
      '1e12',
      '1e300',
      '-1e300',
      '"2099-01-01T00:00:00Z"',
      '"2026-06-01T00:00:00Z"',
      String(NOW() / 1000),
    ];
    const text = `[${timestamps.map((timestamp) => eventText(timestamp)).join(',')}]`;
    const part = onlyPart(expectSameJson(json(text)));
    // Up to the horizon itself, and any time in the past back to the start of the dates.
    expect(Array.from(part.batch.times)).toEqual([LATEST, NOW() / 1000, NOW() / 1000]);
    expect(part.invalid).toEqual([
      ...[1, 2, 3].map((index) => ({ reason: FUTURE, position: { index } })),
      { reason: 'timestamp is before the range of dates (-8.64e12 s)', position: { index: 4 } },
      { reason: FUTURE, position: { index: 5 } },
    ]);
  });

  it('rejects non-finite timestamps (JSON spells them only as overflowing literals)', () => {
    const text = `[${['1e999', '-1e999', '1'].map((timestamp) => eventText(timestamp)).join(',')}]`;
    const part = onlyPart(expectSameJson(json(text)));
    expect(part.batch.length).toBe(1);
    expect(part.invalid.map((value) => value.reason)).toEqual([
      'timestamp is Infinity, not epoch seconds or ISO-8601',
      'timestamp is -Infinity, not epoch seconds or ISO-8601',
    ]);
  });

  it('reads the clock when it scans, Date.now by default', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW());
    const text = `[${eventText(LATEST)},${eventText(LATEST + 1)}]`;
    const part = onlyPart(scanJsonArray(json(text)));
    expect(part.batch.length).toBe(1);
    expect(part.invalid).toEqual([{ reason: FUTURE, position: { index: 1 } }]);
  });

  it('rejects an event nested more than MAX_NESTING levels as one invalid event, at any depth', () => {
    const depths = [MAX_NESTING - 1, MAX_NESTING, 100_000];
    const elements = [eventText(1), ...depths.map((depth) => eventText(2, nested(depth)))];
    const part = onlyPart(expectSameJson(json(`[${elements.join(',')}, ${eventText(3)}]`)));
    // The event is level 1: an extra field may nest one level less than the limit.
    expect(Array.from(part.batch.times)).toEqual([1, 2, 3]);
    expect(part.invalid).toEqual(
      [2, 3].map((index) => ({ reason: TOO_DEEP, position: { index } })),
    );
    // What is kept can be forwarded and cross threads.
    const kept = part.batch.eventAt(1);
    expect(JSON.parse(JSON.stringify(structuredClone(kept)))).toEqual(kept);
    // A deep element that is no event at all keeps the event model's reason.
    const array = onlyPart(expectSameJson(json(`[${'['.repeat(100_000)}${']'.repeat(100_000)}]`)));
    expect(array.invalid).toEqual([{ reason: 'not an object (an array)', position: { index: 0 } }]);
  });

  it('keeps the last of repeated keys, as JSON.parse does', () => {
    const text = '[{"service":"a","service":"b","timestamp":1,"message":"m","timestamp":2}]';
    const part = onlyPart(expectSameJson(json(text)));
    expect(part.batch.services).toEqual(['b']);
    expect(Array.from(part.batch.times)).toEqual([2]);
  });

  it('reads an empty array, and a single event or value as a document of one', () => {
    expect(onlyPart(expectSameJson(json(' [ ] '))).batch.length).toBe(0);
    expect(expectSameJson(json('[]'))?.count).toBe(0);
    const single = expectSameJson(json('{"service":"a","timestamp":1,"message":"m"}\n'));
    expect(single?.count).toBe(1);
    expect(onlyPart(single).batch.services).toEqual(['a']);
    expect(onlyPart(expectSameJson(json('"just text"'))).invalid).toHaveLength(1);
    expectSameJson(json('{"service":"a","timestamp":"2026-01-01","message":"m"}'));
  });

  it('skips a byte-order mark like the general path', () => {
    const text = '\ufeff[{"service":"a","timestamp":1,"message":"m"}]';
    expect(onlyPart(expectSameJson(json(text))).batch.services).toEqual(['a']);
  });

  it('declines (undefined) whatever the general path reports as not valid JSON', () => {
    const broken = [
      '',
      '  \n',
      '[{"service":"a","timestamp":1,"message":"m"}',
      '[{"service":"a","timestamp":1,"message":"m"},',
      '[{"service":"a","timestamp":1,"message":"m"},]',
      '[{"service":"a","timestamp":1,"message":"m"}] x',
      '[{"service":"a","timestamp":1,"message":"m"}}]',
      '[{"service":"a","timestamp":01,"message":"m"}]',
      '[{"service":"a","timestamp":1.,"message":"m"}]',
      '[{"service":"a","timestamp":-,"message":"m"}]',
      '[{"service":"a","timestamp":1e,"message":"m"}]',
      '[{"service":"a\tb","timestamp":1,"message":"m"}]',
      '[{"service":"a","timestamp":1,"message":"a longer message\u0001 with a raw control"}]',
      '[{"service":"a","timestamp":1,"message":"a longer message with a raw\nnewline"}]',
      '[{"service":"a","timestamp":1,"message":"m",}]',
      '[{"service":"a" "timestamp":1,"message":"m"}]',
      '[{"service":"a","timestamp":1,"message":"m"} {"service":"b"}]',
      '[1 2]',
      '[tru]',
      '[{"a":1}',
      '{"service":"a","timestamp":1,"message":"m"} {}',
      '[{"service":"a","timestamp":1,"message":"m\\x"}]',
    ];
    for (const text of broken) {
      expect(parseJsonDocument(json(text)).ok, text).toBe(false);
      expect(scanJsonArray(json(text)), text).toBeUndefined();
    }
  });

  it('decodes invalid UTF-8 with U+FFFD and reports it, like the general path', () => {
    const parts = [
      json('[{"service":"a'),
      Buffer.from([0xff]),
      json('","timestamp":1,"message":"b'),
      Buffer.from([0xe2, 0x82]),
      json('"},{"service":"ok","timestamp":2,"message":"HTTP Status Code: 200"}]'),
    ];
    const scan = expectSameJson(Buffer.concat(parts));
    expect(scan?.badUtf8).toBe(true);
    expect(onlyPart(scan).batch.services).toEqual(['a\ufffd', 'ok']);
    expect(onlyPart(scan).batch.messages[0]).toBe('b\ufffd');
    expect(expectSameJson(json('[{"service":"ok","timestamp":1,"message":"é"}]'))?.badUtf8).toBe(
      false,
    );
  });

  it('returns the elements from `first` on, `maxBatchElements` per part', () => {
    const events = Array.from({ length: 10 }, (_, i) =>
      i % 4 === 3
        ? { service: 's', timestamp: 'bad' }
        : { service: `s${i}`, timestamp: i, message: 'm' },
    );
    const bytes = json(JSON.stringify(events));
    const whole = onlyPart(scanJsonArray(bytes));
    const scan = scanJsonArray(bytes, { first: 2, maxBatchElements: 3 })!;
    expect(scan.count).toBe(10);
    // Elements 2-4, 5-7, 8-9: sizes count valid and invalid elements alike.
    expect(scan.parts.map((part) => part.batch.length + part.invalid.length)).toEqual([3, 3, 2]);
    expect(scan.parts.flatMap((part) => part.batch.services)).toEqual(
      whole.batch.services.filter((_, i) => i >= 2),
    );
    expect(scan.parts.flatMap((part) => part.invalid)).toEqual(
      whole.invalid.filter((value) => 'index' in value.position && value.position.index >= 2),
    );
    // Nothing new: one empty part, like collectValues.
    const none = scanJsonArray(bytes, { first: 10 })!;
    expect(none.parts).toHaveLength(1);
    expect(none.parts[0]!.batch.length + none.parts[0]!.invalid.length).toBe(0);
    expectSameJson(bytes, 4);
  });

  it('gives JSON.parse the exact double for any decimal literal (property)', () => {
    const digits = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
    const literal = fc
      .tuple(
        fc.boolean(),
        fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 19))),
        fc.option(digits(1, 25)),
        fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3))),
      )
      .map(([negative, whole, fraction, exponent]) => {
        const integer = typeof whole === 'string' ? whole : whole.join('');
        return `${negative ? '-' : ''}${integer}${fraction === null ? '' : `.${fraction}`}${
          exponent === null ? '' : exponent.join('')
        }`;
      });
    fc.assert(
      fc.property(literal, (number) => {
        const text = `[{"service":"s","timestamp":${number},"message":""}]`;
        const expected = JSON.parse(number) as number;
        const part = onlyPart(expectSameJson(json(text), 0, UNBOUNDED));
        if (Number.isFinite(expected) && expected >= EARLIEST_TIMESTAMP)
          expect(Object.is(part.batch.times[0], expected)).toBe(true);
        else expect(part.batch.length).toBe(0);
      }),
      { seed: 4242, numRuns: 2000 },
    );
  });
});

describe('scanNdjsonLines', () => {
  it('reads lines, skips blank ones, strips CR and numbers lines from firstLine', async () => {
    const text =
      '{"service":"a","timestamp":1,"message":"HTTP Status Code: 200"}\r\n' +
      '\n' +
      '  \t\r\n' +
      ' {"service":"b","timestamp":2,"message":"m"} \t\r\n' +
      'not json\n' +
      '{"service":"c","timestamp":"2026-01-01T00:00:00Z","message":"m"}\r\n' +
      '{"timestamp":3,"message":"m"}\n' +
      '{"service":"d","timestamp":4,"message":"m"}';
    const scan = await expectSameNdjson(json(text), 10);
    expect(scan.lines).toBe(8);
    expect(scan.batch.services).toEqual(['a', 'b', 'c', 'd']);
    expect(Array.from(scan.batch.statuses)).toEqual([200, NO_STATUS, NO_STATUS, NO_STATUS]);
    expect(scan.invalid.map((value) => value.position)).toEqual([{ line: 14 }, { line: 16 }]);
    expect(scan.invalid[0]!.reason).toMatch(/^not valid JSON \(/);
    expect(scan.invalid[1]!.reason).toBe('missing service');
  });

  it('skips a byte-order mark at the start of line 1 only, as a .json file does', async () => {
    const bom = '\ufeff';
    const text = `${bom}${eventText(1)}\n${bom}${eventText(2)}\n`;
    const scan = await expectSameNdjson(json(text));
    expect(Array.from(scan.batch.times)).toEqual([1]);
    expect(scan.invalid).toEqual([
      { reason: expect.stringMatching(/^not valid JSON/), position: { line: 2 } },
    ]);
    // Lines after the first chunk of a file begin no file: a mark there is content.
    expect((await expectSameNdjson(json(text), 7)).invalid).toHaveLength(2);
    expect((await expectSameNdjson(json(`${bom}\r\n${eventText(3)}`))).batch.length).toBe(1);
    // A blank line with a mark is blank.
    expect((await expectSameNdjson(json(bom))).invalid).toEqual([]);
  });

  it('rejects a line more than a day ahead or nested too deep, and reads the others', async () => {
    const lines = [
      eventText(1),
      eventText('1e300'),
      eventText(2, nested(100_000)),
      eventText(LATEST + 0.5),
      eventText(3, nested(MAX_NESTING - 1)),
      eventText(LATEST),
    ];
    const scan = await expectSameNdjson(json(lines.join('\n')));
    expect(Array.from(scan.batch.times)).toEqual([1, 3, LATEST]);
    expect(scan.invalid).toEqual([
      { reason: FUTURE, position: { line: 2 } },
      { reason: TOO_DEEP, position: { line: 3 } },
      { reason: FUTURE, position: { line: 4 } },
    ]);
  });

  it('rejects a line over MAX_EVENT_BYTES without decoding it, and reads the others', () => {
    const head = json(`${eventText(1)}\n{"service":"s","timestamp":2,"message":"`);
    const tail = json(`"}\n${eventText(3)}\n`);
    const bytes = Buffer.alloc(head.length + MAX_EVENT_BYTES + tail.length, 'a');
    head.copy(bytes);
    tail.copy(bytes, bytes.length - tail.length);
    const scan = scanNdjsonLines(bytes, 1);
    expect(Array.from(scan.batch.times)).toEqual([1, 3]);
    expect(scan.invalid).toEqual([{ reason: TOO_LARGE, position: { line: 2 } }]);
    expect(scan.lines).toBe(3);
  });

  it('counts a trailing newline as the end of the last line, not a new one', async () => {
    expect(
      (await expectSameNdjson(json('{"service":"a","timestamp":1,"message":"m"}\n'))).lines,
    ).toBe(1);
    expect((await expectSameNdjson(json('\n\n'))).lines).toBe(2);
    expect(scanNdjsonLines(json(''), 1).lines).toBe(0);
  });

  it('stops after maxLines non-blank lines, telling how many bytes it read', () => {
    const lines = [
      '{"service":"a","timestamp":1,"message":"m"}',
      '',
      'not json',
      '{"service":"b","timestamp":2,"message":"m"}',
      '  ',
      '{"service":"c","timestamp":3,"message":"m"}',
      '{"timestamp":4}',
    ];
    const bytes = json(lines.map((line) => `${line}\r\n`).join(''));
    const whole = scanNdjsonLines(bytes, 1);
    const chunks: NdjsonScan[] = [];
    for (let at = 0, line = 1; at < bytes.length; ) {
      const chunk = scanNdjsonLines(bytes.subarray(at), line, 2);
      chunks.push(chunk);
      at += chunk.consumed;
      line += chunk.lines;
    }
    // Two non-blank lines per chunk; blank lines go with the chunk that reaches them.
    expect(chunks.map((chunk) => chunk.lines)).toEqual([3, 3, 1]);
    expect(chunks.map((chunk) => chunk.batch.length + chunk.invalid.length)).toEqual([2, 2, 1]);
    expect(chunks.flatMap((chunk) => chunk.batch.services)).toEqual(whole.batch.services);
    expect(chunks.flatMap((chunk) => chunk.invalid)).toEqual(whole.invalid);
    expect(whole.consumed).toBe(bytes.length);
  });

  it('never lets a value run over a newline', async () => {
    const text = '{"service":"a",\n"timestamp":1,"message":"m"}\n{"service":"b","timestamp":1,\n';
    const scan = await expectSameNdjson(json(text));
    expect(scan.batch.length).toBe(0);
    expect(scan.invalid.map((value) => value.position)).toEqual(
      [1, 2, 3].map((line) => ({ line })),
    );
  });

  it('reports the lines with invalid UTF-8', async () => {
    const bytes = Buffer.concat([
      json('{"service":"ok","timestamp":1,"message":"m"}\n{"service":"a'),
      Buffer.from([0xc3]),
      json('","timestamp":2,"message":"m"}\n{"service":"b","timestamp":3,"message":"m","x":"'),
      Buffer.from([0xf0, 0x9f]),
      json('"}\n'),
    ]);
    const scan = await expectSameNdjson(bytes, 5);
    expect(scan.badUtf8Lines).toEqual([6, 7]);
    expect(scan.batch.services).toEqual(['ok', 'a\ufffd', 'b']);
  });
});

// Random documents, mostly of simple events, with odd ones among them: escapes, non-ASCII,
// extra and repeated keys, wrong types, ISO and invalid timestamps, non-objects, invalid
// UTF-8, truncation and trailing text. The scanner must agree with the general path.

/** Placeholder in generated strings, replaced by an invalid UTF-8 sequence in the bytes. */
const BAD_UTF8_MARK = '\ue000';
const MARK_BYTES = Buffer.from(BAD_UTF8_MARK);
const BAD_SEQUENCES = [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]];

const aString = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('training', 'inference', 'monitoring', 'evaluation') },
  { weight: 1, arbitrary: fc.constantFrom('', '__proto__', 'é', '服务', 'a"b', 'tab\t', 'π😀') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constant(`bad${BAD_UTF8_MARK}utf8`) },
);
const aMessage = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(200, 201, 404, 500, 503).map((s) => `HTTP Status Code: ${s}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'Heartbeat',
      'HTTP Status Code:204',
      'HTTP Status Code:\u00a0301',
      'HTTP Status Code:\u2028 401',
      'HTTP Status Code: 12345',
      'HTTP Status Code: 20 then HTTP Status Code: 502',
      'HTTP Status Code:\n 200',
      'HTTP Status Code: ５00',
      `HTTP Status Code: ${BAD_UTF8_MARK}500`,
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);
const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 18 });
const aTimestamp = fc.oneof(
  { weight: 5, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('', '-'), fc.integer({ min: 0, max: 2_000_000_000 }), digits)
      .map(([sign, whole, fraction]) => `${sign}${whole}.${fraction}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('1e3', '2E-2', '1e400', '-1e400', '-0', '0.0') },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(LATEST - 0.001, LATEST, LATEST + 0.001, LATEST + 1, 1e12, 1e300)
      .map(String),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '2026-01-01T00:00:00Z',
        '2026-01-01',
        '2026-06-02',
        '2026-06-02T00:00:00.001Z',
        '2099-01-01',
        'yesterday',
        '',
        '5',
        null,
        true,
        {},
      )
      .map((value) => JSON.stringify(value)),
  },
);
// Raw JSON texts of values, numbers spelled as given.
const anEventObject = fc
  .record({
    service: fc.option(
      aString.map((s) => JSON.stringify(s)),
      { freq: 15, nil: undefined },
    ),
    timestamp: fc.option(aTimestamp, { freq: 15, nil: undefined }),
    message: fc.option(
      aMessage.map((s) => JSON.stringify(s)),
      { freq: 15, nil: undefined },
    ),
    extra: fc.option(
      fc.tuple(
        fc.constantFrom('"level"', '"service"', '"message"', '"s\\u0065rvice"', '"__proto__"'),
        fc.oneof(
          { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
          {
            weight: 1,
            arbitrary: fc
              .integer({ min: MAX_NESTING - 2, max: MAX_NESTING + 1 })
              .chain((depth) =>
                fc
                  .array(fc.constantFrom('[]', '{"k":}'), { minLength: depth, maxLength: depth })
                  .map((levels) =>
                    levels.reduce(
                      (inner, level) => (level === '[]' ? `[${inner}]` : `{"k":${inner}}`),
                      '0',
                    ),
                  ),
              ),
          },
        ),
      ),
      { freq: 6, nil: undefined },
    ),
    order: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  })
  .map(({ service, timestamp, message, extra, order }) => {
    const members: [string, string][] = [];
    if (service !== undefined) members.push(['"service"', service]);
    if (timestamp !== undefined) members.push(['"timestamp"', timestamp]);
    if (message !== undefined) members.push(['"message"', message]);
    if (extra !== undefined) members.push(extra);
    const sorted = members
      .map((member, i) => ({ member, key: order[i]! }))
      .sort((a, b) => a.key - b.key)
      .map(({ member }) => member);
    return sorted;
  });
const anElement = fc.oneof(
  { weight: 12, arbitrary: anEventObject },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)) },
);

/** Serialises an element with whitespace drawn from `spaces` between its tokens. */
function serialise(element: string | [string, string][], spaces: readonly string[]): string {
  if (typeof element === 'string') return element;
  let next = 0;
  const space = () => spaces[next++ % spaces.length]!;
  const members = element.map(
    ([key, value]) => `${space()}${key}${space()}:${space()}${value}${space()}`,
  );
  return `{${members.join(',')}${members.length === 0 ? space() : ''}}`;
}

/** The UTF-8 bytes of `text`, each placeholder replaced by the invalid sequence `bad`. */
function withBadUtf8(text: string, bad: readonly number[]): Buffer {
  const bytes = Buffer.from(text);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (
      bytes[i] === MARK_BYTES[0] &&
      bytes[i + 1] === MARK_BYTES[1] &&
      bytes[i + 2] === MARK_BYTES[2]
    ) {
      out.push(...bad);
      i += 2;
    } else {
      out.push(bytes[i]!);
    }
  }
  return Buffer.from(out);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('scanners agree with the general path (property)', () => {
  it('on .json documents', () => {
    const jsonSpace = fc.constantFrom('', '', '', '', ' ', '\n', '\t', '\r\n', ' \n  ');
    fc.assert(
      fc.property(
        fc.array(anElement, { maxLength: 25 }),
        fc.array(jsonSpace, { minLength: 16, maxLength: 16 }),
        fc.constantFrom(...BAD_SEQUENCES),
        fc.oneof(
          { weight: 8, arbitrary: fc.constant('array') },
          { weight: 1, arbitrary: fc.constantFrom('single', 'truncated', 'trailing') },
        ),
        fc.nat(),
        fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(30) }),
        (elements, spaces, bad, shape, cut, first) => {
          const texts = elements.map((element) => serialise(element, spaces));
          let text =
            shape === 'single' && texts.length > 0
              ? `${spaces[0]}${texts[0]}${spaces[1]}`
              : `${spaces[2]}[${spaces[3]}${texts.join(`${spaces[4]},${spaces[5]}`)}${spaces[6]}]${spaces[7]}`;
          if (shape === 'truncated') text = text.slice(0, cut % (text.length + 1));
          if (shape === 'trailing') text += ' {}';
          expectSameJson(withBadUtf8(text, bad), first);
        },
      ),
      { seed: 20_260_301, numRuns: 400 },
    );
  });

  it('on NDJSON lines', async () => {
    const lineSpace = fc.constantFrom('', '', '', ' ', '\t', '\r');
    const aLine = fc.oneof(
      { weight: 10, arbitrary: anElement },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '',
          '  ',
          '\t',
          '{',
          'not json',
          '{"service":"a"',
          '[1,2]',
          '\ufeff{}',
        ),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(aLine, fc.constantFrom('\n', '\n', '\r\n')), { maxLength: 20 }),
        fc.array(lineSpace, { minLength: 16, maxLength: 16 }),
        fc.constantFrom(...BAD_SEQUENCES),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        async (lines, spaces, bad, unterminated, firstLine) => {
          let text = lines.map(([line, end]) => `${serialise(line, spaces)}${end}`).join('');
          if (unterminated && text.endsWith('\n')) text = text.replace(/\r?\n$/, '');
          await expectSameNdjson(withBadUtf8(text, bad), firstLine);
        },
      ),
      { seed: 20_260_302, numRuns: 150 },
    );
  });
});

describe('the fast path for the generator layout agrees with the general path', () => {
  // Strings alike in their first bytes, or only past them, or prefixes of each other: the
  // scanner's guess by the leading bytes must never be taken for a different string.
  const services = [
    'training',
    'trainin',
    'training2',
    'service-1',
    'service-2',
    'a',
    '',
    'é',
    'x"y',
    'tab\t',
    'a\\b',
    `bad${BAD_UTF8_MARK}`,
    `${'s'.repeat(30)}1`,
    `${'s'.repeat(30)}2`,
  ];
  const messages = [
    'HTTP Status Code: 200',
    'HTTP Status Code: 201',
    'HTTP Status Code: 20',
    'HTTP Status Code: 2000',
    'Heartbeat',
    '',
    'π😀',
    'HTTP Status Code: \\u0035',
    `${'m'.repeat(40)} HTTP Status Code: 404`,
    `${'m'.repeat(40)} HTTP Status Code: 500`,
  ];
  const timestamps = [
    '1767225600.027',
    '1767225600.31',
    '1767225600',
    '1767225600.',
    '1767225600.0270',
    '17672256001.123',
    '1767225600.12345',
    '176722560.1234567',
    '1767225600.123456789012',
    '1767225600e0',
    '1767225600.5E-1',
    '1.7e9',
    '-1767225600.5',
    '-0',
    '0',
    '0.5',
    '01',
    '1',
    '12',
    '123.4',
    '99999999999999999999',
    '1e400',
    '17672256OO',
    '"1767225600"',
  ];
  const anEvent = fc
    .tuple(
      fc.constantFrom(...services),
      fc.constantFrom(...timestamps),
      fc.constantFrom(...messages),
      fc.oneof(
        { weight: 12, arbitrary: fc.constant('') },
        { weight: 1, arbitrary: fc.constantFrom(' ', ',"x":1', 'swap', 'drop') },
      ),
    )
    .map(([service, timestamp, message, odd]) => {
      const s = `"service":"${service}"`;
      const t = `"timestamp":${timestamp}`;
      const m = `"message":"${message}"`;
      if (odd === 'swap') return `{${m},${t},${s}}`;
      if (odd === 'drop') return `{${s},${t}}`;
      if (odd === ' ') return `{${s}, ${t},${m}}`;
      return `{${s},${t},${m}${odd}}`;
    });

  it('on .json documents, cut anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(anEvent, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...BAD_SEQUENCES),
        fc.option(fc.nat(), { nil: undefined }),
        (events, bad, cut) => {
          let text = `[${events.join(',')}]`;
          if (cut !== undefined) text = text.slice(0, cut % (text.length + 1));
          expectSameJson(withBadUtf8(text, bad), 0, UNBOUNDED);
          expectSameJson(withBadUtf8(text, bad));
        },
      ),
      { seed: 20_260_303, numRuns: 400 },
    );
  });

  it('on NDJSON lines, with or without the last newline', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(anEvent, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...BAD_SEQUENCES),
        fc.boolean(),
        async (events, bad, unterminated) => {
          const text = `${events.join('\n')}${unterminated ? '' : '\n'}`;
          await expectSameNdjson(withBadUtf8(text, bad), 1, UNBOUNDED);
          await expectSameNdjson(withBadUtf8(text, bad));
        },
      ),
      { seed: 20_260_304, numRuns: 300 },
    );
  });

  it('reads an event whose strings and number end at the end of the input', async () => {
    const events = [
      '{"service":"training","timestamp":1767225600.027,"message":"HTTP Status Code: 200"}',
      '{"service":"training","timestamp":1767225600.1,"message":"HTTP Status Code: 200"}',
    ];
    const text = events.join('\n');
    for (let cut = 0; cut <= text.length; cut++) {
      await expectSameNdjson(json(text.slice(0, cut)), 1, UNBOUNDED);
      expectSameJson(json(`[${text.replace('\n', ',')}]`.slice(0, cut)), 0, UNBOUNDED);
    }
  });
});

describe('one dictionary for a thread’s inputs', () => {
  it('reads documents one after another in one reused buffer as each alone (property)', () => {
    const buffer = Buffer.alloc(1 << 16);
    fc.assert(
      fc.property(
        fc.array(fc.array(anElement, { maxLength: 12 }), { minLength: 2, maxLength: 6 }),
        (documents) => {
          for (const elements of documents) {
            const text = Buffer.from(`[${elements.map((e) => serialise(e, [''])).join(',')}]`);
            // The bytes of the last document stay behind this one's, as in a reader thread.
            text.copy(buffer);
            expectSameJson(buffer.subarray(0, text.length));
          }
        },
      ),
      { seed: 2323, numRuns: 200 },
    );
  });

  it('tells apart strings that the last input held at the same place', () => {
    // Past the first 24 bytes, where the guess of a string is chosen, the messages differ.
    const event =
      '{"service":"aaa","timestamp":1767225600,"message":"HTTP Status Code: 200 from the upstream aaa"}';
    const buffer = Buffer.from(`[${event},${event}]`);
    expectSameJson(buffer);
    buffer.write('bbb', buffer.indexOf('upstream aaa') + 'upstream '.length);
    buffer.write('503', buffer.lastIndexOf('200'));
    const batch = onlyPart(expectSameJson(buffer)).batch;
    expect([0, 1].map((i) => batch.eventAt(i))).toEqual(JSON.parse(buffer.toString()));
    expect(batch.statuses).toEqual(new Uint16Array([200, 503]));
  });
});
