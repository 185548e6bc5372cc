import { isUtf8 } from 'node:buffer';
import { EventBatch } from '../../operators/batch.js';
import { type EventFields, STANDARD_FIELDS } from './event-fields.js';
import type { PositionalFile } from './open-file.js';
import { type ScanPart, scanJsonArray } from './scan-events.js';
import {
  BatchCollector,
  type Clock,
  MAX_EVENT_BYTES,
  parseOrReason,
  TOO_LARGE,
} from './validate-values.js';

/**
 * Above this size a `.json` file is split element by element instead of parsed whole (a
 * single value that large is one event over {@link MAX_EVENT_BYTES}).
 */
export const WHOLE_FILE_LIMIT = 64 << 20;
/** Elements per batch when a large array is split. */
export const MAX_BATCH_ELEMENTS = 50_000;

export type JsonDocument =
  | { readonly ok: true; readonly values: readonly unknown[]; readonly badUtf8: boolean }
  | { readonly ok: false; readonly reason: string };

/** A `.json` file's content: an array of events, or one event (any other value is one invalid event). */
export function parseJsonDocument(bytes: Buffer): JsonDocument {
  const badUtf8 = !isUtf8(bytes);
  const text = stripBom(bytes.toString('utf8'));
  if (text.trim().length === 0) return { ok: false, reason: 'empty file' };
  const parsed = parseOrReason(text);
  if (!parsed.ok) return parsed;
  return { ok: true, values: Array.isArray(parsed.value) ? parsed.value : [parsed.value], badUtf8 };
}

