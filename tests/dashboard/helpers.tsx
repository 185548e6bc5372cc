import { Box } from 'ink';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import { vi } from 'vitest';
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
import { applyInput, type DashboardData, initialDashboardData } from '../../src/dashboard/feed.js';
import { DEFAULT_THRESHOLDS } from '../../src/dashboard/levels.js';
import { orderServices, type ServiceSort } from '../../src/dashboard/service-order.js';
import type { ServiceView } from '../../src/dashboard/service-view.js';
import type { TaskOutput } from '../../src/dashboard/types.js';

/**
 * Fake timers for the sampling interval and the clock; setImmediate stays real because
 * React and Ink flush through it.
 */
export function useDashboardTimers(): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    now: new Date('2024-05-01T12:00:00Z'),
  });
}

/** Lets React commit and Ink write the frame. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Advances the fake clock (firing the sampling interval) and waits for the frame. */
export async function advance(ms: number): Promise<void> {
  await settle();
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

/** Renders `tree` on a fake terminal of `columns` × `rows` (resized before sampling starts). */
export async function renderAt(
  tree: ReactElement,
  columns: number,
  rows: number,
): Promise<ReturnType<typeof render>> {
  const result = render(tree);
  resize(result.stdout, columns, rows);
  await settle();
  return result;
}

export function resize(stdout: NodeJS.EventEmitter, columns: number, rows: number): void {
  Object.defineProperty(stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(stdout, 'rows', { value: rows, configurable: true });
  stdout.emit('resize');
}

/** The frame's lines, without colour codes (none are written unless FORCE_COLOR says so). */
export function lines(frame: string | undefined): string[] {
  return stripStyles(frame ?? '').split('\n');
}

// Styles Ink itself adds (only when colours are on): SGR sequences, nothing else.
export function stripStyles(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

export function output(record: TaskRecord, batch = 1, file = 'a.json'): TaskOutput {
  return { batch, file, record };
}

/** Per-service counts: `[service, successes or failures, total]`. */
type ServiceCounts = readonly (readonly [service: string, count: number, total: number])[];

const rateOf = (count: number, total: number) => (total === 0 ? null : count / total);

/** The totals and the per-service list of a record that counts successes. */
function successCounts(services: ServiceCounts) {
  const successes = services.reduce((sum, [, s]) => sum + s, 0);
  const total = services.reduce((sum, [, , t]) => sum + t, 0);
  return {
    successes,
    total,
    rate: rateOf(successes, total),
    services: services.map(([service, s, t]) => ({
      service,
      successes: s,
      total: t,
      rate: rateOf(s, t),
    })),
  };
}

/** The same sums for a record that counts failures: the counts are failures. */
function failureCounts(services: ServiceCounts) {
  const { successes: failures, services: rows, ...totals } = successCounts(services);
  return {
    failures,
    ...totals,
    services: rows.map(({ successes, ...row }) => ({ ...row, failures: successes })),
  };
}

export function runningAverage(
  services: ServiceCounts,
  extra: Partial<RunningAverageRecord> = {},
): RunningAverageRecord {
  return {
    task: 'running-average',
    oldest: 1_714_564_800,
    newest: 1_714_564_860,
    ...successCounts(services),
    ...extra,
  };
}

export function slidingWindow(
  services: ServiceCounts,
  extra: Partial<SlidingWindowRecord> = {},
): SlidingWindowRecord {
  return {
    task: 'sliding-window',
    windowStart: 1_714_564_800,
    windowEnd: 1_714_564_860,
    ...failureCounts(services),
    late: 0,
    ...extra,
  };
}

export function reservoir(
  sample: [number, number][],
  extra: Partial<ReservoirRecord> = {},
): ReservoirRecord {
  const size = sample.reduce((sum, [, count]) => sum + count, 0);
  return {
    task: 'reservoir',
    seen: size,
    capacity: 1000,
    size,
    mostCommon: sample[0]?.[0] ?? null,
    sample: sample.map(([status, count]) => ({ status, count })),
    ...extra,
  };
}

export function bloom(extra: Partial<BloomRecord> = {}): BloomRecord {
  return {
    task: 'bloom',
    bits: 9585,
    hashes: 7,
    falsePositiveRate: 0.0081,
    checked: 2000,
    forwarded: 50,
    ratio: 0.025,
    batchChecked: 100,
    batchForwarded: 5,
    batchRatio: 0.05,
    ...extra,
  };
}

export function lazyGroups(
  services: ServiceCounts,
  extra: Partial<LazyGroupsRecord> & { batches?: number } = {},
): LazyGroupsRecord {
  const counts = successCounts(services);
  return { task: 'lazy-groups', events: counts.total, ...counts, ...extra };
}

export function keyedWindow(
  service: string,
  windowStart: number,
  extra: Partial<KeyedWindowRecord> = {},
): KeyedWindowRecord {
  return {
    task: 'keyed-windows',
    service,
    windowStart,
    windowEnd: windowStart + 10,
    events: 50,
    total: 50,
    successes: 49,
    failures: 1,
    rate: 0.98,
    late: 0,
    anomaly: false,
    score: 0.1,
    update: false,
    ...extra,
  };
}

/** The data after `records` and `forwarded` events, as the feed folds them. */
export function dataOf(
  records: readonly TaskRecord[],
  forwarded: readonly LogEvent[] = [],
): DashboardData {
  let data = initialDashboardData();
  for (const record of records)
    data = applyInput(data, { kind: 'output', output: output(record) }, 0);
  for (const event of forwarded) data = applyInput(data, { kind: 'forwarded', event }, 0);
  return data;
}

/**
 * The service lists of `data` as the dashboard builds them: sorted (by name unless told),
 * filtered, the `selected`-th one selected.
 */
export function viewOf(
  data: DashboardData,
  {
    sort = 'name',
    filter = '',
    selected = 0,
  }: Partial<{ sort: ServiceSort; filter: string; selected: number }> = {},
): ServiceView {
  const order = orderServices(data.services.rows(), sort, filter);
  return {
    table: data.services,
    order,
    selected: order.length === 0 ? -1 : Math.min(selected, order.length - 1),
    filter,
    thresholds: DEFAULT_THRESHOLDS,
  };
}

/** The service view of the services of `records` (see {@link viewOf}). */
export function serviceView(
  records: readonly TaskRecord[],
  options?: Parameters<typeof viewOf>[1],
): ServiceView {
  return viewOf(dataOf(records), options);
}

/** `tree` rendered in a box of `width` columns on a terminal that wide; its lines. */
export function show(tree: ReactElement, width: number): string[] {
  const { lastFrame, stdout, unmount, rerender } = render(<Box />);
  Object.defineProperty(stdout, 'columns', { value: Math.max(width, 100), configurable: true });
  rerender(
    <Box flexDirection="column" width={width}>
      {tree}
    </Box>,
  );
  const frame = lines(lastFrame());
  unmount();
  return frame;
}

/** A Task 6 window of `service` with `failures` of its 100 events failing. */
export function windowOf(
  service: string,
  start: number,
  failures: number,
  extra: Partial<KeyedWindowRecord> = {},
): KeyedWindowRecord {
  return keyedWindow(service, start, {
    total: 100,
    failures,
    successes: 100 - failures,
    rate: (100 - failures) / 100,
    ...extra,
  });
}
