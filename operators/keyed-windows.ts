import { concat, concatMap, defer, type OperatorFunction } from 'rxjs';
import { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
import { isFailure, isSuccess, rate } from './event.js';
import { FailureRateBaseline, type FailureRateBaselineOptions } from './ewma.js';
import { byServiceName, type KeyedWindowRecord } from './records.js';
import { checkMaxServices, DEFAULT_MAX_SERVICES, serviceCodes } from './service-limit.js';
import {
  columnField,
  type EncodedState,
  encodeColumn,
  finiteOrNull,
  isCount,
  nullableNumberField,
  numberField,
  openEncoded,
  requireKnownOptions,
  requireSameOptions,
  requireWithinLimit,
  StateError,
  stringsField,
  type TaskState,
} from './task-state.js';

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
  /**
   * Services with windows of their own; the others share the windows, late count and
   * baseline of `(other)`. Default 10,000.
   */
  readonly maxServices?: number;
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
  maxServices: DEFAULT_MAX_SERVICES,
} as const;

/** Options of the {@link keyedWindows} operator. */
export interface KeyedWindowsOperatorOptions extends KeyedWindowsOptions {
  /**
   * Continue from this state: the operator adds to this very value, so its owner can read,
   * encode or merge it at any time; one subscription at a time. Options given with it must
   * be the state's own (a StateError names the first that is not).
   */
  readonly state?: KeyedWindowsState;
}

/**
 * Task 6: Spark Structured Streaming's keyed stateful windows. Per service, it counts events
 * in event-time windows, closes them with a watermark, counts late events, and flags a
 * window whose failure rate is an anomaly for that service. The counting is
 * {@link KeyedWindowsState}'s; this operator feeds it one input value at a time.
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
 * open window in the same order ({@link KeyedWindowsState.finalRecords}, which leaves the
 * state as it is, so a given `state` can still be saved or merged afterwards), then
 * completes. `total` counts the window's events that have a status, so that
 * `rate = successes / total` (null over zero); `late` is the service's late events so far,
 * including those of the batch that closed the window.
 *
 * Anomalies: a window's failure rate (`failures / total`) is scored as a z-score against an
 * EWMA mean and variance of the same service's earlier windows ({@link FailureRateBaseline}),
 * then learned. `score` is null until `minHistory` windows are learned; `anomaly` is
 * `score > anomalyThreshold`, so only a rise in failures is flagged. Windows with `total = 0`
 * are not scored and leave the baseline as it is.
 *
 * Without `state`, each subscription starts from a fresh state of the options; with it, the
 * operator continues from (and adds to) that value.
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
 * @throws {StateError} when `state` is given with options that are not its own.
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
 *
 * // Continue from a saved state, and save it again afterwards:
 * const state = KeyedWindowsState.decode(saved, { windowSeconds: 60 });
 * events$.pipe(keyedWindows({ windowSeconds: 60, state })).subscribe(print);
 * // later: save(state.encode())
 * ```
 */
export function keyedWindows(
  options: KeyedWindowsOperatorOptions = {},
): OperatorFunction<OperatorInput, KeyedWindowRecord> {
  const { state: given, ...shape } = options;
  const settings = validate(shape);
  if (given !== undefined && Object.values(shape).some((value) => value !== undefined)) {
    requireSameOptions(TASK, given.options, settings.options);
  }
  return (source) =>
    defer(() => {
      const state = given ?? KeyedWindowsState.create(shape);
      return concat(
        source.pipe(concatMap((input) => state.add(EventBatch.of(input)))),
        defer(() => state.finalRecords()),
      );
    });
}

const TASK = 'keyed-windows';
// 2: options gained maxServices.
const VERSION = 2;

/** The options that shape a state, in the order its encoding lists them. */
const OPTION_NAMES = [
  'windowSeconds',
  'slideSeconds',
  'watermarkSeconds',
  'anomalyThreshold',
  'minHistory',
  'ewmaAlpha',
  'minDeviation',
  'maxServices',
] as const;

interface Settings {
  readonly window: number;
  readonly slide: number;
  readonly delay: number;
  readonly baseline: FailureRateBaselineOptions;
  /** Every option, defaults filled in: what two states must share to merge. */
  readonly options: Required<KeyedWindowsOptions>;
}

