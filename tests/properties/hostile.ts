/**
 * Generators of hostile log input for the property suites: events whose fields are valid,
 * invalid or at the edge of the event model, written as JSON bytes with odd whitespace,
 * repeated keys, deep extra fields, invalid UTF-8 and lone surrogates, then assembled into
 * `.json` documents and NDJSON files.
 */
import fc from 'fast-check';

/**
 * What the event model must make of a value: `either` for values at an edge SPEC leaves to
 * the implementation (a timestamp far in the future or past, a day that does not exist, an
 * extra field nested deeper than the sources' bound on hostile input), whose exact count a
 * property takes from the general path (`BatchCollector`, `validateEvent`) instead.
 */
export type Validity = 'valid' | 'invalid' | 'either';

/** One array element or NDJSON line: its JSON text as bytes, and what it must be. */
export interface Element {
  readonly bytes: Buffer;
  readonly validity: Validity;
}

/** A field's JSON text after its key, or `undefined` for a missing field. */
interface Field {
  readonly text: Buffer | undefined;
  readonly validity: Validity;
}

/**
 * Epoch seconds every property may rely on as valid: before the wall clock of any test run
 * (timestamps beyond it are about to be bounded) and at or after 0.
 */
export const LATEST_SAFE_TIME = 1_750_000_000;

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** The JSON text of a string, split around the point where raw bytes may go. */
function stringWithBytes(before: string, raw: Buffer, after: string): Buffer {
  return Buffer.concat([
    utf8(JSON.stringify(before).slice(0, -1)),
    raw,
    utf8(JSON.stringify(after).slice(1)),
  ]);
}

/**
 * Byte sequences that are not UTF-8: a stray byte, an overlong form, a truncated sequence,
 * a UTF-16 surrogate encoded as if it were a code point (CESU), a code point above U+10FFFF.
 * None holds a byte below 0x80, so none can end a string or a line.
 */
const BAD_UTF8 = [
  [0xff],
  [0x80],
  [0xc0, 0x80],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
].map((bytes) => Buffer.from(bytes));

/** Strings no log should hold but any log may: surrogates alone, controls, escapes, bidi. */
const NASTY_TEXT = [
  '\ud800',
  'a\udfffb',
  '\udc00\ud800',
  '\u0000',
  '\u001b]52;c;aGk=\u0007',
  '\u001b[2J\u001b[31m',
  '\u202eevil',
  '\u2028\u2029',
  '\ufeff',
  '"quoted" \\ back\\slash',
  '😀 服务',
];

/** Any text, valid UTF-8 or not, as the bytes of a JSON string. */
function textBytes(text: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 6, arbitrary: text.map((s) => utf8(JSON.stringify(s))) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(text, fc.constantFrom(...BAD_UTF8), text)
        .map(([before, raw, after]) => stringWithBytes(before, raw, after)),
    },
  );
}

const shortText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom(...NASTY_TEXT),
);

const field = (text: string | Buffer, validity: Validity): Field => ({
  text: typeof text === 'string' ? utf8(text) : text,
  validity,
});

const json = (value: unknown) => JSON.stringify(value);

/** Values of the wrong type for a timestamp, and so for any of the three fields. */
const notANumberOrString = fc.constantFrom('null', 'true', 'false', '[]', '{}', '["api"]', '[1]');

/** Values of the wrong type for a service or a message. */
const wrongType = fc.oneof(notANumberOrString, fc.constantFrom('0', '-1.5', '1767225600'));

/** Services: common names, names that are also Object.prototype keys, hostile text. */
const SERVICES = ['api', 'auth', 'db', '__proto__', 'constructor', 'toString', 'a.b', 'ÿ'];

const serviceField: fc.Arbitrary<Field> = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom(...SERVICES).map((s) => field(json(s), 'valid')) },
  {
    weight: 6,
    arbitrary: textBytes(shortText.filter((s) => s.length > 0)).map((b) => field(b, 'valid')),
  },
  { weight: 1, arbitrary: fc.constant(field(json('x'.repeat(5000)), 'valid')) },
  { weight: 1, arbitrary: fc.constant(field(json(''), 'invalid')) },
  { weight: 1, arbitrary: wrongType.map((t) => field(t, 'invalid')) },
  { weight: 1, arbitrary: fc.constant<Field>({ text: undefined, validity: 'invalid' }) },
);

/** ISO-8601 forms of an instant: full, without seconds, date only, space, offset. */
function isoForms(seconds: number): fc.Arbitrary<string> {
  const iso = new Date(Math.round(seconds * 1000)).toISOString();
  return fc.constantFrom(
    iso,
    iso.slice(0, 19),
    `${iso.slice(0, 16)}Z`,
    iso.slice(0, 10),
    iso.replace('T', ' '),
    iso.replace('Z', '+05:30'),
    iso.replace('Z', '-0800'),
  );
}