/** A `.json` document read from some element on: its batches, or why it does not parse. */
export type JsonRead<Part = ScanPart> =
  | {
      readonly ok: true;
      /** Batches of the elements from `first` on. */
      readonly parts: readonly Part[];
      /** Elements in the whole document. */
      readonly count: number;
      readonly badUtf8: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * The events of a `.json` file from element `first` on, in batches of at most
 * {@link MAX_BATCH_ELEMENTS}: scanned straight into columns, with {@link parseJsonDocument}
 * (the general path) for the exact reason when the file is not valid JSON. Timestamps are
 * bounded by `now` (see `validateValue` in validate-values.ts).
 */
export function readJsonDocument(
  bytes: Buffer,
  first: number,
  now: Clock = Date.now,
  fields: EventFields = STANDARD_FIELDS,
): JsonRead {
  const scan = scanJsonArray(bytes, { first, maxBatchElements: MAX_BATCH_ELEMENTS, now, fields });
  if (scan !== undefined) return { ok: true, ...scan };
  const document = parseJsonDocument(bytes);
  if (!document.ok) return document;
  // The scanner declines exactly the documents JSON.parse rejects; should they ever differ,
  // the general path still reads the file.
  const parts = [...collectValues(document.values, first, now, fields)].map((collector) => ({
    batch: EventBatch.fromParsed(collector.events),
    invalid: collector.invalid,
  }));
  return { ok: true, parts, count: document.values.length, badUtf8: document.badUtf8 };
}

/** Validates the values of a parsed document from `first` on, in batches, timestamps bounded by `now`. */
export function* collectValues(
  values: readonly unknown[],
  first: number,
  now: Clock = Date.now,
  fields: EventFields = STANDARD_FIELDS,
): Generator<BatchCollector> {
  for (let start = first; start < values.length || start === first; start += MAX_BATCH_ELEMENTS) {
    const collector = new BatchCollector(now, fields);
    const end = Math.min(values.length, start + MAX_BATCH_ELEMENTS);
    for (let i = start; i < end; i++) collector.add(values[i], { index: i });
    yield collector;
    if (end >= values.length) return;
  }
}

/**
 * Splits a large `.json` file into its events without holding the file: a top-level array
 * element by element, each element's text parsed on its own, so memory holds one batch of
 * elements at a time; any other top-level value as the file's one event. An event whose text
 * is over {@link MAX_EVENT_BYTES} is invalid, its text dropped as it is read. Elements before
 * `first` (already read from a file that has since grown) are skipped. Yields batches, each
 * with `next`, the number of complete elements so far; ends with an error reason when the file
 * is not valid JSON as a whole (its complete elements yielded first). Timestamps are bounded by
 * `now`, read once per batch.
 */
export async function* splitLargeArray(
  handle: PositionalFile,
  size: number,
  first = 0,
  fields: EventFields = STANDARD_FIELDS,
  now: Clock = Date.now,
): AsyncGenerator<{ collector: BatchCollector; next: number } | { error: string }> {
  const decoder = new TextDecoder('utf-8');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let state = 'before' as 'before' | 'array' | 'single' | 'after';
  /** The file holds one value, not an array. */
  let single = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  const element = new ElementText();
  let index = 0;
  let collector = new BatchCollector(now, fields);

  /**
   * Validates the element just read into `element`. A single value that is not JSON makes the
   * file not JSON: returns its reason.
   */
  const finishElement = (): string | undefined => {
    const { text, tooLarge } = element.take();
    if (text.length === 0 && !tooLarge) return undefined;
    const at = index;
    index += 1;
    if (at < first) return undefined;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: shorter texts need no measuring.
    if (
      tooLarge ||
      (text.length > MAX_EVENT_BYTES / 3 && Buffer.byteLength(text) > MAX_EVENT_BYTES)
    ) {
      collector.reject(TOO_LARGE, { index: at });
      return undefined;
    }
    const parsed = parseOrReason(text);
    if (parsed.ok) collector.add(parsed.value, { index: at });
    else if (single) return parsed.reason;
    else collector.reject(parsed.reason, { index: at });
    return undefined;
  };

  for (let position = 0; position < size; ) {
    const { bytesRead } = await handle.read(
      buffer,
      0,
      Math.min(buffer.length, size - position),
      position,
    );
    if (bytesRead === 0) break;
    position += bytesRead;
    const text = decoder.decode(buffer.subarray(0, bytesRead), { stream: true });
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (state === 'before') {
        if (isSpace(c)) continue;
        if (c === 0x5b /* [ */) {
          state = 'array';
          from = i + 1;
          continue;
        }
        state = 'single';
        single = true;
        from = i;
      } else if (state === 'after') {
        if (!isSpace(c)) {
          const what = single ? 'the value' : `the array, element ${index}`;
          yield { error: `not valid JSON (unexpected text after ${what})` };
          return;
        }
        continue;
      }
      // Whether `c` ends a value at the top level (the end of a single value).
      let closes = false;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c /* \ */) escaped = true;
        else if (c === 0x22 /* " */) {
          inString = false;
          closes = depth === 0;
        }
      } else if (c === 0x22) {
        inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        depth += 1;
      } else if ((c === 0x7d || c === 0x5d) && depth > 0) {
        depth -= 1;
        closes = depth === 0;
      } else if (state === 'array' && depth === 0 && (c === 0x2c /* , */ || c === 0x5d) /* ] */) {
        element.append(text.slice(from, i));
        from = i + 1;
        finishElement();
        if (c === 0x5d) state = 'after';
        if (collector.events.length + collector.invalid.length >= MAX_BATCH_ELEMENTS) {
          yield { collector, next: index };
          collector = new BatchCollector(now, fields);
        }
      }
      if (closes && state === 'single') {
        element.append(text.slice(from, i + 1));
        from = i + 1;
        const error = finishElement();
        if (error !== undefined) {
          yield { error };
          return;
        }
        state = 'after';
      }
    }
    if (state === 'array' || state === 'single') element.append(text.slice(from));
  }
  if (state === 'single') {
    // A number or literal ends with the file; anything else left open is truncated.
    const error =
      inString || depth > 0 ? 'not valid JSON (the value is not closed)' : finishElement();
    if (error !== undefined) {
      yield { error };
      return;
    }
    state = 'after';
  }
  yield { collector, next: index };
  if (state === 'before') yield { error: 'empty file' };
  else if (state !== 'after')
    yield { error: `not valid JSON (the array is not closed after element ${index})` };
}

/**
 * The text of one element as it is read, without its leading whitespace; once longer than one
 * event may be, only its length is kept, so a huge element never holds memory.
 */
class ElementText {
  private text = '';
  private length = 0;

  append(piece: string): void {
    const added = this.length === 0 ? piece.trimStart() : piece;
    this.length += added.length;
    // A UTF-16 unit is at least one byte of UTF-8: this many units are too many bytes.
    if (this.length > MAX_EVENT_BYTES) this.text = '';
    else this.text += added;
  }

  /** The element's text, and whether it was dropped for its size; starts the next element. */
  take(): { text: string; tooLarge: boolean } {
    const taken = { text: this.text.trimEnd(), tooLarge: this.length > MAX_EVENT_BYTES };
    this.text = '';
    this.length = 0;
    return taken;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