function validate(options: KeyedWindowsOptions): Settings {
  const window = options.windowSeconds ?? KEYED_WINDOWS_DEFAULTS.windowSeconds;
  const slide = options.slideSeconds ?? window;
  const delay = options.watermarkSeconds ?? KEYED_WINDOWS_DEFAULTS.watermarkSeconds;
  const threshold = options.anomalyThreshold ?? KEYED_WINDOWS_DEFAULTS.anomalyThreshold;
  const minHistory = options.minHistory ?? KEYED_WINDOWS_DEFAULTS.minHistory;
  const alpha = options.ewmaAlpha ?? KEYED_WINDOWS_DEFAULTS.ewmaAlpha;
  const minDeviation = options.minDeviation ?? KEYED_WINDOWS_DEFAULTS.minDeviation;
  const maxServices = checkMaxServices(options.maxServices ?? KEYED_WINDOWS_DEFAULTS.maxServices);
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
    options: {
      windowSeconds: window,
      slideSeconds: slide,
      watermarkSeconds: delay,
      anomalyThreshold: threshold,
      minHistory,
      ewmaAlpha: alpha,
      minDeviation,
      maxServices,
    },
  };
}

function requirePositive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  }
}

interface WindowCounts {
  /** Every event counted in the window, with a status or not: what late counts add up with. */
  events: number;
  total: number;
  successes: number;
  failures: number;
}

type Bucket = Map<number, WindowCounts>;

/**
 * The state of Task 6: the open windows of every service, each service's late count and
 * anomaly baseline, and the newest timestamp seen (hence the watermark). Services are keyed
 * by the state's own ids (`StringCodes`), translated once per batch. A window is named
 * by its index `k` (start = k·slide), so windows sharing an end share a bucket, and a heap
 * of the open indexes yields, in order, exactly the windows a watermark closes, without
 * scanning those it leaves open.
 *
 * Task 6 has no single record: {@link add} returns the records of the windows a batch
 * closed and {@link finalRecords} those of the open windows, so the state has no
 * `record()` (it is a {@link TaskState} in every other respect).
 *
 * {@link merge} of the states of two parts of one input:
 * - `newest` and the watermark are the larger of the two;
 * - open windows add their counts per (window, service). A window at or below the merged
 *   watermark stays open in the merged state, and the next {@link add} (even of an empty
 *   batch) or {@link finalRecords} emits it: nothing is dropped, nothing counted twice;
 * - late counts add up per service;
 * - baselines: a service of one part keeps its baseline exactly; a service of both gets a
 *   pooled estimate (windows learned add up, the mean is their weighted mean, the variance
 *   the pooled variance including the spread between the means; see
 *   {@link FailureRateBaseline.merge}). This is approximate: an EWMA of two interleaved
 *   histories is the EWMA of neither order.
 *
 * What that guarantees, over the records emitted while adding each part to its own state
 * plus the merged state's {@link finalRecords}, against one state over the whole input (its
 * emissions plus its final records):
 * - parts with disjoint sets of services, no event late (the way scale-out partitions):
 *   exactly the same records, scores and anomalies included, since each service's baseline
 *   sees the same windows in the same order; only the moments of emission differ;
 * - every event of one part before every event of the other: for each (service, window),
 *   `total`, `successes` and `failures` add up to the single run's, and the merged late
 *   counts are the single run's; but a window that spans the split appears as two partial
 *   records (one from the earlier part's emissions or the merged flush, one from the later
 *   part), and the scores of services of both parts come from the pooled baseline;
 * - otherwise each part judges lateness by its own order, and per service (with tumbling
 *   windows) the windows' event counts plus the late count still add up to every event.
 *
 * A state belongs to one writer at a time; {@link merge}, {@link encode} and
 * {@link finalRecords} never change it.
 */
export class KeyedWindowsState implements TaskState<KeyedWindowsState, KeyedWindowRecord> {
  readonly task = TASK;
  /** The options that shape this state, defaults filled in (what its encoding holds). */
  readonly options: Required<KeyedWindowsOptions>;
  private readonly settings: Settings;
  private newest = Number.NEGATIVE_INFINITY;
  private watermark = Number.NEGATIVE_INFINITY;
  private readonly names;
  /** By service id. */
  private readonly late: number[] = [];
  /** By service id. */
  private readonly baselines: FailureRateBaseline[] = [];
  private readonly open = new Map<number, Bucket>();
  private readonly openIndexes = new MinHeap();

