import { concat, concatMap, defer, type OperatorFunction } from 'rxjs';
import { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
import { rate } from './event.js';
import { FailureRateBaseline, type FailureRateBaselineOptions } from './ewma.js';
import { byServiceName, type KeyedWindowRecord } from './records.js';

/** Options of {@link keyedWindows}; every duration is in seconds. */
export interface KeyedWindowsOptions {
  /** Length of a window. Default 10. */
  readonly windowSeconds?: number;
  /** Distance between window starts; equal to the window: tumbling. Default: the window. */
  readonly slideSeconds?: number;
  /** Delay of the watermark behind the newest timestamp seen; 0 allowed. Default 30. */
  readonly watermarkSeconds?: number;
  /** z-score of a window's failure rate above which it is an anomaly. Default 3. */
  readonly anomalyThreshold?: number;
  /** Scored windows of a service before its windows get a score. Default 5. */
  readonly minHistory?: number;
  /** Weight of the newest window in the service's EWMA baseline, in (0, 1]. Default 0.1. */
  readonly ewmaAlpha?: number;
  /** Smallest deviation of a failure rate worth a score (> 0). Default 0.03. */
  readonly minDeviation?: number;
}

/**
 * The defaults of {@link keyedWindows}. `ewmaAlpha = 0.1` remembers about the last 20 windows
 * (2/alpha - 1, about 3 minutes of 10 s windows): enough for the variance to be a steady
 * estimate, so that a z-score of 3 stays rare in steady traffic (0.3 remembers 6 windows and
 * flags noise several times as often), while a change of level is still learned in minutes.
 * `minDeviation = 0.03`: a flag needs a rise of at least 9 points of failure rate (3 × 0.03),
 * so that binomial noise of ~100-event windows (their failure counts are skewed, with a
 * heavier upper tail than the normal law a z-score of 3 assumes) does not page anyone: in
 * simulated steady traffic (4 services, 60 windows of ~100 events at 5-10 % failures) about
 * 1 run in 100 flags a steady window, against 1 in 8 with 0.02. A service that never failed
 * and then fails 1 request in 100 scores 0.33, not infinity.
 */
export const KEYED_WINDOWS_DEFAULTS = {
  windowSeconds: 10,
  watermarkSeconds: 30,
  anomalyThreshold: 3,
  minHistory: 5,
  ewmaAlpha: 0.1,
  minDeviation: 0.03,
} as const;

/**
 * Task 6: Spark Structured Streaming's keyed stateful windows. Per service, it counts events
 * in event-time windows, closes them with a watermark, counts late events, and flags a
 * window whose failure rate is an anomaly for that service.
 *
 * Windows are `[start, end)` with `start` a multiple of the slide and `end = start + window`;
 * an event at time `t` belongs to every window with `start <= t < end` (window/slide of them
 * when the slide divides the window; a window need not be a multiple of the slide). The
 * watermark is the newest timestamp seen minus `watermarkSeconds`.
 *
 * Each input value (one event or an array) is one micro-batch, as in Spark: its events are
 * judged against the watermark as it stood before the batch, then the watermark advances to
 * the batch's newest timestamp minus the delay, and every window whose end it reached
 * (`end <= watermark`) is emitted, exactly once, and its state dropped; open state is thus
 * bounded by the windows the watermark has not passed. An event is late when any window it
 * belongs to is already closed (its end <= the watermark before the batch): it is counted
 * once in its service's `late`, and still added to those of its windows that are open (with
 * sliding windows, its newer ones may be). Late events are counted, never silently lost.
 *
 * After each input value, emits one {@link KeyedWindowRecord} per window it closed (possibly
 * none), ordered by `windowEnd`, then service name. When the source completes, emits every
 * open window in the same order, then completes. `total` counts the window's events that
 * have a status, so that `rate = successes / total` (null over zero); `late` is the
 * service's late events so far, including those of the batch that closed the window.
 *
 * Anomalies: a window's failure rate (`failures / total`) is scored as a z-score against an
 * EWMA mean and variance of the same service's earlier windows ({@link FailureRateBaseline}),
 * then learned. `score` is null until `minHistory` windows are learned; `anomaly` is
 * `score > anomalyThreshold`, so only a rise in failures is flagged. Windows with `total = 0`
 * are not scored and leave the baseline as it is. All state belongs to one subscription.
 *
 * ```
 * source: -a---b---c---|       tumbling 10 s windows, watermark 30 s, service api:
 *                              a: 200 at t=1 and 500 at t=5, b: 200 at t=41, c: 200 at t=55
 * keyedWindows()
 * result: -----x-------(yz|)   x: [0, 10) 1 of 2 (b moved the watermark to 11)
 *                              c moves it to 25 and closes nothing; the completion emits
 *                              y: [40, 50) and z: [50, 60)
 * ```
 *
 * @throws {RangeError} when a duration, the threshold, `minHistory`, `ewmaAlpha` or
 * `minDeviation` is out of range, or when the slide is longer than the window (events
 * between windows would be lost).
 *
 * @example
 * ```ts
 * from([
 *   [{ service: 'api', timestamp: 1, message: 'HTTP Status Code: 500' }],
 *   [{ service: 'api', timestamp: 41, message: 'HTTP Status Code: 200' }],
 * ])
 *   .pipe(keyedWindows())
 *   .subscribe((w) => console.log(w.windowStart, w.windowEnd, w.rate));
 * // 0 10 0    (after the second batch: watermark 41 - 30 = 11)
 * // 40 50 1   (at completion)
 * ```
 */
export function keyedWindows(
  options: KeyedWindowsOptions = {},
): OperatorFunction<OperatorInput, KeyedWindowRecord> {
  const settings = validate(options);
  return (source) =>
    defer(() => {
      const state = new KeyedWindowState(settings);
      return concat(
        source.pipe(concatMap((input) => state.add(EventBatch.of(input)))),
        defer(() => state.flush()),
      );
    });
}

interface Settings {
  readonly window: number;
  readonly slide: number;
  readonly delay: number;
  readonly baseline: FailureRateBaselineOptions;
}

function validate(options: KeyedWindowsOptions): Settings {
  const window = options.windowSeconds ?? KEYED_WINDOWS_DEFAULTS.windowSeconds;
  const slide = options.slideSeconds ?? window;
  const delay = options.watermarkSeconds ?? KEYED_WINDOWS_DEFAULTS.watermarkSeconds;
  const threshold = options.anomalyThreshold ?? KEYED_WINDOWS_DEFAULTS.anomalyThreshold;
  const minHistory = options.minHistory ?? KEYED_WINDOWS_DEFAULTS.minHistory;
  const alpha = options.ewmaAlpha ?? KEYED_WINDOWS_DEFAULTS.ewmaAlpha;
  const minDeviation = options.minDeviation ?? KEYED_WINDOWS_DEFAULTS.minDeviation;
  requirePositive('windowSeconds', window);
  requirePositive('slideSeconds', slide);
  if (slide > window) {
    throw new RangeError(
      `slideSeconds (${slide}) must not exceed windowSeconds (${window}): events between windows would be lost`,
    );
  }
  if (!(Number.isFinite(delay) && delay >= 0)) {
    throw new RangeError(`watermarkSeconds must be a finite number >= 0, got ${delay}`);
  }
  requirePositive('anomalyThreshold', threshold);
  if (!(Number.isSafeInteger(minHistory) && minHistory >= 1)) {
    throw new RangeError(`minHistory must be an integer >= 1, got ${minHistory}`);
  }
  if (!(alpha > 0 && alpha <= 1)) {
    throw new RangeError(`ewmaAlpha must be in (0, 1], got ${alpha}`);
  }
  requirePositive('minDeviation', minDeviation);
  return {
    window,
    slide,
    delay,
    baseline: { alpha, threshold, minHistory, minDeviation },
  };
}

function requirePositive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  }
}

