/**
 * The records the six operators emit: the NDJSON records of SPEC.md without `batch` and
 * `file`, which the command line adds. Times are epoch seconds; lists of services are
 * sorted by service name (code-unit order); a rate over zero events is `null`.
 */
import type { LogEvent } from './event.js';

export type TaskName =
  | 'running-average'
  | 'sliding-window'
  | 'reservoir'
  | 'bloom'
  | 'lazy-groups'
  | 'keyed-windows';

export const TASK_NAMES: readonly TaskName[] = [
  'running-average',
  'sliding-window',
  'reservoir',
  'bloom',
  'lazy-groups',
  'keyed-windows',
];

export interface ServiceSuccess {
  readonly service: string;
  readonly successes: number;
  /** Events of this service that have a status. */
  readonly total: number;
  readonly rate: number | null;
}

export interface ServiceFailure {
  readonly service: string;
  readonly failures: number;
  readonly total: number;
  readonly rate: number | null;
}

/** Task 1: success rate since start, overall and per service. */
export interface RunningAverageRecord {
  readonly task: 'running-average';
  /** Smallest timestamp of every valid event so far; null before the first. */
  readonly oldest: number | null;
  /** Largest timestamp of every valid event so far; null before the first. */
  readonly newest: number | null;
  readonly successes: number;
  readonly total: number;
  readonly rate: number | null;
  readonly services: readonly ServiceSuccess[];
}

/** Task 2: failure rate over the last window of event time. */
export interface SlidingWindowRecord {
  readonly task: 'sliding-window';
  readonly windowStart: number | null;
  readonly windowEnd: number | null;
  readonly failures: number;
  readonly total: number;
  readonly rate: number | null;
  /** Events older than the window's start when they arrived, cumulative. */
  readonly late: number;
  readonly services: readonly ServiceFailure[];
}

export interface StatusCount {
  readonly status: number;
  readonly count: number;
}

/** Task 3: a uniform sample of the statuses seen, and its most common one. */
export interface ReservoirRecord {
  readonly task: 'reservoir';
  /** Events with a status so far. */
  readonly seen: number;
  readonly capacity: number;
  readonly size: number;
  /** Highest count in the sample, the lowest code on a tie; null when empty. */
  readonly mostCommon: number | null;
  /** Sorted by count (descending), then status (ascending). */
  readonly sample: readonly StatusCount[];
}

/** Task 4: what the Bloom filter let through. */
export interface BloomRecord {
  readonly task: 'bloom';
  readonly bits: number;
  readonly hashes: number;
  /** Expected false-positive rate for the filter's fill. */
  readonly falsePositiveRate: number;
  readonly checked: number;
  readonly forwarded: number;
  readonly ratio: number | null;
  readonly batchChecked: number;
  readonly batchForwarded: number;
  readonly batchRatio: number | null;
}

/** Successes per service per time bucket, like Polars' `group_by_dynamic`. */
export interface ServiceBucket {
  readonly service: string;
  /** `floor(t / every) * every`, epoch seconds; the bucket is `[start, start + every)`. */
  readonly start: number;
  readonly successes: number;
  /** Events of this service in the bucket that have a status. */
  readonly total: number;
  readonly rate: number | null;
}

/** Task 5: success rate per service from the batched lazy engine. */
export interface LazyGroupsRecord {
  readonly task: 'lazy-groups';
  /** Valid events so far. */
  readonly events: number;
  readonly successes: number;
  readonly total: number;
  readonly rate: number | null;
  readonly services: readonly ServiceSuccess[];
  /** Batches reduced so far. */
  readonly batches?: number;
  /** Per service per time bucket, with `groupEverySeconds` (`--group-every`). */
  readonly buckets?: readonly ServiceBucket[];
}

/** Task 6: one closed event-time window of one service. */
export interface KeyedWindowRecord {
  readonly task: 'keyed-windows';
  readonly service: string;
  /** Inclusive. */
  readonly windowStart: number;
  /** Exclusive. */
  readonly windowEnd: number;
  /** Every event of the window, with a status or not. */
  readonly events: number;
  /** Its events with a status. */
  readonly total: number;
  readonly successes: number;
  readonly failures: number;
  /** Success rate. */
  readonly rate: number | null;
  /** This service's late events so far. */
  readonly late: number;
  readonly anomaly: boolean;
  /** z-score of the window's failure rate; null before the baseline exists. */
  readonly score: number | null;
  /** True when this re-emits a window already emitted (a late event within the allowed lateness). */
  readonly update: boolean;
}

/**
 * An event too late for Task 2's window or for a window of Task 6: what their side output
 * (`--late-output`) receives, once per late event.
 */
export interface LateEvent {
  readonly task: 'sliding-window' | 'keyed-windows';
  /** Why it is late, with the bound it missed (for people; not a stable format). */
  readonly reason: string;
  /** The event as it arrived (rebuilt from the columns when the source did not keep it). */
  readonly event: LogEvent;
}

export type TaskRecord =
  | RunningAverageRecord
  | SlidingWindowRecord
  | ReservoirRecord
  | BloomRecord
  | LazyGroupsRecord
  | KeyedWindowRecord;

/** Code-unit order: the same on every machine and locale, unlike `localeCompare`. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Records and rows in {@link compareText} order of their service. */
export function byServiceName(a: { service: string }, b: { service: string }): number {
  return compareText(a.service, b.service);
}