/** Strings that look like times but are neither epoch seconds (a number) nor ISO-8601. */
const NOT_TIMES = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e300',
  '-1e300',
  '1.5',
  '-5',
  '1700000000',
  '1.7e9',
  '0x10',
  '',
  ' ',
  'yesterday',
  '2026-13-01',
  '2026-01-01T25:00:00Z',
  '2026-02-30',
  '2026-01-01T24:00:00Z',
  '2026-01-01T10:60',
  '2026-01-01T10:00+24:00',
  '2026-01-01T00:00:00Zjunk',
  ' 2026-01-01',
  '2026/01/01',
  '\u0000',
];

/**
 * Timestamps of the edge: far from now or from 0, or a day the calendar lacks. Valid today
 * as far as SPEC's event model goes, but a horizon may reject some of them.
 */
const EDGE_TIMES = [
  '1e300',
  '-1e300',
  '1e20',
  '-1e20',
  '9007199254740993',
  '-1',
  '-0',
  '5e-324',
  '1.7976931348623157e308',
  '4102444800',
  json('0000-01-01'),
  json('9999-12-31T23:59:59Z'),
];

/**
 * Timestamp fields, the valid ones drawn from `times` (epoch seconds); with `edges`, also
 * {@link EDGE_TIMES}.
 */
function timestampField(times: fc.Arbitrary<number>, edges: boolean): fc.Arbitrary<Field> {
  const edge = edges
    ? [{ weight: 2, arbitrary: fc.constantFrom(...EDGE_TIMES).map((t) => field(t, 'either')) }]
    : [];
  return fc.oneof(
    { weight: 20, arbitrary: times.map((t) => field(json(t), 'valid')) },
    {
      weight: 6,
      arbitrary: times.chain(isoForms).map((iso) => field(json(iso), 'valid')),
    },
    ...edge,
    {
      weight: 2,
      arbitrary: fc.constantFrom(...NOT_TIMES).map((t) => field(json(t), 'invalid')),
    },
    // JSON numbers beyond a double: JSON.parse makes them ±Infinity, never a time.
    { weight: 1, arbitrary: fc.constantFrom('1e400', '-1e400').map((t) => field(t, 'invalid')) },
    { weight: 1, arbitrary: notANumberOrString.map((t) => field(t, 'invalid')) },
    { weight: 1, arbitrary: fc.constant<Field>({ text: undefined, validity: 'invalid' }) },
  );
}

/** A status the way logs write it, with the spacing and digits the rule must cope with. */
const statusMessage = fc
  .tuple(
    fc.constantFrom('', 'GET /x ', '\u001b[31m', 'HTTP Status Code: x '),
    fc.constantFrom(' ', '', '  ', '\t', '\u00a0', '\n'),
    fc.oneof(
      fc.constantFrom(200, 201, 299, 400, 404, 499, 500, 503, 599),
      fc.integer({ min: 0, max: 999 }),
    ),
    fc.constantFrom('', ' ok', '0', ' HTTP Status Code: 500'),
  )
  .map(
    ([before, space, code, after]) =>
      `${before}HTTP Status Code:${space}${String(code).padStart(3, '0')}${after}`,
  );

/** Message fields; `longLines` adds messages of a few hundred kilobytes. */
function messageField(longLines: boolean): fc.Arbitrary<Field> {
  const long = longLines
    ? [
        {
          weight: 1,
          arbitrary: fc
            .integer({ min: 50_000, max: 300_000 })
            .map((n) => field(json(`${'y'.repeat(n)} HTTP Status Code: 500`), 'valid')),
        },
      ]
    : [];
  return fc.oneof(
    { weight: 20, arbitrary: textBytes(statusMessage).map((b) => field(b, 'valid')) },
    { weight: 6, arbitrary: textBytes(shortText).map((b) => field(b, 'valid')) },
    ...long,
    { weight: 1, arbitrary: wrongType.map((t) => field(t, 'invalid')) },
    { weight: 1, arbitrary: fc.constant<Field>({ text: undefined, validity: 'invalid' }) },
  );
}

/** A value nested `depth` arrays or objects deep. */
function nested(depth: number, kind: 'array' | 'object' | 'mixed'): string {
  let open = '';
  let close = '';
  for (let level = 0; level < depth; level++) {
    const array = kind === 'array' || (kind === 'mixed' && level % 2 === 0);
    open += array ? '[' : '{"a":';
    close = (array ? ']' : '}') + close;
  }
  return `${open}1${close}`;
}

/**
 * Nesting deeper than this in an extra field is left to the sources' bound on hostile
 * input (read, or refused as one invalid event): the event model itself ignores it.
 */
const SAFE_NESTING = 64;