interface WindowCounts {
  total: number;
  successes: number;
  failures: number;
}

/** What outlives a service's windows: O(1) per service. */
interface ServiceState {
  late: number;
  readonly baseline: FailureRateBaseline;
}

/**
 * The state of one subscription. A window is named by its index `k` (start = k·slide), so
 * windows sharing an end share a bucket, and a heap of the open indexes yields, in order,
 * exactly the windows a watermark closes, without scanning those it leaves open.
 */
class KeyedWindowState {
  private newest = -Infinity;
  private watermark = -Infinity;
  private readonly open = new Map<number, Map<string, WindowCounts>>();
  private readonly openIndexes = new MinHeap();
  private readonly services = new Map<string, ServiceState>();

  constructor(private readonly settings: Settings) {}

  /** Adds one micro-batch, then closes what its watermark reached. */
  add(batch: EventBatch): KeyedWindowRecord[] {
    const { services, times, statuses } = batch;
    for (let i = 0; i < batch.length; i++) {
      const time = times[i]!;
      if (time > this.newest) this.newest = time;
      this.place(services[i]!, time, statuses[i]!);
    }
    this.watermark = this.newest - this.settings.delay;
    return this.close(this.watermark);
  }

  /** Closes every open window: the end of the input. */
  flush(): KeyedWindowRecord[] {
    return this.close(Infinity);
  }