  private constructor(settings: Settings) {
    this.settings = settings;
    this.options = settings.options;
    this.names = serviceCodes(settings.options.maxServices);
  }

  /**
   * Whether a service was counted as `(other)` for want of room since this state was made
   * or decoded (a saved state keeps no such flag).
   */
  get overflowed(): boolean {
    return this.names.overflowed;
  }

  /**
   * An empty state.
   * @throws {RangeError} as {@link keyedWindows} does for options out of range.
   */
  static create(options: KeyedWindowsOptions = {}): KeyedWindowsState {
    return new KeyedWindowsState(validate(options));
  }

  /**
   * Adds one micro-batch, then closes what its watermark reached.
   * @returns the records of the windows it closed, by window end, then service name.
   */
  add(batch: EventBatch): KeyedWindowRecord[] {
    const ids = this.names.translate(batch.serviceNames);
    this.addServices();
    const { serviceIds, times, statuses } = batch;
    let newest = this.newest;
    for (let i = 0; i < batch.length; i++) {
      const time = times[i]!;
      if (time > newest) newest = time;
      this.place(ids[serviceIds[i]!]!, time, statuses[i]!);
    }
    this.newest = newest;
    this.watermark = newest - this.settings.delay;
    return this.close(this.watermark);
  }

  /**
   * The records of every open window, by window end, then service name, each scored
   * against its service's baseline as if the input ended here. The state does not change:
   * scores come from copies of the baselines.
   */
  finalRecords(): KeyedWindowRecord[] {
    const copies = new Map<number, FailureRateBaseline>();
    const baselineOf = (id: number) => {
      let copy = copies.get(id);
      if (copy === undefined) {
        copy = this.baselines[id]!.clone();
        copies.set(id, copy);
      }
      return copy;
    };
    const records: KeyedWindowRecord[] = [];
    const indexes = [...this.open.keys()].sort((a, b) => a - b);
    for (const index of indexes) this.emit(index, this.open.get(index)!, baselineOf, records);
    return records;
  }

  /**
   * A new state over both inputs (see the class for what that guarantees); neither input
   * changes.
   * @throws {StateError} naming the first option in which the states differ.
   */
  merge(other: KeyedWindowsState): KeyedWindowsState {
    requireSameOptions(TASK, this.options, other.options);
    const merged = new KeyedWindowsState(this.settings);
    merged.newest = Math.max(this.newest, other.newest);
    merged.watermark = Math.max(this.watermark, other.watermark);
    merged.absorb(this);
    merged.absorb(other);
    return merged;
  }

  /** The state as versioned JSON; {@link decode} reads it back. */
  encode(): EncodedState {
    const services = this.names.size;
    const learned = new Float64Array(services);
    const mean = new Float64Array(services);
    const variance = new Float64Array(services);
    for (let id = 0; id < services; id++) {
      const fields = this.baselines[id]!.encode();
      learned[id] = fields.learned;
      mean[id] = fields.mean;
      variance[id] = fields.variance;
    }
    const windows: [index: number, id: number, counts: WindowCounts][] = [];
    for (const [index, bucket] of this.open) {
      for (const [id, counts] of bucket) windows.push([index, id, counts]);
    }
    // One order for one state, however its windows were reached.
    windows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const column = (pick: (counts: WindowCounts) => number) =>
      encodeColumn(Float64Array.from(windows, ([, , counts]) => pick(counts)));
    return {
      task: TASK,
      version: VERSION,
      options: { ...this.options },
      state: {
        names: [...this.names.values],
        newest: finiteOrNull(this.newest),
        watermark: finiteOrNull(this.watermark),
        late: encodeColumn(Float64Array.from(this.late)),
        learned: encodeColumn(learned),
        mean: encodeColumn(mean),
        variance: encodeColumn(variance),
        windowIndex: encodeColumn(Float64Array.from(windows, ([index]) => index)),
        windowService: encodeColumn(Uint32Array.from(windows, ([, id]) => id)),
        windowEvents: column((counts) => counts.events),
        windowTotal: column((counts) => counts.total),
        windowSuccesses: column((counts) => counts.successes),
        windowFailures: column((counts) => counts.failures),
      },
    };
  }