/** Extra fields, ignored by the event model: small JSON values and deep nesting. */
const extraField: fc.Arbitrary<{ key: string; text: Buffer; validity: Validity }> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('level', 'meta', '__proto__', 'constructor', 'Service', 'service '),
      fc.string({ maxLength: 6 }).filter((k) => !['service', 'timestamp', 'message'].includes(k)),
    ),
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 3 }).map(json), fc.constant(4)) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.integer({ min: 1, max: 1000 }),
            fc.constantFrom('array' as const, 'object' as const, 'mixed' as const),
          )
          .map(([depth, kind]) => [nested(depth, kind), depth] as const),
      },
    ),
  )
  .map(([key, [text, depth]]) => ({
    key,
    text: utf8(text),
    // The event object itself is one level.
    validity: depth + 1 > SAFE_NESTING ? ('either' as const) : ('valid' as const),
  }));

/** Whitespace between tokens; inside an NDJSON line it cannot hold a newline. */
function space(newlines: boolean): fc.Arbitrary<string> {
  return newlines
    ? fc.constantFrom('', '', '', ' ', '\t', '\r\n', '\n  ')
    : fc.constantFrom('', '', '', ' ', '\t', '\r');
}

function combine(validities: readonly Validity[]): Validity {
  if (validities.includes('invalid')) return 'invalid';
  return validities.includes('either') ? 'either' : 'valid';
}

/** Options of {@link eventElement} and the documents built from it. */
export interface EventOptions {
  /** Valid epoch seconds. Default: anywhere from 0 to {@link LATEST_SAFE_TIME}. */
  readonly times?: fc.Arbitrary<number>;
  /** Whitespace may hold newlines (inside a `.json` document, not an NDJSON line). */
  readonly newlines?: boolean;
  /** Some messages are a few hundred kilobytes long. */
  readonly longLines?: boolean;
  /** Some timestamps are at the edge: ±1e300, beyond 2^53, days that do not exist. Default true. */
  readonly edgeTimes?: boolean;
}

const anyTime = fc.oneof(
  fc.integer({ min: 0, max: LATEST_SAFE_TIME }),
  fc.double({ min: 0, max: LATEST_SAFE_TIME, noNaN: true }),
);

type FieldName = 'service' | 'timestamp' | 'message';

/** The six orders of the three keys. */
const PERMUTATIONS: readonly (readonly FieldName[])[] = [
  ['service', 'timestamp', 'message'],
  ['service', 'message', 'timestamp'],
  ['timestamp', 'service', 'message'],
  ['timestamp', 'message', 'service'],
  ['message', 'service', 'timestamp'],
  ['message', 'timestamp', 'service'],
];

/**
 * An object shaped like an event: each of the three fields valid, invalid, at the edge or
 * missing, in any key order, with extra fields, and sometimes a key given twice (JSON.parse
 * keeps the last: a hostile first value must not count).
 */
export function eventElement(options: EventOptions = {}): fc.Arbitrary<Element> {
  const { times = anyTime, newlines = false, longLines = false, edgeTimes = true } = options;
  const ws = space(newlines);
  return fc
    .record({
      service: serviceField,
      timestamp: timestampField(times, edgeTimes),
      message: messageField(longLines),
      extras: fc.array(extraField, { maxLength: 2 }),
      repeated: fc.option(fc.tuple(fc.constantFrom('service', 'timestamp', 'message'), wrongType), {
        freq: 6,
      }),
      order: fc.constantFrom(...PERMUTATIONS),
      spacing: fc.array(ws, { minLength: 24, maxLength: 24 }),
    })
    .map(({ service, timestamp, message, extras, repeated, order, spacing }) => {
      const named: Record<string, Field> = { service, timestamp, message };
      const members: [string, Buffer][] = [];
      // A first value of a key given twice; only when the field is there to override it.
      if (repeated !== null && named[repeated[0]]!.text !== undefined) {
        members.push([repeated[0], utf8(repeated[1])]);
      }
      for (const key of order) {
        const text = named[key]!.text;
        if (text !== undefined) members.push([key, text]);
      }
      for (const extra of extras) members.splice(members.length % 3, 0, [extra.key, extra.text]);
      let s = 0;
      const pad = () => utf8(spacing[s++ % spacing.length]!);
      const parts: Buffer[] = [utf8('{')];
      members.forEach(([key, text], i) => {
        if (i > 0) parts.push(pad(), utf8(','));
        parts.push(pad(), utf8(json(key)), pad(), utf8(':'), pad(), text);
      });
      parts.push(pad(), utf8('}'));
      return {
        bytes: Buffer.concat(parts),
        validity: combine([
          service.validity,
          timestamp.validity,
          message.validity,
          ...extras.map((extra) => extra.validity),
        ]),
      };
    });
}

