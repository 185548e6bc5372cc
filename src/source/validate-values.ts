import type { FieldLabels, LogEvent, ParsedEvent, Validation } from '../../operators/event.js';
import { validateEvent } from '../../operators/event.js';
import { type EventFields, isStandard, STANDARD_FIELDS } from './event-fields.js';

/** Where an invalid value stood: an array index or a line number, for the report. */
export type Position = { readonly index: number } | { readonly line: number };

export interface InvalidValue {
  readonly reason: string;
  readonly position: Position;
}

/** Milliseconds since the epoch, as `Date.now` reads them: the clock timestamps are checked against. */
export type Clock = () => number;

/**
 * How far past the reading machine's clock a timestamp may be. A log is written before it is
 * read, so a later timestamp is a wrong clock or hostile input; let in, one such event would
 * hold Task 2's window and Task 6's watermark in the future and make every later event late.
 */
export const FUTURE_HORIZON_SECONDS = 86_400;

/**
 * The earliest timestamp accepted: the start of the range of a JavaScript Date (about
 * 271,821 BC). Earlier times are no real log's, and so far from zero that a window index
 * computed from them has no neighbours in floating point.
 */
export const EARLIEST_TIMESTAMP = -8.64e12;

/**
 * Most levels of arrays and objects in one event, itself included. A kept event is cloned to
 * cross threads and serialised to be forwarded, both recursively: deeper input would exhaust
 * the stack there (JSON.parse itself is iterative), so it is refused here, where it is read.
 */
export const MAX_NESTING = 128;

/** Most bytes of JSON text in one event (an array element, a single value or an NDJSON line). */
export const MAX_EVENT_BYTES = 64 << 20;

/** The reason of an event larger than {@link MAX_EVENT_BYTES}. */
export const TOO_LARGE = `larger than ${MAX_EVENT_BYTES >> 20} MiB, the limit for one event`;

const IN_THE_FUTURE = `timestamp is more than ${FUTURE_HORIZON_SECONDS / 3600} hours ahead of this machine's clock`;
const TOO_EARLY = 'timestamp is before the range of dates (-8.64e12 s)';
const TOO_DEEP = `nested more than ${MAX_NESTING} levels deep`;

/**
 * JSON.parse of one value, or the reason of text that is not JSON, as every reader gives it
 * (a file, an element, a line).
 */
export function parseOrReason(
  text: string,
):
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
}

/** The latest timestamp (epoch seconds) an event read at `now` may carry. */
export function latestTimestamp(now: Clock = Date.now): number {
  return now() / 1000 + FUTURE_HORIZON_SECONDS;
}

/**
 * Checks a parsed value as the sources accept events: the event model ({@link validateEvent}),
 * then the bounds of hostile input: a timestamp after `latest` ({@link latestTimestamp}) or
 * before {@link EARLIEST_TIMESTAMP}, a nesting deeper than {@link MAX_NESTING}.
 */
export function validateValue(
  value: unknown,
  latest: number,
  fields: EventFields = STANDARD_FIELDS,
): Validation {
  const result = isStandard(fields) ? validateEvent(value) : validateMapped(value, fields);
  if (!result.ok) return result;
  if (result.event.time > latest) return { ok: false, reason: IN_THE_FUTURE };
  if (result.event.time < EARLIEST_TIMESTAMP) return { ok: false, reason: TOO_EARLY };
  if (nestsDeeperThan(value, MAX_NESTING)) return { ok: false, reason: TOO_DEEP };
  return result;
}

/**
 * Reads the three fields of `value` where `fields` says they are and checks them as the event
 * model would; a reason names the field as the logs call it (`missing ts`). The event kept
 * for sinks that forward it is `value` as it arrived, in its own shape.
 */
function validateMapped(value: unknown, fields: EventFields): Validation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return validateEvent(value);
  }
  let timestamp = valueAt(value, fields.timestamp);
  if (typeof timestamp === 'number' && fields.timestampUnit === 'ms') timestamp /= 1000;
  const result = validateEvent(
    {
      service: valueAt(value, fields.service),
      timestamp,
      message: valueAt(value, fields.message),
    },
    labelsOf(fields),
  );
  if (!result.ok) return result;
  return { ok: true, event: { ...result.event, event: value as LogEvent } };
}

