import { isUtf8 } from 'node:buffer';
import { EventBatch, NO_STATUS } from '../../operators/batch.js';
import { type LogEvent, parseStatus } from '../../operators/event.js';
import { StringCodes } from '../../operators/string-codes.js';
import { type EventFields, hasStandardPaths, STANDARD_FIELDS } from './event-fields.js';
import { type DictionaryEntry, StringDictionary } from './scan-dictionary.js';
import {
  type Clock,
  EARLIEST_TIMESTAMP,
  type InvalidValue,
  latestTimestamp,
  MAX_EVENT_BYTES,
  type Position,
  parseOrReason,
  TOO_LARGE,
  validateValue,
} from './validate-values.js';

/** Valid events in columns and the invalid values beside them, both in input order. */
export interface ScanPart {
  readonly batch: EventBatch;
  readonly invalid: readonly InvalidValue[];
}

/** A `.json` document scanned into columns. */
export interface JsonScan {
  /**
   * The elements from `first` on, {@link JsonScanOptions.maxBatchElements} per part; at least
   * one part, empty when nothing is new.
   */
  readonly parts: readonly ScanPart[];
  /** Values in the document: the array's elements, or 1 for any other top-level value. */
  readonly count: number;
  /** Some string held invalid UTF-8, decoded with U+FFFD as the general path decodes it. */
  readonly badUtf8: boolean;
}

export interface JsonScanOptions {
  /** Elements before this index were read earlier (a growing file): checked, not returned. */
  readonly first?: number;
  /** Most elements (valid or not) per part; all in one part by default. */
  readonly maxBatchElements?: number;
  /** The clock that bounds timestamps ({@link validateValue}); read once per document. */
  readonly now?: Clock;
  /** Where the event's fields are, and the timestamp unit (default: the event model's). */
  readonly fields?: EventFields;
}

/** Complete NDJSON lines scanned into columns. */
export interface NdjsonScan extends ScanPart {
  /** Lines read, blank ones included; a last line without its newline counts as one. */
  readonly lines: number;
  /** Bytes read: all of the input, or up to the newline of the `maxLines`-th non-blank line. */
  readonly consumed: number;
  /** Numbers of the lines holding invalid UTF-8 (decoded with U+FFFD, as the general path does). */
  readonly badUtf8Lines: readonly number[];
}

/**
 * Scans a `.json` file's bytes (an array of events, or one value) straight into columns:
 * the same events, values, invalid reasons and positions as `JSON.parse` of the whole file
 * followed by `validateEvent` of each value, at several times the speed.
 *
 * Events shaped like the generator's (exactly the keys `service`, `timestamp`, `message`,
 * plain strings, a numeric timestamp) are read byte by byte, their strings decoded once per
 * distinct value; any other element is cut out, parsed with `JSON.parse` and validated, so
 * one odd event costs only itself.
 *
 * Events are bounded as {@link validateValue} bounds them (the same `latest` timestamp on
 * both paths, so they agree). Returns `undefined` when the document is not valid JSON (empty,
 * truncated, trailing text): the general path then produces the exact error. A leading
 * byte-order mark is skipped.
 */
