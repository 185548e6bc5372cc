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
 * Epoch seconds of a timestamp, or `undefined` when it is neither a finite number nor an
 * ISO-8601 date or date-time (`2026-01-01`, `2026-01-01T10:00`, `…T10:00:00.250Z`, a `T` or a
 * space, `Z` or an offset `+05:30` / `-0800`). A date-time without a zone is UTC, whatever the
 * machine's time zone, so that the same logs give the same records everywhere (`Date.parse`
 * would read it as local time). A date the calendar lacks (February 30, hour 24, minute 60)
 * is invalid rather than rolled over into the next day.
 */
export function toEpochSeconds(timestamp: unknown): number | undefined {
  if (typeof timestamp === 'number') return Number.isFinite(timestamp) ? timestamp : undefined;
  if (typeof timestamp !== 'string') return undefined;
  const parts = ISO_8601.exec(timestamp);
  if (parts === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction, zone, sign, zh, zm] = parts;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (zone !== undefined && zone !== 'Z') {
    const offsetHours = Number(zh);
    const offsetMinutes = Number(zm);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    offset = (sign === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  }
  const seconds =
    daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
  return fraction === undefined ? seconds : seconds + Number(`0${fraction}`);
}

// Date.parse alone accepts "5", "May 3" and other locale forms; the SPEC asks for ISO-8601.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))?)?$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
 * `days_from_civil`): exact for years 0000 to 9999, where `Date.UTC` maps 0 to 99 onto the
 * 1900s.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

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

/**
 * What the reasons of {@link validateEvent} call the three fields: their own names, or the
 * names the logs give them where a reader maps other fields onto the event model (`ts`).
 */
export interface FieldLabels {
  readonly service: string;
  readonly timestamp: string;
  readonly message: string;
}

const OWN_LABELS: FieldLabels = { service: 'service', timestamp: 'timestamp', message: 'message' };

/** Checks one value against the event model; the reason says which rule it breaks. */
export function validateEvent(value: unknown, labels: FieldLabels = OWN_LABELS): Validation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: `not an object (${describe(value)})` };
  }
  const candidate = value as Record<string, unknown>;
  const { service, timestamp, message } = candidate;
  if (service === undefined) return { ok: false, reason: `missing ${labels.service}` };
  if (typeof service !== 'string')
    return { ok: false, reason: `${labels.service} is ${describe(service)}, not a string` };
  if (service.length === 0) return { ok: false, reason: `${labels.service} is empty` };
  if (timestamp === undefined) return { ok: false, reason: `missing ${labels.timestamp}` };
  const time = toEpochSeconds(timestamp);
  if (time === undefined) {
    return {
      ok: false,
      reason: `${labels.timestamp} is ${describe(timestamp)}, not epoch seconds or ISO-8601`,
    };
  }
  if (message === undefined) return { ok: false, reason: `missing ${labels.message}` };
  if (typeof message !== 'string')
    return { ok: false, reason: `${labels.message} is ${describe(message)}, not a string` };
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