  /**
   * The state of {@link encode}'s JSON.
   * @param options when given, the options the state must have been made with.
   * @throws {StateError} with one line naming what is wrong: not a keyed-windows state,
   * another version, other options, or a corrupt field.
   */
  static decode(encoded: unknown, options?: KeyedWindowsOptions): KeyedWindowsState {
    const expected = options === undefined ? undefined : validate(options).options;
    const { options: found, state: fields } = openEncoded(encoded, TASK, VERSION, expected);
    const state = new KeyedWindowsState(decodeSettings(found));
    state.decodeServices(fields);
    state.decodeTimes(fields);
    state.decodeWindows(fields);
    return state;
  }

  private place(id: number, time: number, status: number): void {
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
      const counts = this.counts(index, id);
      counts.events += 1;
      if (status !== NO_STATUS) {
        counts.total += 1;
        if (isSuccess(status)) counts.successes += 1;
        else if (isFailure(status)) counts.failures += 1;
      }
      // Beyond 2^53 a double has no index - 1: the windows there cannot be told apart, and
      // stepping on would never end; the event is counted in the one window.
      if (index - 1 === index) break;
      index -= 1;
    } while (index * slide + window > time);
    if (late) this.late[id] = this.late[id]! + 1;
  }

  /** The counts of window `index` of service `id`, opened empty when new. */
  private counts(index: number, id: number): WindowCounts {
    let bucket = this.open.get(index);
    if (bucket === undefined) {
      bucket = new Map();
      this.open.set(index, bucket);
      this.openIndexes.push(index);
    }
    let counts = bucket.get(id);
    if (counts === undefined) {
      counts = { events: 0, total: 0, successes: 0, failures: 0 };
      bucket.set(id, counts);
    }
    return counts;
  }

  /** Gives every service named so far its late count and baseline. */
  private addServices(): void {
    while (this.baselines.length < this.names.size) {
      this.late.push(0);
      this.baselines.push(new FailureRateBaseline(this.settings.baseline));
    }
  }

  private close(watermark: number): KeyedWindowRecord[] {
    const { slide, window } = this.settings;
    const records: KeyedWindowRecord[] = [];
    const baselineOf = (id: number) => this.baselines[id]!;
    while (this.openIndexes.size > 0 && this.openIndexes.peek() * slide + window <= watermark) {
      const index = this.openIndexes.pop();
      const bucket = this.open.get(index)!;
      this.open.delete(index);
      this.emit(index, bucket, baselineOf, records);
    }
    return records;
  }

  /** Appends the records of one window index to `records`, by service name. */
  private emit(
    index: number,
    bucket: Bucket,
    baselineOf: (id: number) => FailureRateBaseline,
    records: KeyedWindowRecord[],
  ): void {
    const closed: KeyedWindowRecord[] = [];
    for (const [id, counts] of bucket)
      closed.push(this.windowRecord(index, id, counts, baselineOf(id)));
    // Baselines are per service, so scoring before sorting changes no score.
    closed.sort(byServiceName);
    for (const record of closed) records.push(record);
  }

  private windowRecord(
    index: number,
    id: number,
    counts: WindowCounts,
    baseline: FailureRateBaseline,
  ): KeyedWindowRecord {
    const { slide, window } = this.settings;
    const { total, successes, failures } = counts;
    const { score, anomaly } =
      total === 0 ? { score: null, anomaly: false } : baseline.observe(failures, total);
    const windowStart = index * slide;
    return {
      task: TASK,
      service: this.names.values[id]!,
      windowStart,
      windowEnd: windowStart + window,
      total,
      successes,
      failures,
      rate: rate(successes, total),
      late: this.late[id]!,
      anomaly,
      score,
    };
  }

  /** Adds a part's services, late counts, baselines and open windows to this merged state. */
  private absorb(part: KeyedWindowsState): void {
    const ids = this.names.translate(part.names.values);
    this.addServices();
    for (let j = 0; j < ids.length; j++) {
      const id = ids[j]!;
      this.late[id] = this.late[id]! + part.late[j]!;
      this.baselines[id] = this.baselines[id]!.merge(part.baselines[j]!);
    }
    for (const [index, bucket] of part.open) {
      for (const [j, from] of bucket) {
        const counts = this.counts(index, ids[j]!);
        counts.events += from.events;
        counts.total += from.total;
        counts.successes += from.successes;
        counts.failures += from.failures;
      }
    }
  }

  private decodeServices(fields: object): void {
    const names = stringsField(TASK, fields, 'names');
    requireWithinLimit(TASK, 'names', names, this.options.maxServices);
    for (const name of names) this.names.code(name);
    if (this.names.size !== names.length) throw corrupt('names has a duplicate');
    const column = (name: string) => {
      const values = columnField(TASK, fields, name, Float64Array);
      if (values.length !== names.length) {
        throw corrupt(`${name} has ${values.length} values for ${names.length} services`);
      }
      return values;
    };
    const late = column('late');
    const learned = column('learned');
    const mean = column('mean');
    const variance = column('variance');
    for (let id = 0; id < names.length; id++) {
      this.late.push(count(late[id]!, 'late'));
      try {
        this.baselines.push(
          FailureRateBaseline.decode(this.settings.baseline, {
            learned: learned[id]!,
            mean: mean[id]!,
            variance: variance[id]!,
          }),
        );
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        throw corrupt(`baseline of ${JSON.stringify(names[id])}: ${error.message}`);
      }
    }
  }

  private decodeTimes(fields: object): void {
    const newest = nullableNumberField(TASK, fields, 'newest');
    const watermark = nullableNumberField(TASK, fields, 'watermark');
    if (newest === null || watermark === null) {
      if (newest !== watermark) throw corrupt('newest and watermark must both be null or not');
      return;
    }
    if (watermark !== newest - this.settings.delay) {
      throw corrupt(`watermark ${watermark} is not newest ${newest} - watermarkSeconds`);
    }
    this.newest = newest;
    this.watermark = watermark;
  }

  private decodeWindows(fields: object): void {
    const indexes = columnField(TASK, fields, 'windowIndex', Float64Array);
    const services = columnField(TASK, fields, 'windowService', Uint32Array);
    const column = (name: string) => {
      const values = columnField(TASK, fields, name, Float64Array);
      if (values.length !== indexes.length) {
        throw corrupt(`${name} has ${values.length} values for ${indexes.length} windows`);
      }
      return values;
    };
    if (services.length !== indexes.length) {
      throw corrupt(`windowService has ${services.length} values for ${indexes.length} windows`);
    }
    const events = column('windowEvents');
    const totals = column('windowTotal');
    const successes = column('windowSuccesses');
    const failures = column('windowFailures');
    if (indexes.length > 0 && this.newest === Number.NEGATIVE_INFINITY) {
      throw corrupt('open windows without any event time');
    }
    for (let w = 0; w < indexes.length; w++) {
      const index = indexes[w]!;
      const id = services[w]!;
      // Not only safe integers: a timestamp beyond 2^53 slides has an index as large, and
      // the state must read back what it wrote.
      if (!Number.isInteger(index)) throw corrupt(`windowIndex ${index} is not an integer`);
      if (id >= this.names.size) throw corrupt(`windowService ${id} names no service`);
      const counts = this.counts(index, id);
      if (counts.events > 0) throw corrupt(`window ${index} of service ${id} appears twice`);
      counts.events = count(events[w]!, 'windowEvents');
      counts.total = count(totals[w]!, 'windowTotal');
      counts.successes = count(successes[w]!, 'windowSuccesses');
      counts.failures = count(failures[w]!, 'windowFailures');
      if (
        counts.events < 1 ||
        counts.total > counts.events ||
        counts.successes + counts.failures > counts.total
      ) {
        throw corrupt(`window ${index} of service ${id} has inconsistent counts`);
      }
    }
  }
}

/** The settings of a decoded state's options, refused unless each is known and in range. */
function decodeSettings(options: EncodedState['options']): Settings {
  requireKnownOptions(TASK, options, OPTION_NAMES);
  const given: { [name: string]: number } = {};
  for (const name of OPTION_NAMES) given[name] = numberField(TASK, options, name);
  try {
    return validate(given);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw corrupt(error.message);
  }
}

/** A count read from a decoded column: an integer >= 0. */
function count(value: number, name: string): number {
  if (!isCount(value)) {
    throw corrupt(`${name} holds ${value}, not a count`);
  }
  return value;
}

function corrupt(message: string): StateError {
  return new StateError(`${TASK} state: ${message}`);
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