export function scanJsonArray(
  bytes: Uint8Array,
  options: JsonScanOptions = {},
): JsonScan | undefined {
  const first = options.first ?? 0;
  const maxPerPart = Math.max(1, options.maxBatchElements ?? Number.POSITIVE_INFINITY);
  const latest = latestTimestamp(options.now);
  const fields = options.fields ?? STANDARD_FIELDS;
  const scanner = new EventScanner(bytes, true, latest, fields);
  const source = scanner.source;
  const end = source.length;
  const capacity = Math.min(maxPerPart, Math.ceil(end / 64) + 16);
  const parts: ScanPart[] = [];
  let part = new ColumnsBuilder(capacity, latest, fields);
  let inPart = 0;
  let count = 0;

  let p = scanner.skipSpace(startsWithBom(source) ? 3 : 0);
  if (p >= end) return undefined;
  if (source[p] !== OPEN_BRACKET) {
    p = scanner.element(p, 0, first === 0 ? part : undefined);
    count = 1;
  } else {
    p = scanner.skipSpace(p + 1);
    let open = p >= end || source[p] !== CLOSE_BRACKET;
    if (!open) p += 1;
    while (open) {
      let into: ColumnsBuilder | undefined;
      if (count >= first) {
        if (inPart === maxPerPart) {
          parts.push(part.finish());
          part = new ColumnsBuilder(capacity, latest, fields);
          inPart = 0;
        }
        inPart += 1;
        into = part;
      }
      p = scanner.element(p, count, into);
      if (p < 0) return undefined;
      count += 1;
      p = scanner.skipSpace(p);
      if (p >= end) return undefined;
      const c = source[p];
      if (c === CLOSE_BRACKET) {
        p += 1;
        open = false;
      } else if (c === COMMA) {
        p = scanner.skipSpace(p + 1);
      } else {
        return undefined;
      }
    }
  }
  if (p < 0 || scanner.skipSpace(p) !== end) return undefined;
  parts.push(part.finish());
  return { parts, count, badUtf8: scanner.badUtf8 };
}

/**
 * Scans NDJSON lines (each ending with `\n`, optionally `\r\n`; the last one may lack its
 * newline and is then read as a line too) into columns: the same result as parsing each
 * non-blank line with `JSON.parse` and validating it, with invalid lines reported at their
 * line numbers, `firstLine` being the number of the first line in `bytes`. Lines holding
 * only spaces and tabs are skipped; a byte-order mark that starts line 1 is skipped, as in a
 * `.json` file. Stops after `maxLines` non-blank lines (see `consumed`). Events are bounded as
 * {@link validateValue} bounds them, timestamps by `now` read once. Never fails: a line that
 * is not JSON is an invalid event with `JSON.parse`'s own message, a line over
 * {@link MAX_EVENT_BYTES} an invalid event without being decoded.
 */
