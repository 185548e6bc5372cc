import type {
  KeyedWindowRecord,
  LazyGroupsRecord,
  RunningAverageRecord,
  ServiceBucket,
  ServiceFailure,
  ServiceSuccess,
  SlidingWindowRecord,
} from '../../operators/records.js';

/** Sliding-window failure rates kept per service: the widest sparkline a screen draws. */
export const FAILURE_HISTORY_KEPT = 160;
/** Closed windows of Task 6 kept per service, oldest first: the widest heat strip. */
export const KEYED_WINDOWS_KEPT = 120;
/** Task 5 buckets (`--group-every`) kept per service, oldest first. */
export const BUCKETS_KEPT = 60;

/**
 * What the dashboard knows of one service, gathered from every task's records: one row of
 * every service list, and the detail view of the service. Updated in place by its
 * {@link ServiceTable}.
 */
export interface ServiceRow {
  readonly service: string;
  /** Task 1: since start. */
  running: ServiceSuccess | null;
  /** Task 2: in the current window; null when the service has no event in it. */
  window: ServiceFailure | null;
  /** Task 5: the batched engine's totals. */
  lazy: ServiceSuccess | null;
  /** Task 5 with `--group-every`: the latest buckets, oldest first. */
  buckets: readonly ServiceBucket[];
  /** Task 6: the latest closed windows, oldest first; an update replaces the version it revises. */
  windows: readonly KeyedWindowRecord[];
  /** Task 6: this service's late events so far. */
  late: number;
  /** Task 6: windows flagged as anomalies, each counted by its latest version. */
  anomalies: number;
  /** Task 6: failures and events of every closed window, each by its latest version kept. */
  windowFailures: number;
  windowTotal: number;
  /** Task 4: events of this service the Bloom filter forwarded. */
  forwarded: number;
  /**
   * Task 2: the service's failure rate after each sliding-window record, a ring of
   * {@link FAILURE_HISTORY_KEPT} slots indexed by the table's `historyLength`; NaN where the
   * service had no event in the window. Read it with {@link ServiceTable.history}.
   */
  readonly failureHistory: Float64Array;
}

/**
 * Every service of every record, by name: the table the service lists sort, filter and
 * scroll, updated in place as records arrive (a copy per record would cost O(services) for
 * each of the thousands of records a large input makes). It holds no more services than the
 * records name, and the tasks bound those (`--max-services`), so its memory is bounded too.
 */
export class ServiceTable {
  private readonly rowsByName = new Map<string, ServiceRow>();
  private changes = 0;
  private records = 0;

  /** Grows by one with every change: what a sorted view compares to know it is stale. */
  get version(): number {
    return this.changes;
  }

  /** Sliding-window records folded so far: the length of every row's failure history. */
  get historyLength(): number {
    return this.records;
  }

  get size(): number {
    return this.rowsByName.size;
  }

  rows(): IterableIterator<ServiceRow> {
    return this.rowsByName.values();
  }

  get(service: string): ServiceRow | undefined {
    return this.rowsByName.get(service);
  }

  addRunningAverage(record: RunningAverageRecord): void {
    for (const service of record.services) this.rowOf(service.service).running = service;
    this.changes += 1;
  }

  /**
   * Takes the window's figures of the services in it, clears those of the others (they have
   * no event in the window), and extends every service's failure history by one value.
   */
  addSlidingWindow(record: SlidingWindowRecord): void {
    const slot = this.records % FAILURE_HISTORY_KEPT;
    for (const row of this.rowsByName.values()) {
      row.window = null;
      row.failureHistory[slot] = Number.NaN;
    }
    for (const service of record.services) {
      const row = this.rowOf(service.service);
      row.window = service;
      row.failureHistory[slot] = service.rate ?? Number.NaN;
    }
    this.records += 1;
    this.changes += 1;
  }

  addLazyGroups(record: LazyGroupsRecord): void {
    for (const service of record.services) this.rowOf(service.service).lazy = service;
    if (record.buckets !== undefined) {
      // Buckets come sorted by service, then start: each service's run is its history.
      let run: ServiceBucket[] = [];
      const flush = () => {
        if (run.length > 0) this.rowOf(run[0]!.service).buckets = run.slice(-BUCKETS_KEPT);
        run = [];
      };
      for (const bucket of record.buckets) {
        if (run.length > 0 && run[0]!.service !== bucket.service) flush();
        run.push(bucket);
      }
      flush();
    }
    this.changes += 1;
  }