/** Values that are not objects, and objects that are not events: always invalid. */
export const notAnEvent: fc.Arbitrary<Element> = fc
  .oneof(
    fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).map(json),
    fc.string({ maxLength: 20 }).map(json),
    fc.constantFrom('null', 'true', 'false', '[]', '{}', '[[[[]]]]', nested(1000, 'array')),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }).map(json),
    fc
      .dictionary(
        fc.string({ maxLength: 8 }).filter((k) => k !== 'service'),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 3 },
      )
      .map(json),
  )
  .map((text) => ({ bytes: utf8(text), validity: 'invalid' }));

/** Mostly events of every kind, some values that are not events at all. */
export function element(options: EventOptions = {}): fc.Arbitrary<Element> {
  return fc.oneof(
    { weight: 6, arbitrary: eventElement(options) },
    { weight: 1, arbitrary: notAnEvent },
  );
}

/** Options of the documents: those of their events, and how many elements at most. */
export interface DocumentOptions extends EventOptions {
  /** Most elements (array elements or lines). Default 60. */
  readonly maxElements?: number;
}

/** A `.json` document with its elements. */
export interface JsonDocument {
  readonly bytes: Buffer;
  readonly elements: readonly Element[];
  /** The document is one value, not an array. */
  readonly single: boolean;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * A `.json` document: an array of elements (or, sometimes, one element alone), with a
 * byte-order mark or not and any JSON whitespace around and between them.
 */
export function jsonDocument(options: DocumentOptions = {}): fc.Arbitrary<JsonDocument> {
  const { maxElements = 60 } = options;
  return fc
    .record({
      elements: fc.array(element({ ...options, newlines: true }), {
        maxLength: maxElements,
        size: 'medium',
      }),
      // One in ten documents is a single value, when its element is not itself an array.
      roll: fc.integer({ min: 0, max: 9 }),
      bom: fc.boolean(),
      spacing: fc.array(space(true), { minLength: 8, maxLength: 8 }),
    })
    .map(({ elements, roll, bom, spacing }) => {
      const single = roll === 0 && elements.length > 0 && elements[0]!.bytes[0] !== 0x5b;
      const kept = single ? elements.slice(0, 1) : elements;
      let s = 0;
      const pad = () => utf8(spacing[s++ % spacing.length]!);
      const parts: Buffer[] = bom ? [BOM] : [];
      if (single) {
        parts.push(pad(), kept[0]!.bytes, pad());
      } else {
        parts.push(pad(), utf8('['));
        kept.forEach((e, i) => {
          if (i > 0) parts.push(pad(), utf8(','));
          parts.push(pad(), e.bytes);
        });
        parts.push(pad(), utf8(']'), pad());
      }
      return { bytes: Buffer.concat(parts), elements: kept, single };
    });
}

/** An NDJSON file with its lines (`null` for a blank one). */
export interface NdjsonDocument {
  readonly bytes: Buffer;
  readonly lines: readonly (Element | null)[];
  readonly bom: boolean;
}

/** Lines that are not JSON at all: each one invalid event. */
const notJson = fc
  .constantFrom('not json', '{', '}', '{"service":"a"', '[1,', 'nul', '{"service":"a",}', '\u0000')
  .map((text) => ({ bytes: utf8(text), validity: 'invalid' as const }));

/**
 * An NDJSON file: lines of elements, text that is not JSON, blank lines (empty, or spaces
 * and tabs), spaces around values, `\n` or `\r\n`, the last newline present or not, and a
 * byte-order mark or not (then the first line holds an element: whether a BOM line counts
 * must not depend on what the line holds).
 */
export function ndjsonDocument(options: DocumentOptions = {}): fc.Arbitrary<NdjsonDocument> {
  const { maxElements = 60 } = options;
  const line = fc.oneof(
    { weight: 8, arbitrary: element({ ...options, newlines: false }) },
    { weight: 1, arbitrary: notJson },
    { weight: 2, arbitrary: fc.constant(null) },
  );
  return fc
    .record({
      lines: fc.array(line, { maxLength: maxElements, size: 'medium' }),
      first: element({ ...options, newlines: false }),
      bom: fc.boolean(),
      crlf: fc.boolean(),
      finalNewline: fc.boolean(),
      blank: fc.constantFrom('', ' ', '\t', ' \t '),
      around: fc.constantFrom('', ' ', '\t'),
    })
    .map(({ lines, first, bom, crlf, finalNewline, blank, around }) => {
      const all = bom ? [first, ...lines] : lines;
      const newline = utf8(crlf ? '\r\n' : '\n');
      const parts: Buffer[] = bom ? [BOM] : [];
      all.forEach((entry, i) => {
        parts.push(entry === null ? utf8(blank) : Buffer.concat([utf8(around), entry.bytes]));
        if (i < all.length - 1 || finalNewline) parts.push(newline);
      });
      return { bytes: Buffer.concat(parts), lines: all, bom };
    });
}