export function scanNdjsonLines(
  bytes: Uint8Array,
  firstLine: number,
  maxLines = Number.POSITIVE_INFINITY,
  now: Clock = Date.now,
  fields: EventFields = STANDARD_FIELDS,
): NdjsonScan {
  const latest = latestTimestamp(now);
  const scanner = new EventScanner(bytes, false, latest, fields);
  const source = scanner.source;
  const end = source.length;
  const columns = new ColumnsBuilder(Math.ceil(end / 64) + 16, latest, fields);
  const badUtf8Lines: number[] = [];
  let line = firstLine;
  let taken = 0;
  const start = firstLine === 1 && startsWithBom(source) ? 3 : 0;
  let p = start;
  while (p < end && taken < maxLines) {
    const objectEnd = scanner.simpleLine(p);
    if (objectEnd >= 0 && objectEnd - p <= MAX_EVENT_BYTES) {
      columns.pushScanned(scanner);
      if (scanner.lastBadUtf8) badUtf8Lines.push(line);
      taken += 1;
      p = objectEnd + 1;
    } else {
      let newline = source.indexOf(LF, p);
      if (newline < 0) newline = end;
      const stop = newline > p && source[newline - 1] === CR ? newline - 1 : newline;
      if (!isBlank(source, p, stop)) {
        taken += 1;
        if (stop - p > MAX_EVENT_BYTES) {
          columns.reject(TOO_LARGE, { line });
        } else {
          if (!isUtf8(source.subarray(p, stop))) badUtf8Lines.push(line);
          const value = parseOrReason(source.toString('utf8', p, stop));
          if (value.ok) columns.addValue(value.value, { line });
          else columns.reject(value.reason, { line });
        }
      }
      p = newline + 1;
    }
    line += 1;
  }
  // A mark alone is a blank last line.
  if (start > 0 && start === end) line += 1;
  const consumed = Math.min(p, end);
  return { ...columns.finish(), lines: line - firstLine, consumed, badUtf8Lines };
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const LOWER_E = 0x65;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

const SERVICE = 1;
const TIMESTAMP = 2;
const MESSAGE = 4;
const ALL_FIELDS = SERVICE | TIMESTAMP | MESSAGE;

// The keys after their opening quote, as little-endian words: one comparison per 4 bytes.
const SERV = asciiWord('serv');
const ICE_QUOTE = asciiWord('ice"');
const TIME = asciiWord('time');
const STAM = asciiWord('stam');
const P_QUOTE = asciiWord('p"');
const MESS = asciiWord('mess');
const AGE_QUOTE = asciiWord('age"');

// The generator's layout, `{"service":"…","timestamp":…,"message":"…"}`, as words: the
// text between the values compared in three or four comparisons instead of a key loop.
const BRACE_QUOTE_SE = asciiWord('{"se');
const RVIC = asciiWord('rvic');
const E_QUOTE_COLON_QUOTE = asciiWord('e":"');
const QUOTE_COMMA_QUOTE_T = asciiWord('","t');
const IMES = asciiWord('imes');
const TAMP = asciiWord('tamp');
const QUOTE_COLON = asciiWord('":');
const COMMA_QUOTE_ME = asciiWord(',"me');
const SSAG = asciiWord('ssag');
/** `{"service":"x","timestamp":1,"message":""}`: no event of that layout is shorter. */
const SHORTEST_TEMPLATE = 44;

/**
 * The strings this thread has read, across inputs: a reader thread scans file after file of
 * the same services and messages, and decodes each of them once, not once per file. Scans
 * are synchronous, so one dictionary serves them all.
 */
const THREAD_DICTIONARY = new StringDictionary();

/** The dictionary's guess tables of services and of messages (see StringDictionary.recall). */
const SERVICE_STRINGS = 0;
const MESSAGE_STRINGS = 1;

/**
 * Up to 15 digits, the mantissa is an exact double and so is 10^k for k <= 22: one division
 * then rounds once, to the same double as JSON.parse's correctly rounded conversion.
 */
const MAX_EXACT_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: MAX_EXACT_DIGITS + 1 }, (_, k) => 10 ** k);
/** Bytes per event of the four columns ({@link ColumnsBuilder}). */
const COLUMN_BYTES = 8 + 4 + 4 + 2;

/** The event model's status rule, with {@link NO_STATUS} for none. */
const statusOrNone = (message: string): number => parseStatus(message) ?? NO_STATUS;

/**
 * The byte-level reader. `scanObject` either reads a simple event into `serviceEntry`,
 * `time` and `messageEntry`, or gives up (returns -1) without side effects on the output,
 * and the caller takes the general path for that value.
 */
class EventScanner {
  readonly source: Buffer;
  private readonly view: DataView;
  private readonly end: number;
  private readonly dictionary: StringDictionary;
  /** Whitespace inside a document; the end of the value in an NDJSON line. */
  private readonly newlineIsSpace: boolean;
  /** A later timestamp is invalid: such events take the general path, which says why. */
  private readonly latest: number;
  /**
   * Fields elsewhere than at the event model's keys are read by the general path (the
   * fields' paths are followed there); numeric timestamps are divided by this.
   */
  private readonly simpleKeys: boolean;
  private readonly timestampDivisor: number;
  /** Some value read so far held invalid UTF-8. */
  badUtf8 = false;
  /** The value read last held invalid UTF-8. */
  lastBadUtf8 = false;
  serviceEntry: DictionaryEntry | undefined;
  messageEntry: DictionaryEntry | undefined;
  time = 0;
  private stringEnd = 0;
  /** The digits {@link digitsAt} has read of the timestamp so far. */
  private mantissa = 0;

  constructor(bytes: Uint8Array, newlineIsSpace: boolean, latest: number, fields: EventFields) {
    this.simpleKeys = hasStandardPaths(fields);
    this.timestampDivisor = fields.timestampUnit === 'ms' ? 1000 : 1;
    this.source = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = this.source.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.dictionary = THREAD_DICTIONARY.read(this.source);
    this.newlineIsSpace = newlineIsSpace;
    this.latest = latest;
  }

