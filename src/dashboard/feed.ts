import {
  catchError,
  concat,
  defer,
  distinctUntilChanged,
  interval,
  map,
  merge,
  type Observable,
  of,
  scan,
} from 'rxjs';
import type { LogEvent } from '../../operators/event.js';
import type {
  BloomRecord,
  KeyedWindowRecord,
  LazyGroupsRecord,
  ReservoirRecord,
  RunningAverageRecord,
  SlidingWindowRecord,
  TaskRecord,
} from '../../operators/records.js';
import { createRateMeter, perSecond, type RateMeter, recordCount } from './rate-meter.js';
import { ServiceTable } from './service-table.js';
import type { SourceStats, TaskOutput } from './types.js';

/** The three streams the pipeline hands the dashboard. */
export interface DashboardStreams {
  readonly outputs: Observable<TaskOutput>;
  readonly stats: Observable<SourceStats>;
  readonly forwarded: Observable<LogEvent>;
}

/**
 * Everything the dashboard shows, folded from the streams. A change is a new object; only
 * `services` is shared between them and updated in place (see {@link ServiceTable}).
 */
export interface DashboardData {
  readonly stats: SourceStats;
  /** Growth of `stats.events` per second over the last few seconds; null until measurable. */
  readonly eventsPerSecond: number | null;
  readonly runningAverage: RunningAverageRecord | null;
  readonly slidingWindow: SlidingWindowRecord | null;
  /** The sliding window's failure rate after each record, oldest first (the sparkline). */
  readonly failureRates: readonly (number | null)[];
  readonly reservoir: ReservoirRecord | null;
  readonly bloom: BloomRecord | null;
  /** The latest events the Bloom filter forwarded, newest first, as they arrived (unsanitized). */
  readonly forwarded: readonly ForwardedEvent[];
  /** Every service of every record: what the service lists sort, filter and scroll. */
  readonly services: ServiceTable;
  /** The latest windows flagged as anomalies, newest first (an update replaces its version). */
  readonly anomalies: readonly KeyedWindowRecord[];
  readonly lazyGroups: LazyGroupsRecord | null;
  /** Batches the lazy engine reduced: the record's `batches` when it has one, else its records. */
  readonly lazyBatches: number;
  /** Growth of the lazy engine's `events` per second; null until measurable. */
  readonly lazyThroughput: number | null;
  /** `lazyThroughput` at each tick, oldest first (its sparkline). */
  readonly lazyThroughputHistory: readonly (number | null)[];
  readonly keyedWindows: KeyedWindowsData;
  readonly eventMeter: RateMeter;
  readonly lazyMeter: RateMeter;
  /** Why an input stream failed; the dashboard then shows the last data it had. */
  readonly failure: string | null;
  /** Every record has been emitted (`--once`, or a stopped source): the numbers are final. */
  readonly ended: boolean;
}

export interface ForwardedEvent {
  /** 1, 2, … in the order the events were forwarded: a stable identity for the screen. */
  readonly id: number;
  readonly event: LogEvent;
}

export interface KeyedWindowsData {
  /** Windows closed so far. */
  readonly closed: number;
  /** Re-emissions of closed windows with late events (`update: true`, `--allowed-lateness`). */
  readonly updated: number;
  /** Closed windows flagged as anomalies, each counted by its latest version. */
  readonly anomalies: number;
  /** The window closed or updated last. */
  readonly latest: KeyedWindowRecord | null;
}

/** One value of any stream, or a clock tick (rates decay while nothing arrives). */
export type FeedInput =
  | { readonly kind: 'output'; readonly output: TaskOutput }
  | { readonly kind: 'stats'; readonly stats: SourceStats }
  | { readonly kind: 'forwarded'; readonly event: LogEvent }
  | { readonly kind: 'tick' }
  | { readonly kind: 'ended' }
  | { readonly kind: 'failure'; readonly message: string };

export interface FeedOptions {
  /** Wall-clock milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** How often rates are recomputed when nothing arrives, ms. Default 500. */
  readonly tickMs?: number;
  /** The window events per second and throughput are measured over, ms. Default 5000. */
  readonly rateWindowMs?: number;
}

/**
 * No screen is taller or wider than this: more history would never be seen. The forwarded
 * events are more than a screen holds: the detail view picks one service's from them.
 */
export const FORWARDED_KEPT = 1000;
export const FAILURE_RATES_KEPT = 300;
export const ANOMALIES_KEPT = 500;
export const THROUGHPUT_HISTORY_KEPT = 160;

export const INITIAL_STATS: SourceStats = {
  files: 0,
  events: 0,
  invalid: 0,
  brokenFiles: 0,
  latestError: null,
};

export function initialDashboardData(rateWindowMs = 5000): DashboardData {
  return {
    stats: INITIAL_STATS,
    eventsPerSecond: null,
    runningAverage: null,
    slidingWindow: null,
    failureRates: [],
    reservoir: null,
    bloom: null,
    forwarded: [],
    lazyGroups: null,
    services: new ServiceTable(),
    anomalies: [],
    lazyBatches: 0,
    lazyThroughput: null,
    lazyThroughputHistory: [],
    keyedWindows: { closed: 0, updated: 0, anomalies: 0, latest: null },
    eventMeter: createRateMeter(rateWindowMs),
    lazyMeter: createRateMeter(rateWindowMs),
    failure: null,
    ended: false,
  };
}

/**
 * The dashboard's data as a stream: every value of every input stream folded into a new
 * {@link DashboardData}, plus a tick every `tickMs` that lets rates fall to zero when the
 * source goes quiet. Emits only when something changed. The screen samples this stream
 * (see `useSampled`); it does not redraw per value. State is per subscription.
 */