/** The value at a path of keys into nested objects; `undefined` where one is missing. */
function valueAt(value: object, path: readonly string[]): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, key)) {
      return undefined;
    }
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

const LABELS = new WeakMap<EventFields, FieldLabels>();

/** The fields as the logs name them (`msg.text`), for the reasons; made once per mapping. */
function labelsOf(fields: EventFields): FieldLabels {
  let labels = LABELS.get(fields);
  if (labels === undefined) {
    labels = {
      service: fields.service.join('.'),
      timestamp: fields.timestamp.join('.'),
      message: fields.message.join('.'),
    };
    LABELS.set(fields, labels);
  }
  return labels;
}

/** Whether arrays and objects nest in `value` more than `limit` levels; iterative, any depth. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: [node: object, depth: number][] = [];
  if (typeof value === 'object' && value !== null) pending.push([value, 1]);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, depth] = next;
    if (depth > limit) return true;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Accumulates the valid events of a batch and the reasons of the invalid ones, timestamps
 * bounded by the clock when the collector is made.
 */
export class BatchCollector {
  readonly events: ParsedEvent[] = [];
  readonly invalid: InvalidValue[] = [];
  private readonly latest: number;

  constructor(
    now: Clock = Date.now,
    private readonly fields: EventFields = STANDARD_FIELDS,
  ) {
    this.latest = latestTimestamp(now);
  }

  add(value: unknown, position: Position): void {
    const result = validateValue(value, this.latest, this.fields);
    if (result.ok) this.events.push(result.event);
    else this.invalid.push({ reason: result.reason, position });
  }

  reject(reason: string, position: Position): void {
    this.invalid.push({ reason, position });
  }
}

/** Invalid events of one batch that share a reason, as one problem. */
export interface InvalidSummary {
  /** `3 invalid events: missing timestamp (lines 2, 5, 9)`: the line a person reads. */
  readonly reason: string;
  readonly count: number;
  /** The reason alone: `missing timestamp`. */
  readonly cause: string;
  /** Where they are: line numbers (NDJSON) or array indexes (`.json`), the first {@link MAX_POSITIONS}. */
  readonly lines?: readonly number[];
  readonly indexes?: readonly number[];
}

/** Most positions a summary lists for a program to read (`count` has them all). */
export const MAX_POSITIONS = 1000;

/**
 * One problem per reason: `3 invalid events: missing timestamp (lines 2, 5, 9)`, so a file
 * with thousands of bad events does not flood stderr.
 */
export function summarizeInvalid(invalid: readonly InvalidValue[]): InvalidSummary[] {
  const byReason = new Map<string, InvalidValue[]>();
  for (const value of invalid) {
    const group = byReason.get(value.reason);
    if (group) group.push(value);
    else byReason.set(value.reason, [value]);
  }
  return [...byReason].map(([reason, values]) => {
    const shown = values
      .slice(0, 5)
      .map(({ position }) => ('line' in position ? position.line : position.index));
    const unit = 'line' in values[0]!.position ? 'line' : 'index';
    const more = values.length > shown.length ? ', …' : '';
    const where = `${unit}${shown.length > 1 ? (unit === 'line' ? 's' : 'es') : ''} ${shown.join(', ')}${more}`;
    const noun = values.length === 1 ? 'invalid event' : 'invalid events';
    const positions = values
      .slice(0, MAX_POSITIONS)
      .map(({ position }) => ('line' in position ? position.line : position.index));
    return {
      reason: `${values.length} ${noun}: ${reason} (${where})`,
      count: values.length,
      cause: reason,
      ...(unit === 'line' ? { lines: positions } : { indexes: positions }),
    };
  });
}

/** The notice for text with invalid UTF-8: nothing is lost, the bad bytes read as U+FFFD. */
export function badUtf8Reason(lines?: readonly number[]): string {
  const where = lines === undefined ? '' : ` on line ${lines.slice(0, 5).join(', ')}`;
  return `invalid UTF-8${where}, read with U+FFFD in place of the bad bytes`;
}