  /**
   * Reads the array element at `p` into `into` (only checks it when `undefined`): the
   * position after it, or -1 when it is not valid JSON.
   */
  element(p: number, index: number, into: ColumnsBuilder | undefined): number {
    const source = this.source;
    if (source[p] === OPEN_BRACE) {
      let after = this.templateObject(p);
      if (after < 0) after = this.scanObject(p);
      if (after >= 0) {
        into?.pushScanned(this);
        return after;
      }
    }
    const after = this.skipValue(p);
    if (after < 0) return -1;
    if (!isUtf8(source.subarray(p, after))) this.badUtf8 = true;
    const value = parseOrReason(source.toString('utf8', p, after));
    if (!value.ok) return -1;
    into?.addValue(value.value, { index });
    return after;
  }

  /**
   * Reads an NDJSON line starting at `p` when it holds one simple event: the position of its
   * newline (or the end of input), or -1 when the line needs the general path.
   */
  simpleLine(p: number): number {
    const source = this.source;
    const end = this.end;
    while (p < end && (source[p] === SPACE || source[p] === TAB)) p++;
    if (p >= end || source[p] !== OPEN_BRACE) return -1;
    let after = this.templateObject(p);
    if (after < 0) after = this.scanObject(p);
    if (after < 0) return -1;
    const stop = this.skipSpace(after);
    return stop === end || source[stop] === LF ? stop : -1;
  }

  skipSpace(p: number): number {
    const source = this.source;
    const end = this.end;
    while (p < end) {
      const c = source[p]!;
      if (c > SPACE) break;
      if (c === SPACE || c === TAB || c === CR || (c === LF && this.newlineIsSpace)) p++;
      else break;
    }
    return p;
  }

  /**
   * Reads a simple event in the generator's exact layout (no spaces, keys in its order) from
   * the `{` at `start`: the position after its `}`, or -1 for any other text, which
   * {@link scanObject} then reads from the start.
   */
  private templateObject(start: number): number {
    const view = this.view;
    const end = this.end;
    if (
      !this.simpleKeys ||
      start + SHORTEST_TEMPLATE > end ||
      view.getInt32(start, true) !== BRACE_QUOTE_SE ||
      view.getInt32(start + 4, true) !== RVIC ||
      view.getInt32(start + 8, true) !== E_QUOTE_COLON_QUOTE
    ) {
      return -1;
    }
    const service = this.string(start + 12, SERVICE_STRINGS);
    // An empty service is invalid: the general path gives the reason.
    if (service === undefined || service.length === 0) return -1;
    // From the service's closing quote.
    const quote = this.stringEnd - 1;
    if (
      quote + 14 > end ||
      view.getInt32(quote, true) !== QUOTE_COMMA_QUOTE_T ||
      view.getInt32(quote + 4, true) !== IMES ||
      view.getInt32(quote + 8, true) !== TAMP ||
      view.getUint16(quote + 12, true) !== QUOTE_COLON
    ) {
      return -1;
    }
    const p = this.timestamp(quote + 14);
    if (
      p < 0 ||
      p + 12 > end ||
      view.getInt32(p, true) !== COMMA_QUOTE_ME ||
      view.getInt32(p + 4, true) !== SSAG ||
      view.getInt32(p + 8, true) !== E_QUOTE_COLON_QUOTE
    ) {
      return -1;
    }
    const message = this.string(p + 12, MESSAGE_STRINGS);
    if (message === undefined) return -1;
    const close = this.stringEnd;
    if (close >= end || this.source[close] !== CLOSE_BRACE) return -1;
    this.serviceEntry = service;
    this.messageEntry = message;
    this.lastBadUtf8 = service.badUtf8 || message.badUtf8;
    if (this.lastBadUtf8) this.badUtf8 = true;
    return close + 1;
  }