  private place(service: string, time: number, status: number): void {
    const { slide, window } = this.settings;
    let index = lastWindowIndex(time, slide);
    let late = false;
    // The newest window always takes the event, even if rounding put its end a hair below
    // `time`: mathematically t < start + slide <= start + window, and no event is lost.
    do {
      if (index * slide + window <= this.watermark) {
        late = true; // older windows end earlier: closed too
        break;
      }
      this.count(index, service, status);
      index -= 1;
    } while (index * slide + window > time);
    if (late) this.service(service).late += 1;
  }

  private count(index: number, service: string, status: number): void {
    let bucket = this.open.get(index);
    if (bucket === undefined) {
      bucket = new Map();
      this.open.set(index, bucket);
      this.openIndexes.push(index);
    }
    let counts = bucket.get(service);
    if (counts === undefined) {
      counts = { total: 0, successes: 0, failures: 0 };
      bucket.set(service, counts);
    }
    if (status === NO_STATUS) return;
    counts.total += 1;
    if (status >= 200 && status <= 299) counts.successes += 1;
    else if (status >= 400 && status <= 599) counts.failures += 1;
  }

  private close(watermark: number): KeyedWindowRecord[] {
    const { slide, window } = this.settings;
    const records: KeyedWindowRecord[] = [];
    while (this.openIndexes.size > 0 && this.openIndexes.peek() * slide + window <= watermark) {
      const index = this.openIndexes.pop();
      const bucket = this.open.get(index)!;
      this.open.delete(index);
      const closed: KeyedWindowRecord[] = [];
      for (const [service, counts] of bucket) closed.push(this.record(index, service, counts));
      // Baselines are per service, so scoring before sorting changes no score.
      records.push(...closed.sort(byServiceName));
    }
    return records;
  }

  private record(index: number, service: string, counts: WindowCounts): KeyedWindowRecord {
    const { slide, window } = this.settings;
    const state = this.service(service);
    const { total, successes, failures } = counts;
    const { score, anomaly } =
      total === 0 ? { score: null, anomaly: false } : state.baseline.observe(failures, total);
    const windowStart = index * slide;
    return {
      task: 'keyed-windows',
      service,
      windowStart,
      windowEnd: windowStart + window,
      total,
      successes,
      failures,
      rate: rate(successes, total),
      late: state.late,
      anomaly,
      score,
    };
  }

  private service(service: string): ServiceState {
    let state = this.services.get(service);
    if (state === undefined) {
      state = { late: 0, baseline: new FailureRateBaseline(this.settings.baseline) };
      this.services.set(service, state);
    }
    return state;
  }
}

/** The index of the last window starting at or before `time`: `k·slide <= time < (k+1)·slide`. */
function lastWindowIndex(time: number, slide: number): number {
  const index = Math.floor(time / slide);
  // The division may round across a boundary; the products are what the windows use.
  if (index * slide > time) return index - 1;
  if ((index + 1) * slide <= time) return index + 1;
  return index;
}

/** A binary min-heap of window indexes. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): number {
    return this.items[0]!;
  }

  push(item: number): void {
    const items = this.items;
    let child = items.length;
    items.push(item);
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (items[parent]! <= item) break;
      items[child] = items[parent]!;
      child = parent;
    }
    items[child] = item;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length === 0) return top;
    let parent = 0;
    for (;;) {
      let child = 2 * parent + 1;
      if (child >= items.length) break;
      if (child + 1 < items.length && items[child + 1]! < items[child]!) child += 1;
      if (items[child]! >= last) break;
      items[parent] = items[child]!;
      parent = child;
    }
    items[parent] = last;
    return top;
  }
}