export function dashboardFeed(
  streams: DashboardStreams,
  { now = Date.now, tickMs = 500, rateWindowMs = 5000 }: FeedOptions = {},
): Observable<DashboardData> {
  return defer(() =>
    merge(
      concat(
        streams.outputs.pipe(map((output): FeedInput => ({ kind: 'output', output }))),
        of<FeedInput>({ kind: 'ended' }),
      ),
      streams.stats.pipe(map((stats): FeedInput => ({ kind: 'stats', stats }))),
      streams.forwarded.pipe(map((event): FeedInput => ({ kind: 'forwarded', event }))),
      interval(tickMs).pipe(map((): FeedInput => ({ kind: 'tick' }))),
    ).pipe(
      // A failed stream must not take the screen down with it: say so and keep the last data.
      catchError((error: unknown) =>
        of<FeedInput>({ kind: 'failure', message: describeError(error) }),
      ),
      scan(
        (data: DashboardData, input: FeedInput) => applyInput(data, input, now()),
        initialDashboardData(rateWindowMs),
      ),
      distinctUntilChanged(),
    ),
  );
}

/** The data after one input at wall-clock time `now`; the same object when nothing changed. */
export function applyInput(data: DashboardData, input: FeedInput, now: number): DashboardData {
  switch (input.kind) {
    case 'output':
      return applyRecord(data, input.output.record, now);
    case 'stats':
      return withRates({ ...data, stats: input.stats }, now);
    case 'forwarded':
      data.services.addForwarded(String(input.event.service));
      return {
        ...data,
        forwarded: [
          { id: (data.forwarded[0]?.id ?? 0) + 1, event: input.event },
          ...data.forwarded,
        ].slice(0, FORWARDED_KEPT),
      };
    case 'tick':
      return withThroughputHistory(withRates(data, now));
    case 'ended':
      return { ...data, ended: true };
    case 'failure':
      return { ...data, failure: input.message };
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function applyRecord(data: DashboardData, record: TaskRecord, now: number): DashboardData {
  switch (record.task) {
    case 'running-average':
      data.services.addRunningAverage(record);
      return { ...data, runningAverage: record };
    case 'sliding-window':
      data.services.addSlidingWindow(record);
      return {
        ...data,
        slidingWindow: record,
        failureRates: [...data.failureRates, record.rate].slice(-FAILURE_RATES_KEPT),
      };
    case 'reservoir':
      return { ...data, reservoir: record };
    case 'bloom':
      return { ...data, bloom: record };
    case 'lazy-groups':
      data.services.addLazyGroups(record);
      return withRates(
        { ...data, lazyGroups: record, lazyBatches: batchesOf(record, data.lazyBatches + 1) },
        now,
      );
    case 'keyed-windows': {
      const wasAnomaly = data.services.addKeyedWindow(record)?.anomaly ?? false;
      return {
        ...data,
        keyedWindows: countWindow(data.keyedWindows, record, wasAnomaly),
        anomalies:
          record.anomaly || wasAnomaly ? listAnomaly(data.anomalies, record) : data.anomalies,
      };
    }
  }
}

/** The optional `batches` field some lazy-groups records carry, read defensively. */
function batchesOf(record: LazyGroupsRecord, fallback: number): number {
  const batches = (record as { readonly batches?: unknown }).batches;
  return typeof batches === 'number' && Number.isFinite(batches) ? batches : fallback;
}

/** The window counts with one more window, or an update of one (`update: true`). */
function countWindow(
  keyed: KeyedWindowsData,
  window: KeyedWindowRecord,
  revisedAnomaly: boolean,
): KeyedWindowsData {
  return {
    closed: keyed.closed + (window.update ? 0 : 1),
    updated: keyed.updated + (window.update ? 1 : 0),
    anomalies: keyed.anomalies + (window.anomaly ? 1 : 0) - (revisedAnomaly ? 1 : 0),
    latest: window,
  };
}

/**
 * The anomalies list with `window` in it: newest first, an update in place of the version
 * it revises, or out of the list when the update is no longer an anomaly.
 */
function listAnomaly(
  anomalies: readonly KeyedWindowRecord[],
  window: KeyedWindowRecord,
): readonly KeyedWindowRecord[] {
  const same = (listed: KeyedWindowRecord) =>
    listed.service === window.service && listed.windowStart === window.windowStart;
  const others = window.update ? anomalies.filter((listed) => !same(listed)) : anomalies;
  return window.anomaly ? [window, ...others].slice(0, ANOMALIES_KEPT) : others;
}

/** The lazy engine's throughput history, one more value per tick once the engine runs. */
function withThroughputHistory(data: DashboardData): DashboardData {
  if (data.lazyGroups === null) return data;
  return {
    ...data,
    lazyThroughputHistory: [...data.lazyThroughputHistory, data.lazyThroughput].slice(
      -THROUGHPUT_HISTORY_KEPT,
    ),
  };
}

/** Records the current counts in the meters and recomputes both rates at `now`. */
function withRates(data: DashboardData, now: number): DashboardData {
  const eventMeter = recordCount(data.eventMeter, now, data.stats.events);
  const lazyMeter =
    data.lazyGroups === null
      ? data.lazyMeter
      : recordCount(data.lazyMeter, now, data.lazyGroups.events);
  const eventsPerSecond = perSecond(eventMeter, now);
  const lazyThroughput = data.lazyGroups === null ? null : perSecond(lazyMeter, now);
  const unchanged =
    eventMeter === data.eventMeter &&
    lazyMeter === data.lazyMeter &&
    eventsPerSecond === data.eventsPerSecond &&
    lazyThroughput === data.lazyThroughput;
  return unchanged ? data : { ...data, eventMeter, lazyMeter, eventsPerSecond, lazyThroughput };
}
