import { isUtf8 } from 'node:buffer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventBatch, NO_STATUS } from '../../operators/batch.js';
import { validateEvent } from '../../operators/event.js';
import {
  collectValues,
  parseJsonDocument,
  readJsonDocument,
  splitLargeArray,
} from '../../src/source/json.js';
import { type ScanPart, scanJsonArray, scanNdjsonLines } from '../../src/source/scan-events.js';
import {
  BatchCollector,
  type InvalidValue,
  type Position,
} from '../../src/source/validate-values.js';
import {
  type DocumentOptions,
  type Element,
  element,
  jsonDocument,
  ndjsonDocument,
  type Validity,
} from './hostile.js';

const SEED = 20_261_201;

const sizeOf = (part: { batch: EventBatch; invalid: readonly InvalidValue[] }) =>
  part.batch.length + part.invalid.length;

const indexOf = (position: Position) => ('index' in position ? position.index : position.line);

/** Every event of a batch is one the event model accepts, each column in range. */
function expectSoundBatch(batch: EventBatch): void {
  for (let i = 0; i < batch.length; i++) {
    expect(batch.service(i).length).toBeGreaterThan(0);
    expect(Number.isFinite(batch.times[i])).toBe(true);
    const status = batch.statuses[i]!;
    expect(status === NO_STATUS || status <= 999).toBe(true);
    expect(typeof batch.message(i)).toBe('string');
    expect(validateEvent(batch.eventAt(i)).ok).toBe(true);
  }
}

/** Positions strictly increasing: each value reported once, in input order. */
function expectIncreasing(positions: readonly number[]): void {
  for (let i = 1; i < positions.length; i++) {
    expect(positions[i]!).toBeGreaterThan(positions[i - 1]!);
  }
}

/**
 * The values at `invalid` positions are exactly those the event model rejects, as far as the
 * generator knows: every element it made invalid is reported, none it made valid is.
 */
function expectClassified(
  validities: ReadonlyMap<number, Validity>,
  invalidPositions: readonly number[],
): void {
  const reported = new Set(invalidPositions);
  for (const [position, validity] of validities) {
    if (validity === 'invalid') expect(reported.has(position), `position ${position}`).toBe(true);
    if (validity === 'valid') expect(reported.has(position), `position ${position}`).toBe(false);
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Bytes that steer random input into the scanner's decisions. */
const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  '\\u',
  'd800',
  '"service"',
  '"timestamp"',
  '"message"',
  '"a"',
  '""',
  '1',
  '0',
  '-',
  '.',
  'e',
  '+',
  '1767225600.5',
  'null',
  'true',
  ' ',
  '\t',
  '\r',
  '\n',
  '\ufeff',
  'HTTP Status Code: 500',
].map((token) => Buffer.from(token));
const RAW_BYTES = [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0x00], [0x1b]].map((b) =>
  Buffer.from(b),
);

const tokenSoup = fc
  .array(fc.constantFrom(...TOKENS, ...TOKENS, ...RAW_BYTES), { maxLength: 60 })
  .map((tokens) => Buffer.concat(tokens));

/** Bytes a mutation inserts or writes: JSON punctuation, quotes, escapes, bad UTF-8. */
const MUTATION_BYTES = [0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x0a, 0x0d, 0x20, 0x00];

interface Mutation {
  readonly at: number;
  readonly op: 'set' | 'insert' | 'delete';
  readonly byte: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set' as const, 'insert' as const, 'delete' as const),
  byte: fc.oneof(fc.constantFrom(...MUTATION_BYTES), fc.integer({ min: 0, max: 255 })),
});

/** `bytes` with a few bytes replaced, inserted or deleted: a near miss of a valid document. */
function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = bytes;
  for (const { at, op, byte } of mutations) {
    const i = at % (out.length + 1);
    const b = Buffer.of(byte);
    if (op === 'insert') out = Buffer.concat([out.subarray(0, i), b, out.subarray(i)]);
    else if (out.length === 0) out = b;
    else if (op === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
    else out = Buffer.concat([out.subarray(0, i), b, out.subarray(i + 1)]);
  }
  return out;
}

/** Anything a file may hold: random bytes, a soup of JSON tokens, a near-valid document. */
function anyBytes(document: fc.Arbitrary<{ bytes: Buffer }>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    tokenSoup,
    fc
      .tuple(document, fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([doc, mutations]) => mutate(doc.bytes, mutations)),
  );
}

/** Documents of `make`, one in twenty with messages of a few hundred kilobytes. */
function withLongLines<T>(make: (options: DocumentOptions) => fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof(
    { weight: 19, arbitrary: make({}) },
    { weight: 1, arbitrary: make({ longLines: true, maxElements: 6 }) },
  );
}