  /** Reads a simple event from the `{` at `start`; the position after its `}`, or -1. */
  private scanObject(start: number): number {
    if (!this.simpleKeys) return -1;
    const source = this.source;
    const end = this.end;
    let seen = 0;
    let p = start + 1;
    for (;;) {
      if (p < end && source[p]! <= SPACE) p = this.skipSpace(p);
      // The longest key with its quotes is 11 bytes; a shorter object is not simple.
      if (p + 11 > end || source[p] !== QUOTE) return -1;
      const view = this.view;
      const head = view.getUint32(p + 1, true);
      let field: number;
      if (head === SERV && view.getUint32(p + 5, true) === ICE_QUOTE) {
        field = SERVICE;
        p += 9;
      } else if (
        head === TIME &&
        view.getUint32(p + 5, true) === STAM &&
        view.getUint16(p + 9, true) === P_QUOTE
      ) {
        field = TIMESTAMP;
        p += 11;
      } else if (head === MESS && view.getUint32(p + 5, true) === AGE_QUOTE) {
        field = MESSAGE;
        p += 9;
      } else {
        return -1;
      }
      // A repeated key: JSON.parse keeps the last value, the general path decides.
      if ((seen & field) !== 0) return -1;
      seen |= field;
      if (p < end && source[p]! <= SPACE) p = this.skipSpace(p);
      if (p >= end || source[p] !== COLON) return -1;
      p += 1;
      if (p < end && source[p]! <= SPACE) p = this.skipSpace(p);
      if (field === TIMESTAMP) {
        p = this.timestamp(p);
      } else {
        if (p >= end || source[p] !== QUOTE) return -1;
        const entry = this.string(p + 1, field === MESSAGE ? MESSAGE_STRINGS : SERVICE_STRINGS);
        if (entry === undefined) return -1;
        p = this.stringEnd;
        if (field === MESSAGE) {
          this.messageEntry = entry;
        } else {
          // An empty service is invalid: the general path gives the reason.
          if (entry.length === 0) return -1;
          this.serviceEntry = entry;
        }
      }
      if (p < 0) return -1;
      if (p < end && source[p]! <= SPACE) p = this.skipSpace(p);
      if (p >= end) return -1;
      const c = source[p];
      if (c === COMMA) {
        p += 1;
      } else if (c === CLOSE_BRACE && seen === ALL_FIELDS) {
        this.lastBadUtf8 = this.serviceEntry!.badUtf8 || this.messageEntry!.badUtf8;
        if (this.lastBadUtf8) this.badUtf8 = true;
        return p + 1;
      } else {
        return -1;
      }
    }
  }

  /**
   * The string whose content starts at `p`, when it has no escape; the position after its
   * closing quote in `stringEnd`. A string read before at text that starts alike is
   * recognised by comparing its bytes; any other is read and interned.
   */
  private string(p: number, kind: 0 | 1): DictionaryEntry | undefined {
    const dictionary = this.dictionary;
    const known = dictionary.recall(p, kind);
    if (known !== undefined) {
      this.stringEnd = p + known.length + 1;
      return known;
    }
    const entry = this.scanString(p);
    if (entry !== undefined) dictionary.remember(p, kind, entry);
    return entry;
  }

  /** {@link string} without the guess: reads to the closing quote, then interns. */
  private scanString(p: number): DictionaryEntry | undefined {
    const source = this.source;
    const view = this.view;
    const end = this.end;
    let bits = 0;
    let q = p;
    // Four bytes at a time while none is a quote, a backslash or a control character
    // (the classic "has a zero byte" test on the word xor'ed with the byte sought).
    while (q + 4 <= end) {
      const word = view.getInt32(q, true);
      const quotes = word ^ 0x22222222;
      const backslashes = word ^ 0x5c5c5c5c;
      const stops =
        ((quotes - 0x01010101) & ~quotes) |
        ((backslashes - 0x01010101) & ~backslashes) |
        ((word - 0x20202020) & ~word);
      if ((stops & 0x80808080) !== 0) break;
      bits |= word;
      q += 4;
    }
    for (; q < end; q++) {
      const c = source[q]!;
      if (c === QUOTE) {
        // Longer than an event may be: the general path rejects the line undecoded.
        if (q - p > MAX_EVENT_BYTES) return undefined;
        this.stringEnd = q + 1;
        return this.dictionary.intern(p, q, (bits & 0x80808080) !== 0);
      }
      // Escapes are decoded by JSON.parse; raw control characters make it throw.
      if (c === BACKSLASH || c < SPACE) return undefined;
      bits |= c;
    }
    return undefined;
  }

