/**
 * The event model shared by every operator: what a log event is, how its status code and
 * class are read, and why an event is rejected.
 */

/** A log event as services write it. Other fields are allowed and ignored. */
export interface LogEvent {
  /** The microservice that logged the event; never empty. */
  readonly service: string;
  /** Epoch seconds (fractions allowed) or an ISO-8601 string. */
  readonly timestamp: number | string;
  /** Free text; the status code is read from `HTTP Status Code: XXX` inside it. */
  readonly message: string;
}

/** What every operator accepts: one event, or a batch processed as one unit. */
export type EventInput = LogEvent | readonly LogEvent[];

const STATUS_PATTERN = /HTTP Status Code:\s*(\d{3})/;

/** The status code of a message: the first `HTTP Status Code: XXX`, or `undefined`. */
export function parseStatus(message: string): number | undefined {
  const match = STATUS_PATTERN.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * The one success/failure rule of every task, on a status code (`NO_STATUS` and codes of
 * neither class are neither): success = 2xx, failure = 4xx and 5xx.
 */
export function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

/** See {@link isSuccess}. */
export function isFailure(status: number): boolean {
  return status >= 400 && status <= 599;
}

/** `numerator / denominator`, or `null` over zero events (SPEC: a rate over nothing is null). */
export function rate(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/**
 * Epoch seconds of a timestamp, or `undefined` when it is neither a finite number nor a
 * string that parses as an ISO-8601 date.
 */
export function toEpochSeconds(timestamp: unknown): number | undefined {
  if (typeof timestamp === 'number') return Number.isFinite(timestamp) ? timestamp : undefined;
  if (typeof timestamp !== 'string' || !ISO_8601.test(timestamp)) return undefined;
  const millis = Date.parse(timestamp);
  return Number.isNaN(millis) ? undefined : millis / 1000;
}

// Date.parse alone accepts "5", "May 3" and other locale forms; the SPEC asks for ISO-8601.
const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A valid event with its derived fields computed once. */
export interface ParsedEvent {
  readonly service: string;
  /** Epoch seconds. */
  readonly time: number;
  readonly status: number | undefined;
  readonly message: string;
  /** The event as it arrived, for sinks that forward it unchanged. */
  readonly event: LogEvent;
}

export type Validation =
  | { readonly ok: true; readonly event: ParsedEvent }
  | { readonly ok: false; readonly reason: string };

/** Checks one value against the event model; the reason says which rule it breaks. */
export function validateEvent(value: unknown): Validation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: `not an object (${describe(value)})` };
  }
  const candidate = value as Record<string, unknown>;
  const { service, timestamp, message } = candidate;
  if (service === undefined) return { ok: false, reason: 'missing service' };
  if (typeof service !== 'string')
    return { ok: false, reason: `service is ${describe(service)}, not a string` };
  if (service.length === 0) return { ok: false, reason: 'service is empty' };
  if (timestamp === undefined) return { ok: false, reason: 'missing timestamp' };
  const time = toEpochSeconds(timestamp);
  if (time === undefined) {
    return {
      ok: false,
      reason: `timestamp is ${describe(timestamp)}, not epoch seconds or ISO-8601`,
    };
  }
  if (message === undefined) return { ok: false, reason: 'missing message' };
  if (typeof message !== 'string')
    return { ok: false, reason: `message is ${describe(message)}, not a string` };
  return {
    ok: true,
    event: {
      service,
      time,
      status: parseStatus(message),
      message,
      event: candidate as unknown as LogEvent,
    },
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
