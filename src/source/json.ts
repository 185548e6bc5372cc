import { isUtf8 } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import { EventBatch } from '../../operators/batch.js';
import { type ScanPart, scanJsonArray } from './scan-events.js';
import { BatchCollector } from './validate-values.js';

/** Above this size a `.json` array is split element by element instead of parsed whole. */
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
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, values: Array.isArray(value) ? value : [value], badUtf8 };
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
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
 * (the general path) for the exact reason when the file is not valid JSON.
 */
export function readJsonDocument(bytes: Buffer, first: number): JsonRead {
  const scan = scanJsonArray(bytes, { first, maxBatchElements: MAX_BATCH_ELEMENTS });
  if (scan !== undefined) return { ok: true, ...scan };
  const document = parseJsonDocument(bytes);
  if (!document.ok) return document;
  // The scanner declines exactly the documents JSON.parse rejects; should they ever differ,
  // the general path still reads the file.
  const parts = [...collectValues(document.values, first)].map((collector) => ({
    batch: EventBatch.fromParsed(collector.events),
    invalid: collector.invalid,
  }));
  return { ok: true, parts, count: document.values.length, badUtf8: document.badUtf8 };
}

/** Validates the values of a parsed document from `first` on, in batches. */
export function* collectValues(
  values: readonly unknown[],
  first: number,
): Generator<BatchCollector> {
  for (let start = first; start < values.length || start === first; start += MAX_BATCH_ELEMENTS) {
    const collector = new BatchCollector();
    const end = Math.min(values.length, start + MAX_BATCH_ELEMENTS);
    for (let i = start; i < end; i++) collector.add(values[i], { index: i });
    yield collector;
    if (end >= values.length) return;
  }
}

/**
 * Splits a large top-level JSON array into its elements without holding the file: each
 * element's text is parsed on its own, so memory holds one batch of elements at a time.
 * Elements before `first` (already read from a file that has since grown) are skipped.
 * Yields batches, each with `next`, the number of complete elements so far; ends with an
 * error reason when the array is malformed or truncated (its complete elements yielded first).
 */
export async function* splitLargeArray(
  handle: FileHandle,
  size: number,
  first = 0,
): AsyncGenerator<{ collector: BatchCollector; next: number } | { error: string }> {
  const decoder = new TextDecoder('utf-8');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let state = 'before' as 'before' | 'inside' | 'after';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = '';
  let index = 0;
  let collector = new BatchCollector();

  const finishElement = () => {
    const text = element.trim();
    element = '';
    if (text.length === 0) return;
    if (index < first) {
      index += 1;
      return;
    }
    try {
      collector.add(JSON.parse(text), { index });
    } catch (error) {
      collector.reject(`not valid JSON (${(error as Error).message})`, { index });
    }
    index += 1;
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
        if (c === 0x5b /* [ */) {
          state = 'inside';
          from = i + 1;
        } else if (!isSpace(c)) {
          yield { error: 'a large .json file must hold an array of events' };
          return;
        }
        continue;
      }
      if (state === 'after') {
        if (!isSpace(c)) {
          yield { error: `not valid JSON (unexpected text after the array, element ${index})` };
          return;
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c /* \ */) escaped = true;
        else if (c === 0x22 /* " */) inString = false;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth += 1;
      else if ((c === 0x7d || c === 0x5d) && depth > 0) depth -= 1;
      else if (depth === 0 && (c === 0x2c /* , */ || c === 0x5d) /* ] */) {
        element += text.slice(from, i);
        from = i + 1;
        finishElement();
        if (c === 0x5d) state = 'after';
        if (collector.events.length + collector.invalid.length >= MAX_BATCH_ELEMENTS) {
          yield { collector, next: index };
          collector = new BatchCollector();
        }
      }
    }
    if (state === 'inside') element += text.slice(from);
  }
  yield { collector, next: index };
  if (state !== 'after')
    yield { error: `not valid JSON (the array is not closed after element ${index})` };
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