  /**
   * {@link scanNumber} four digits at a time for the usual timestamp (no sign, no leading
   * zero, no exponent, at most 15 digits, not at the end of the input); any other number is
   * read by {@link scanNumber}. The digits make the same exact mantissa, so the same double.
   */
  private timestamp(start: number): number {
    const source = this.source;
    const view = this.view;
    const end = this.end;
    const first = source[start]!;
    if (first <= ZERO || first > NINE) return this.scanNumber(start);
    let p = start;
    let mantissa = 0;
    let digits = 0;
    // Epoch seconds have ten digits: the first eight in one test, without the loop.
    if (p + 8 <= end) {
      const high = view.getInt32(p, true);
      const low = view.getInt32(p + 4, true);
      if ((notDigits(high) | notDigits(low)) === 0) {
        mantissa = fourDigits(high) * 10000 + fourDigits(low);
        p += 8;
        digits = 8;
      }
    }
    this.mantissa = mantissa;
    let q = this.digitsAt(p, MAX_EXACT_DIGITS - digits);
    if (q < 0) return this.scanNumber(start);
    digits += q - p;
    p = q;
    let scale = 0;
    if (source[p] === DOT) {
      q = this.digitsAt(p + 1, MAX_EXACT_DIGITS - digits);
      scale = q - (p + 1);
      // `1.` is not JSON: scanNumber says so.
      if (q < 0 || scale === 0) return this.scanNumber(start);
      p = q;
    }
    mantissa = this.mantissa;
    const c = source[p];
    if (c === LOWER_E || c === UPPER_E) return this.scanNumber(start);
    let value = scale === 0 ? mantissa : mantissa / POWERS_OF_TEN[scale]!;
    if (this.timestampDivisor !== 1) value /= this.timestampDivisor;
    if (value > this.latest || value < EARLIEST_TIMESTAMP) return -1;
    this.time = value;
    return p;
  }

  /**
   * Appends the digits at `p` to {@link mantissa}, four at a time: the position after them,
   * or -1 when {@link scanNumber} must read the number (too near the end of the input, or
   * more than `room` digits, past an exact mantissa).
   */
  private digitsAt(p: number, room: number): number {
    const view = this.view;
    const end = this.end;
    const from = p;
    for (;;) {
      if (p + 4 > end) return -1;
      const word = view.getInt32(p, true);
      const run = digitRun(word);
      if (run === 0) return p;
      this.mantissa = this.mantissa * POWERS_OF_TEN[run]! + fourDigits(word << (32 - 8 * run));
      p += run;
      if (p - from > room) return -1;
      if (run < 4) return p;
    }
  }

  /** Reads a JSON number at `start` into `time`; the position after it, or -1. */
  private scanNumber(start: number): number {
    const source = this.source;
    const end = this.end;
    let p = start;
    const negative = p < end && source[p] === MINUS;
    if (negative) p++;
    if (p >= end) return -1;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let c = source[p]!;
    if (c === ZERO) {
      p++;
    } else if (c > ZERO && c <= NINE) {
      for (; p < end; p++) {
        c = source[p]!;
        if (c < ZERO || c > NINE) break;
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
      }
    } else {
      return -1;
    }
    if (p < end && source[p] === DOT) {
      p++;
      if (p >= end || !isDigit(source[p]!)) return -1;
      for (; p < end; p++) {
        c = source[p]!;
        if (c < ZERO || c > NINE) break;
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        scale++;
      }
    }
    let exact = digits <= MAX_EXACT_DIGITS;
    if (p < end && (source[p] === LOWER_E || source[p] === UPPER_E)) {
      p++;
      if (p < end && (source[p] === PLUS || source[p] === MINUS)) p++;
      if (p >= end || !isDigit(source[p]!)) return -1;
      while (p < end && isDigit(source[p]!)) p++;
      exact = false;
    }
    let value: number;
    if (exact) {
      value = scale === 0 ? mantissa : mantissa / POWERS_OF_TEN[scale]!;
      if (negative) value = -value;
    } else {
      value = Number(source.toString('latin1', start, p));
    }
    // As the general path divides JSON.parse's number: the same double.
    if (this.timestampDivisor !== 1) value /= this.timestampDivisor;
    // 1e999 is Infinity, which the event model rejects with its own reason; a timestamp
    // in the future or before the dates is rejected by validateValue, which gives the reason.
    if (!Number.isFinite(value) || value > this.latest || value < EARLIEST_TIMESTAMP) return -1;
    this.time = value;
    return p;
  }