  /**
   * Adds a closed window to its service, or puts an update (`update: true`) in place of the
   * version it revises (in window order when that version is not kept); returns the version
   * it replaced, if it was kept.
   */
  addKeyedWindow(window: KeyedWindowRecord): KeyedWindowRecord | undefined {
    const row = this.rowOf(window.service);
    const windows = row.windows;
    const revised = window.update
      ? windows.findLastIndex((shown) => shown.windowStart === window.windowStart)
      : -1;
    const previous = revised === -1 ? undefined : windows[revised]!;
    let next: KeyedWindowRecord[];
    if (previous !== undefined) {
      if (previous.anomaly) row.anomalies -= 1;
      row.windowFailures -= previous.failures;
      row.windowTotal -= previous.total;
      next = windows.with(revised, window);
    } else if (window.update) {
      const after = windows.findIndex((shown) => shown.windowStart > window.windowStart);
      next = windows.toSpliced(after === -1 ? windows.length : after, 0, window);
    } else {
      next = [...windows, window];
    }
    row.windows = next.length > KEYED_WINDOWS_KEPT ? next.slice(-KEYED_WINDOWS_KEPT) : next;
    if (window.anomaly) row.anomalies += 1;
    row.windowFailures += window.failures;
    row.windowTotal += window.total;
    row.late = Math.max(row.late, window.late);
    this.changes += 1;
    return previous;
  }

  /** Counts a forwarded event for its service, when the table knows the service. */
  addForwarded(service: string): void {
    const row = this.rowsByName.get(service);
    if (row === undefined) return;
    row.forwarded += 1;
    this.changes += 1;
  }

  /**
   * The last `count` values of `row`'s failure history, oldest first, null where the
   * service had no event in the window; shorter when fewer records were folded.
   */
  history(row: ServiceRow, count: number): (number | null)[] {
    const length = Math.min(count, this.records, FAILURE_HISTORY_KEPT);
    const values: (number | null)[] = new Array(length);
    for (let i = 0; i < length; i++) {
      const value = row.failureHistory[(this.records - length + i) % FAILURE_HISTORY_KEPT]!;
      values[i] = Number.isNaN(value) ? null : value;
    }
    return values;
  }

  private rowOf(service: string): ServiceRow {
    let row = this.rowsByName.get(service);
    if (row === undefined) {
      row = {
        service,
        running: null,
        window: null,
        lazy: null,
        buckets: [],
        windows: [],
        late: 0,
        anomalies: 0,
        windowFailures: 0,
        windowTotal: 0,
        forwarded: 0,
        failureHistory: new Float64Array(FAILURE_HISTORY_KEPT).fill(Number.NaN),
      };
      this.rowsByName.set(service, row);
    }
    return row;
  }
}

/**
 * The service's failure rate now (4xx and 5xx among events with a status): in the sliding
 * window (Task 2) when the task runs and the service has events in it, else in its latest
 * closed window (Task 6); without either, the share of its events that did not succeed
 * since start (Task 1, then Task 5). Null when nothing rates it.
 */
export function failureNow(row: ServiceRow): number | null {
  if (row.window?.rate != null) return row.window.rate;
  const latest = failureOfWindow(row.windows.at(-1));
  if (latest !== null) return latest;
  const success = row.running?.rate ?? row.lazy?.rate ?? null;
  return success === null ? null : 1 - success;
}

/**
 * What is normal for the service, measured as the current figures are (failures among
 * events with a status, 1xx and 3xx being neither): the failure rate of all its closed
 * windows (Task 6), else the mean of its sliding-window history (Task 2); null without
 * either. The current figures are coloured by how far they rise above it.
 */
export function baselineFailure(row: ServiceRow, table: ServiceTable): number | null {
  if (row.windowTotal > 0) return row.windowFailures / row.windowTotal;
  let sum = 0;
  let count = 0;
  for (const value of table.history(row, FAILURE_HISTORY_KEPT)) {
    if (value === null) continue;
    sum += value;
    count += 1;
  }
  return count === 0 ? null : sum / count;
}

/** Events of the service so far: Task 1's count, else Task 5's, else its windows'. */
export function volumeOf(row: ServiceRow): number {
  if (row.running !== null) return row.running.total;
  if (row.lazy !== null) return row.lazy.total;
  if (row.window !== null) return row.window.total;
  let total = 0;
  for (const window of row.windows) total += window.total;
  return total;
}

/** A Task 6 window's failure rate: failures among its events with a status. */
export function failureOfWindow(window: KeyedWindowRecord | undefined): number | null {
  return window === undefined || window.total === 0 ? null : window.failures / window.total;
}
