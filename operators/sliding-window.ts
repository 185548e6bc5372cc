import {
  asyncScheduler,
  defer,
  map,
  type OperatorFunction,
  type SchedulerLike,
  timestamp,
} from 'rxjs';
import { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
import { rate } from './event.js';
import { byServiceName, type ServiceFailure, type SlidingWindowRecord } from './records.js';
import { TimeOrderedStore } from './sliding-window-store.js';

export interface SlidingWindowOptions {
  /** Window length in seconds, finite and >= 0. Default 60. */
  readonly windowSeconds?: number;
  /**
   * `'event'` (default): the window slides with the events' timestamps.
   * `'processing'`: it slides with arrival time on `scheduler`, for sources whose
   * timestamps cannot be trusted.
   */
  readonly clock?: 'event' | 'processing';
  /** The clock of `'processing'` mode (a TestScheduler in tests). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** The window of {@link slidingWindow} when none is given: the last minute. */
export const DEFAULT_WINDOW_SECONDS = 60;

/**
 * Task 2: the failure rate over the last `windowSeconds` (default 60), overall and per
 * service, computed exactly.
 *
 * Emits one {@link SlidingWindowRecord} per input value (one event, or one array of events
 * processed in order as a unit; an empty array re-emits the current window).
 *
 * **Event time** (default). The window is `[newest - windowSeconds, newest]`, both ends
 * included, where `newest` is the largest timestamp seen; `windowStart` and `windowEnd` are
 * null before the first event. An event older than the window's start when it is processed
 * (within an array: the newest timestamp seen up to that event) is counted in `late`
 * (cumulative) and nowhere else; an older event inside the window counts like any other.
 * Failures are 4xx and 5xx; `total` counts the window's events that have a status; rates are
 * null over zero. `services` lists, sorted by name, each service with at least one event in
 * the window, even one without a status (then `total` 0 and `rate` null); a service whose
 * last event has left the window is omitted.
 *
 * **Processing time** (`clock: 'processing'`). Each event is stamped with the arrival time
 * of its input value, `scheduler.now() / 1000`, and the same window runs over those stamps:
 * it holds what arrived in the last `windowSeconds`, `windowEnd` is the time of the current
 * emission (null until the first valid event arrives, then it follows every emission, an
 * empty array included) and `late` is always 0. Timestamps are not read.
 *
 * Results equal a recount of every non-late event in the window. Cost: the window keeps 12
 * bytes per event (a time and a service-and-class tag in typed arrays, no object per event)
 * plus one entry per service present. An event at or after the newest in-order one costs
 * amortized O(1); an out-of-order event inside the window costs O(log h), h being the
 * out-of-order events held; each emission costs O(s log s) for the s services listed.
 * Each subscription has its own window.
 *
 * ```
 * source: --a--b--c--|    a: [200 at t=30, 500 at t=90], b: 503 at t=100, c: 504 at t=155
 * slidingWindow()
 * result: --x--y--z--|    x: 1/2 in [30, 90], y: 2/2 in [40, 100], z: 2/2 in [95, 155]
 * ```
 *
 * @example
 * ```ts
 * from([[{ service: 'api', timestamp: 90, message: 'HTTP Status Code: 500' }]])
 *   .pipe(slidingWindow({ windowSeconds: 60 }))
 *   .subscribe((r) => console.log(r.rate, r.windowStart)); // 1 30
 * ```
 */
export function slidingWindow(
  options: SlidingWindowOptions = {},
): OperatorFunction<OperatorInput, SlidingWindowRecord> {
  const {
    windowSeconds = DEFAULT_WINDOW_SECONDS,
    clock = 'event',
    scheduler = asyncScheduler,
  } = options;
  if (!Number.isFinite(windowSeconds) || windowSeconds < 0) {
    throw new RangeError(`windowSeconds must be a finite number >= 0, got ${windowSeconds}`);
  }
  if (clock === 'processing') {
    return (source) =>
      defer(() => {
        const window = new FailureWindow(windowSeconds);
        return source.pipe(
          timestamp(scheduler),
          map(({ value, timestamp: millis }) =>
            window.addArrivals(EventBatch.of(value), millis / 1000).toRecord(),
          ),
        );
      });
  }
  return (source) =>
    defer(() => {
      const window = new FailureWindow(windowSeconds);
      return source.pipe(map((input) => window.addByEventTime(EventBatch.of(input)).toRecord()));
    });
}

// What the window needs of a status; success and other statuses only differ in Task 1.
const WITHOUT_STATUS = 0;
const NOT_FAILURE = 1;
const FAILURE = 2;
// A stored event's tag is serviceId * TAG_CLASSES + class, read back with >>> 2 and & 3.
const TAG_CLASSES = 4;

function classOf(status: number): number {
  if (status === NO_STATUS) return WITHOUT_STATUS;
  return status >= 400 && status <= 599 ? FAILURE : NOT_FAILURE;
}

interface ServiceCounts {
  readonly service: string;
  /** Events in the window, with or without a status. */
  events: number;
  failures: number;
  total: number;
}

/** The window's events and the running counts they add up to. */
class FailureWindow {
  private readonly store = new TimeOrderedStore();
  /** Services with events in the window, by name, and their ids (indexes into `counts`). */
  private readonly serviceIds = new Map<string, number>();
  private readonly counts: (ServiceCounts | undefined)[] = [];
  /** Ids of services that left the window, reused so ids stay below the services present. */
  private readonly freeIds: number[] = [];
  private newest = -Infinity;
  private failures = 0;
  private total = 0;
  private late = 0;

  constructor(private readonly windowSeconds: number) {}

  addByEventTime(batch: EventBatch): this {
    const { services, times, statuses } = batch;
    for (let i = 0; i < batch.length; i++) {
      const time = times[i]!;
      if (time < this.newest - this.windowSeconds) {
        this.late += 1;
        continue;
      }
      this.insert(services[i]!, time, statuses[i]!);
      if (time > this.newest) {
        this.newest = time;
        this.store.evictBefore(time - this.windowSeconds, this.evict);
      }
    }
    return this;
  }

  addArrivals(batch: EventBatch, nowSeconds: number): this {
    if (batch.length === 0 && this.newest === -Infinity) return this;
    // A clock that steps back must not make arrivals late: time here only moves forward.
    const now = Math.max(nowSeconds, this.newest);
    const { services, statuses } = batch;
    for (let i = 0; i < batch.length; i++) this.insert(services[i]!, now, statuses[i]!);
    this.newest = now;
    this.store.evictBefore(now - this.windowSeconds, this.evict);
    return this;
  }

  toRecord(): SlidingWindowRecord {
    const services: ServiceFailure[] = [];
    for (const id of this.serviceIds.values()) {
      const { service, failures, total } = this.counts[id]!;
      services.push({ service, failures, total, rate: rate(failures, total) });
    }
    const started = this.newest !== -Infinity;
    return {
      task: 'sliding-window',
      windowStart: started ? this.newest - this.windowSeconds : null,
      windowEnd: started ? this.newest : null,
      failures: this.failures,
      total: this.total,
      rate: rate(this.failures, this.total),
      late: this.late,
      services: services.sort(byServiceName),
    };
  }

  private insert(service: string, time: number, status: number): void {
    const id = this.idOf(service);
    const counts = this.counts[id]!;
    const statusClass = classOf(status);
    counts.events += 1;
    if (statusClass !== WITHOUT_STATUS) {
      counts.total += 1;
      this.total += 1;
    }
    if (statusClass === FAILURE) {
      counts.failures += 1;
      this.failures += 1;
    }
    this.store.insert(time, id * TAG_CLASSES + statusClass);
  }

  // An arrow function so the store can call it without a fresh closure per eviction.
  private readonly evict = (tag: number): void => {
    const id = tag >>> 2;
    const statusClass = tag & 3;
    const counts = this.counts[id]!;
    counts.events -= 1;
    if (statusClass !== WITHOUT_STATUS) {
      counts.total -= 1;
      this.total -= 1;
    }
    if (statusClass === FAILURE) {
      counts.failures -= 1;
      this.failures -= 1;
    }
    if (counts.events === 0) {
      this.serviceIds.delete(counts.service);
      this.counts[id] = undefined;
      this.freeIds.push(id);
    }
  };

  private idOf(service: string): number {
    let id = this.serviceIds.get(service);
    if (id === undefined) {
      id = this.freeIds.pop() ?? this.counts.length;
      this.serviceIds.set(service, id);
      this.counts[id] = { service, events: 0, failures: 0, total: 0 };
    }
    return id;
  }
}