  /** The position after the JSON value at `p` (its text is checked by JSON.parse later), or -1. */
  private skipValue(p: number): number {
    const source = this.source;
    const end = this.end;
    if (p >= end) return -1;
    const c = source[p]!;
    if (c === QUOTE) return this.skipString(p + 1);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      let depth = 0;
      while (p < end) {
        const d = source[p]!;
        if (d === QUOTE) {
          p = this.skipString(p + 1);
          if (p < 0) return -1;
          continue;
        }
        if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
        else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return p + 1;
        p++;
      }
      return -1;
    }
    const start = p;
    while (p < end && !isDelimiter(source[p]!)) p++;
    return p === start ? -1 : p;
  }

  private skipString(p: number): number {
    const source = this.source;
    const end = this.end;
    while (p < end) {
      const c = source[p]!;
      if (c === QUOTE) return p + 1;
      p += c === BACKSLASH ? 2 : 1;
    }
    return -1;
  }
}

/** Growable columns of one batch, services and messages dictionary-coded as they are read. */
class ColumnsBuilder {
  private serviceIds!: Uint32Array;
  private messageIds!: Uint32Array;
  private times!: Float64Array;
  private statuses!: Uint16Array;
  private capacity = 0;
  /**
   * Originals of the events that took the general path, at their indexes (holes elsewhere,
   * which `EventBatch.eventAt` rebuilds), so extra fields and ISO timestamps are kept.
   */
  private events: LogEvent[] | undefined;
  private readonly invalid: InvalidValue[] = [];
  private readonly services = new StringCodes();
  private readonly messages = new StringCodes();
  private length = 0;

  constructor(
    capacity: number,
    /** The latest valid timestamp, for the values handed to {@link addValue}. */
    private readonly latest: number,
    private readonly fields: EventFields,
  ) {
    this.allocate(Math.max(1, capacity));
  }

  pushScanned(scanner: EventScanner): void {
    const service = scanner.serviceEntry!;
    const message = scanner.messageEntry!;
    this.push(
      this.services.codeEntry(service),
      scanner.time,
      // Interned entries carry their status: each distinct message runs the regex once.
      message.status >= 0 ? message.status : statusFor(message),
      this.messages.codeEntry(message),
    );
  }

  addValue(value: unknown, position: Position): void {
    const result = validateValue(value, this.latest, this.fields);
    if (!result.ok) {
      this.invalid.push({ reason: result.reason, position });
      return;
    }
    const { event } = result;
    this.events ??= new Array<LogEvent>(this.capacity);
    this.events[this.length] = event.event;
    this.push(
      this.services.code(event.service),
      event.time,
      event.status ?? NO_STATUS,
      this.messages.code(event.message),
    );
  }

  reject(reason: string, position: Position): void {
    this.invalid.push({ reason, position });
  }