/** The general path's reading of a parsed document from `first` on. */
function generalParts(values: readonly unknown[], first: number) {
  const parts = [...collectValues(values, first)];
  return {
    valid: parts.reduce((sum, part) => sum + part.events.length, 0),
    invalid: parts.flatMap((part) => part.invalid.map((value) => indexOf(value.position))),
  };
}

function partsTotals(parts: readonly ScanPart[]) {
  return {
    valid: parts.reduce((sum, part) => sum + part.batch.length, 0),
    invalid: parts.flatMap((part) => part.invalid.map((value) => indexOf(value.position))),
  };
}

describe('the .json scanner and the general path (properties)', () => {
  it('count every element once, valid or invalid, from any first element, in bounded parts', () => {
    fc.assert(
      fc.property(
        withLongLines(jsonDocument),
        fc.nat({ max: 45 }),
        fc.integer({ min: 1, max: 12 }),
        ({ bytes, elements }, first, maxBatchElements) => {
          const scan = scanJsonArray(bytes, { first, maxBatchElements });
          expect(scan).toBeDefined();
          const { parts, count } = scan!;
          expect(count).toBe(elements.length);
          const fresh = Math.max(0, count - first);
          expect(parts).toHaveLength(Math.max(1, Math.ceil(fresh / maxBatchElements)));
          for (const part of parts) {
            expect(sizeOf(part)).toBeLessThanOrEqual(maxBatchElements);
            expectSoundBatch(part.batch);
          }
          expect(parts.reduce((sum, part) => sum + sizeOf(part), 0)).toBe(fresh);

          const totals = partsTotals(parts);
          expectIncreasing(totals.invalid);
          for (const index of totals.invalid) {
            expect(index).toBeGreaterThanOrEqual(first);
            expect(index).toBeLessThan(count);
          }
          const validities = new Map<number, Validity>();
          elements.forEach((e, i) => {
            if (i >= first) validities.set(i, e.validity);
          });
          expectClassified(validities, totals.invalid);

          const document = parseJsonDocument(bytes);
          expect(document.ok).toBe(true);
          if (!document.ok) return;
          expect(document.values).toHaveLength(count);
          expect(totals).toEqual(generalParts(document.values, first));

          const read = readJsonDocument(bytes, first);
          expect(read.ok && partsTotals(read.parts)).toEqual(totals);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('never throws on any bytes, and declines exactly the documents JSON.parse rejects', () => {
    fc.assert(
      fc.property(
        anyBytes(jsonDocument({ maxElements: 6 })),
        fc.nat({ max: 3 }),
        (bytes, first) => {
          const document = parseJsonDocument(bytes);
          const scan = scanJsonArray(bytes, { first });
          expect(scan === undefined).toBe(!document.ok);
          const read = readJsonDocument(bytes, first);
          expect(read.ok).toBe(document.ok);
          if (!document.ok || !read.ok || scan === undefined) {
            if (!read.ok) expect(read.reason.length).toBeGreaterThan(0);
            return;
          }
          expect(scan.count).toBe(document.values.length);
          expect(read.count).toBe(document.values.length);
          const general = generalParts(document.values, first);
          expect(partsTotals(scan.parts)).toEqual(general);
          expect(partsTotals(read.parts)).toEqual(general);
          expect(scan.badUtf8).toBe(!isUtf8(bytes));
          for (const part of scan.parts) expectSoundBatch(part.batch);
        },
      ),
      { seed: SEED + 1, numRuns: 1000 },
    );
  });

  it('the large-file splitter reads every valid array as the general path does, and never throws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logstream-props-'));
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            jsonDocument().map((doc) => doc.bytes),
            anyBytes(jsonDocument({ maxElements: 6 })),
          ),
          fc.nat({ max: 3 }),
          async (bytes, first) => {
            const file = join(dir, `${run++}.json`);
            writeFileSync(file, bytes);
            const handle = await open(file);
            const collectors: BatchCollector[] = [];
            let error: string | undefined;
            try {
              for await (const step of splitLargeArray(handle, bytes.length, first)) {
                if ('error' in step) error = step.error;
                else collectors.push(step.collector);
              }
            } finally {
              await handle.close();
            }
            const invalid = collectors.flatMap((c) => c.invalid.map((v) => indexOf(v.position)));
            expectIncreasing(invalid);
            const document = parseJsonDocument(bytes);
            if (!document.ok || !Array.isArray(JSON.parse(stripBom(bytes)))) return;
            expect(error).toBeUndefined();
            expect({
              valid: collectors.reduce((sum, c) => sum + c.events.length, 0),
              invalid,
            }).toEqual(generalParts(document.values, first));
          },
        ),
        { seed: SEED + 2, numRuns: 150 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads an event with a 5,000-deep extra field, and a 5,000-deep value, as one event each', () => {
    const deep = `${'[{"a":'.repeat(2500)}1${'}]'.repeat(2500)}`;
    const values = [
      `{"service":"api","timestamp":1,"message":"HTTP Status Code: 200","x":${deep}}`,
      deep,
      '{"service":"db","timestamp":2,"message":"m"}',
    ];
    // The deep event is read or refused, but as one event: its neighbours are read.
    const scan = scanJsonArray(Buffer.from(`[${values.join(',')}]`))!;
    expect(scan.count).toBe(3);
    const [part] = scan.parts;
    expect(sizeOf(part!)).toBe(3);
    expect(part!.batch.services.at(-1)).toBe('db');
    expect(part!.invalid.map((v) => v.position)).toContainEqual({ index: 1 });
    const lines = scanNdjsonLines(Buffer.from(values.join('\n')), 1);
    expect(sizeOf(lines)).toBe(3);
    expect(lines.batch.services.at(-1)).toBe('db');
    expect(lines.invalid.map((v) => v.position)).toContainEqual({ line: 2 });
  });
});

function stripBom(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * NDJSON read the general way, restated: cut on `\n`, strip one `\r`, skip lines of spaces
 * and tabs, JSON.parse each other line and validate it as the sources do (BatchCollector).
 */
function generalNdjson(bytes: Buffer, firstLine: number) {
  let lines = 0;
  let nonBlank = 0;
  const collector = new BatchCollector();
  for (let start = 0; start < bytes.length; lines++) {
    const newline = bytes.indexOf(0x0a, start);
    const stop = newline === -1 ? bytes.length : newline;
    const piece = bytes.subarray(start, stop);
    start = stop + 1;
    const line = piece.at(-1) === 0x0d ? piece.subarray(0, -1) : piece;
    if (/^[ \t]*$/.test(line.toString('latin1'))) continue;
    nonBlank += 1;
    const at = { line: firstLine + lines };
    try {
      collector.add(JSON.parse(line.toString('utf8')), at);
    } catch {
      collector.reject('not valid JSON', at);
    }
  }
  return { lines, nonBlank, invalid: collector.invalid.map((value) => indexOf(value.position)) };
}

/**
 * The invalid lines the scanner reports are the general path's. A first line after a
 * byte-order mark is left out: the scanner strips the mark, JSON.parse does not.
 */
function expectSameInvalidLines(
  actual: readonly number[],
  expected: readonly number[],
  bytes: Buffer,
  firstLine: number,
): void {
  const bom = bytes.subarray(0, 3).equals(BOM);
  const keep = (line: number) => !(bom && line === firstLine);
  expect(actual.filter(keep)).toEqual(expected.filter(keep));
}

describe('the NDJSON scanner (properties)', () => {
  it('counts every non-blank line once, valid or invalid, at its line number', () => {
    fc.assert(
      fc.property(
        withLongLines(ndjsonDocument),
        fc.integer({ min: 1, max: 1_000_000 }),
        ({ bytes, lines }, firstLine) => {
          const scan = scanNdjsonLines(bytes, firstLine);
          const nonBlank = lines.filter((line) => line !== null).length;
          expect(sizeOf(scan)).toBe(nonBlank);
          expect(scan.consumed).toBe(bytes.length);
          expectSoundBatch(scan.batch);

          const invalid = scan.invalid.map((value) => indexOf(value.position));
          expectIncreasing(invalid);
          const general = generalNdjson(bytes, firstLine);
          expect(scan.lines).toBe(general.lines);
          for (const line of invalid) {
            expect(line).toBeGreaterThanOrEqual(firstLine);
            expect(line).toBeLessThan(firstLine + scan.lines);
          }
          const bom = bytes.subarray(0, 3).equals(BOM);
          const validities = new Map<number, Validity>();
          lines.forEach((line, i) => {
            if (line === null) return;
            // After a byte-order mark, line 1 is read (SPEC); a later first line is not line 1.
            const afterBom = bom && i === 0 && firstLine !== 1;
            validities.set(firstLine + i, afterBom ? 'invalid' : line.validity);
          });
          expectClassified(validities, invalid);
          expectSameInvalidLines(invalid, general.invalid, bytes, firstLine);
        },
      ),
      { seed: SEED + 3, numRuns: 300 },
    );
  });

  it('counts the same in chunks of maxLines lines as in one pass', () => {
    fc.assert(
      fc.property(ndjsonDocument(), fc.integer({ min: 1, max: 6 }), ({ bytes }, maxLines) => {
        const whole = scanNdjsonLines(bytes, 1);
        let at = 0;
        let line = 1;
        let valid = 0;
        const invalid: InvalidValue[] = [];
        while (at < bytes.length) {
          const chunk = scanNdjsonLines(bytes.subarray(at), line, maxLines);
          expect(sizeOf(chunk)).toBeLessThanOrEqual(maxLines);
          expect(chunk.consumed).toBeGreaterThan(0);
          at += chunk.consumed;
          line += chunk.lines;
          valid += chunk.batch.length;
          invalid.push(...chunk.invalid);
        }
        expect(at).toBe(bytes.length);
        expect(line - 1).toBe(whole.lines);
        expect(valid).toBe(whole.batch.length);
        expect(invalid).toEqual(whole.invalid);
      }),
      { seed: SEED + 4, numRuns: 200 },
    );
  });

  it('never throws on any bytes, and reports the lines JSON.parse or the event model rejects', () => {
    fc.assert(
      fc.property(
        anyBytes(ndjsonDocument({ maxElements: 6 })),
        fc.integer({ min: 1, max: 100 }),
        (bytes, firstLine) => {
          const scan = scanNdjsonLines(bytes, firstLine);
          const general = generalNdjson(bytes, firstLine);
          expect(sizeOf(scan)).toBe(general.nonBlank);
          expect(scan.lines).toBe(general.lines);
          expect(scan.consumed).toBe(bytes.length);
          expectSoundBatch(scan.batch);
          expectSameInvalidLines(
            scan.invalid.map((value) => indexOf(value.position)),
            general.invalid,
            bytes,
            firstLine,
          );
        },
      ),
      { seed: SEED + 5, numRuns: 1000 },
    );
  });

  it('reads a line of 8 MB, and one without its newline, as one event each', () => {
    const message = `${'z'.repeat(8 << 20)} HTTP Status Code: 404`;
    const line = JSON.stringify({ service: 'api', timestamp: 1, message });
    const scan = scanNdjsonLines(Buffer.from(`${line}\n${line}`), 1);
    expect(scan.batch.length).toBe(2);
    expect(Array.from(scan.batch.statuses)).toEqual([404, 404]);
    expect(scan.batch.message(0)).toBe(message);
  });
});

describe('BatchCollector and collectValues (properties)', () => {
  const parsedElement = element({ newlines: true }).map((e: Element) => ({
    value: JSON.parse(e.bytes.toString('utf8')) as unknown,
    validity: e.validity,
  }));
  const anyValue = fc.oneof(
    parsedElement,
    fc
      .anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withTypedArray: true,
        withSparseArray: true,
        withBoxedValues: true,
      })
      .map((value) => ({ value, validity: 'either' as Validity })),
  );

  it('keeps each valid value as an event and reports each other one, in order', () => {
    fc.assert(
      fc.property(fc.array(anyValue, { maxLength: 40 }), fc.nat({ max: 45 }), (drawn, first) => {
        const values = drawn.map((d) => d.value);
        const collector = new BatchCollector();
        values.forEach((value, index) => {
          collector.add(value, { index });
        });
        expect(collector.events.length + collector.invalid.length).toBe(values.length);
        const invalid = collector.invalid.map((value) => indexOf(value.position));
        expectIncreasing(invalid);
        expectClassified(new Map(drawn.map((d, i) => [i, d.validity])), invalid);
        // The sources may bound hostile input further, never accept what the model rejects.
        const rejected = new Set(invalid);
        values.forEach((value, i) => {
          if (!validateEvent(value).ok) expect(rejected.has(i)).toBe(true);
        });
        for (const { reason } of collector.invalid) expect(reason.length).toBeGreaterThan(0);
        for (const event of collector.events) {
          expect(event.service.length).toBeGreaterThan(0);
          expect(Number.isFinite(event.time)).toBe(true);
        }

        const parts = [...collectValues(values, first)];
        expect(parts.length).toBeGreaterThan(0);
        const sizes = parts.map((part) => part.events.length + part.invalid.length);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(Math.max(0, values.length - first));
        expect(parts.flatMap((part) => part.invalid)).toEqual(
          collector.invalid.filter((value) => indexOf(value.position) >= first),
        );
      }),
      { seed: SEED + 6, numRuns: 300 },
    );
  });
});