  finish(): ScanPart {
    const n = this.length;
    if (this.events !== undefined) this.events.length = n;
    // The columns share one buffer, which crosses threads whole (batch-transfer.ts): views
    // of it when the estimate was close, a copy when most of it would travel empty.
    if (n < this.capacity / 2) this.resize(n);
    const batch = new EventBatch(
      this.serviceIds.subarray(0, n),
      this.services.values,
      this.times.subarray(0, n),
      this.statuses.subarray(0, n),
      this.messageIds.subarray(0, n),
      this.messages.values,
      this.events,
    );
    return { batch, invalid: this.invalid };
  }

  private push(serviceId: number, time: number, status: number, messageId: number): void {
    const i = this.length;
    if (i === this.capacity) this.resize(Math.max(16, this.capacity * 2));
    this.serviceIds[i] = serviceId;
    this.times[i] = time;
    this.statuses[i] = status;
    this.messageIds[i] = messageId;
    this.length = i + 1;
  }

  /** Moves the columns to a buffer of `capacity` rows (at least `length`). */
  private resize(capacity: number): void {
    const { serviceIds, messageIds, times, statuses, length } = this;
    this.allocate(capacity);
    this.serviceIds.set(serviceIds.subarray(0, length));
    this.messageIds.set(messageIds.subarray(0, length));
    this.times.set(times.subarray(0, length));
    this.statuses.set(statuses.subarray(0, length));
  }

  /** One buffer for the four columns: one allocation, and one buffer to transfer. */
  private allocate(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * COLUMN_BYTES);
    // Widest first, so that every column is aligned to its element size.
    this.times = new Float64Array(buffer, 0, capacity);
    this.serviceIds = new Uint32Array(buffer, capacity * 8, capacity);
    this.messageIds = new Uint32Array(buffer, capacity * 12, capacity);
    this.statuses = new Uint16Array(buffer, capacity * 16, capacity);
    this.capacity = capacity;
  }
}

function statusFor(entry: DictionaryEntry): number {
  entry.status = statusOrNone(entry.text);
  return entry.status;
}

/**
 * A word with bits set in exactly those of its bytes that are not ASCII digits. A byte is a digit when its high nibble is 3 and its
 * low nibble plus 6 does not carry (0-9, not A-F); nibbles are added apart, so that no sum
 * leaves its byte or int32.
 */
function notDigits(word: number): number {
  return ((word & 0xf0f0f0f0) ^ 0x30303030) | (((word & 0x0f0f0f0f) + 0x06060606) & 0x10101010);
}

/** How many of a word's four bytes, from its first (lowest), are ASCII digits before another byte. */
function digitRun(word: number): number {
  const bits = notDigits(word);
  if (bits === 0) return 4;
  return (31 - Math.clz32(bits & -bits)) >> 3;
}

/**
 * The number spelled by the four ASCII digits of a word, first digit in the lowest byte
 * (leading zero bytes count as zeros): pairs of digits, then the pair of pairs.
 */
function fourDigits(word: number): number {
  const digits = word & 0x0f0f0f0f;
  const pairs = (Math.imul(digits, 10) + (digits >>> 8)) & 0x00ff00ff;
  return (Math.imul(pairs, 100) + (pairs >>> 16)) & 0xffff;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** Bytes that end a number or literal: whitespace and JSON punctuation. */
function isDelimiter(c: number): boolean {
  return (
    c === SPACE ||
    c === TAB ||
    c === LF ||
    c === CR ||
    c === COMMA ||
    c === COLON ||
    c === QUOTE ||
    c === OPEN_BRACKET ||
    c === CLOSE_BRACKET ||
    c === OPEN_BRACE ||
    c === CLOSE_BRACE
  );
}

function isBlank(source: Uint8Array, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) if (source[i] !== SPACE && source[i] !== TAB) return false;
  return true;
}

function startsWithBom(source: Uint8Array): boolean {
  return source.length >= 3 && source[0] === 0xef && source[1] === 0xbb && source[2] === 0xbf;
}

/** The little-endian word of up to 4 ASCII characters, as DataView.getUint32/16 reads them. */
function asciiWord(text: string): number {
  let word = 0;
  for (let i = text.length - 1; i >= 0; i--) word = word * 256 + text.charCodeAt(i);
  return word;
}
