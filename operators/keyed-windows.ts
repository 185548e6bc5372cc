import {
  asyncScheduler,
  concat,
  concatMap,
  connect,
  defer,
  endWith,
  ignoreElements,
  map,
  merge,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
  switchMap,
  takeUntil,
  tap,
  timer,
} from 'rxjs';
import { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
import { isFailure, isSuccess, rate } from './event.js';
import { FailureRateBaseline, type FailureRateBaselineOptions } from './ewma.js';
import { byServiceName, type KeyedWindowRecord, type LateEvent } from './records.js';
import { checkMaxServices, DEFAULT_MAX_SERVICES, serviceCodes } from './service-limit.js';
import { type SideOutput, sideOutputObserver } from './side-output.js';
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
  /**
   * How long an emitted window is kept for late events, past its end, in watermark time
   * (Flink's `allowedLateness`); 0 allowed. A window is emitted when `end <= watermark`,
   * kept while `watermark < end + allowedLatenessSeconds` (an event for it then re-emits it
   * with `update: true`), and dropped once `end + allowedLatenessSeconds <= watermark`
   * (an event for it then is late). Default 0: a window is dropped as it is emitted.
   */
  readonly allowedLatenessSeconds?: number;
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
  allowedLatenessSeconds: 0,
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
  /**
   * The side output of late events (Flink's `sideOutputLateData`): each event counted in a
   * service's `late` is passed here once, as a {@link LateEvent} naming the window it missed
   * and the watermark, during its batch and before that batch's records are emitted. An
   * observer also sees the source's completion and error, as with `tap`.
   */
  readonly late?: SideOutput<LateEvent>;
  /**
   * After this many seconds of `scheduler` time without a new input value, the watermark
   * moves up to the newest timestamp seen ({@link KeyedWindowsState.flushIdle}) and the
   * windows it reaches are emitted, so that windows close when traffic stops. The timer
   * restarts with each input value and stops at completion. Not part of the state (a run
   * that continues from a state chooses its own). Default: never; 0 allowed.
   */
  readonly idleFlushSeconds?: number;
  /** What times `idleFlushSeconds` (milliseconds, as RxJS counts). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Task 6: keyed event-time windows to Flink's standard (Spark Structured Streaming's
 * watermark, plus Flink's allowed lateness, late side output and a flush when the input
 * goes idle). Per service, it counts events in event-time windows, closes them with a
 * watermark, keeps them for late updates, counts and passes on late events, and flags a
 * window whose failure rate is an anomaly for that service. The counting is
 * {@link KeyedWindowsState}'s; this operator feeds it one input value at a time.
 *
 * Windows are `[start, end)` with `start` a multiple of the slide and `end = start + window`;
 * an event at time `t` belongs to every window with `start <= t < end` (window/slide of them
 * when the slide divides the window; a window need not be a multiple of the slide). The
 * watermark never goes back: after each batch it is the larger of what it was and the
 * newest timestamp seen minus `watermarkSeconds` (an idle flush may have taken it higher).
 *
 * Each input value (one event or an array) is one micro-batch, as in Spark: its events are
 * judged against the watermark as it stood before the batch, then the watermark advances.
 * With `L = allowedLatenessSeconds`, a window of a service is
 * - open while `watermark < end`: events are added to it;
 * - emitted once the watermark reaches its end (`end <= watermark`);
 * - then kept while `watermark < end + L`: an event for it is added to it, and after its
 *   batch the window is emitted again with its new full counts;
 * - dropped once `end + L <= watermark`: its state is deleted (state is thus bounded by the
 *   windows the watermark has not passed by `L`), and an event for it is late.
 *
 * A window's first version has `update: false` (also when its first event came within the
 * lateness, after its end), every later one `update: true` and all the counts of the one
 * before: a reader keeps the last version of each (service, window). With `L = 0` a window
 * is dropped as it is emitted, and has one version, as in Spark's append mode.
 *
 * An event is late when any window it belongs to is dropped (`end + L <=` the watermark
 * before its batch; with `L = 0`, once the watermark reached its end): it is counted once in
 * its service's `late`, passed once to the `late` side output, and still added to those of
 * its windows that are not dropped (with sliding windows, its newer ones may be). Late events
 * are counted and passed on, never silently lost.
 *
 * After each input value, emits one {@link KeyedWindowRecord} per window emitted or updated
 * (possibly none), ordered by `windowEnd`, then service name; a window updated and dropped by
 * the same batch is still emitted, its final version. When the source completes, emits every
 * window never emitted, in the same order ({@link KeyedWindowsState.finalRecords}, which
 * leaves the state as it is, so a given `state` can still be saved or merged afterwards),
 * then completes; kept windows were emitted already. `events` counts every event of the
 * window and `total` those that have a status, so that `rate = successes / total` (null over
 * zero); `late` is the service's late events so far, including those of the batch that
 * emitted the record: with tumbling windows, the windows' `events` and the services' `late`
 * add up to every event.
 *
 * With `idleFlushSeconds`, once that much `scheduler` time passes without a new input value,
 * the watermark moves up to the newest timestamp seen, and what it reaches is emitted and
 * dropped by the rules above, as after a batch: windows close when traffic stops (Flink's
 * idle sources). Each input value restarts the timer; completion and error stop it, so a
 * flush that has not fired by then never fires.
 *
 * Anomalies: a window's failure rate (`failures / total`) is scored as a z-score against an
 * EWMA mean and variance of the same service's earlier windows ({@link FailureRateBaseline}).
 * The baseline learns a window's final version only: every version of a window is scored
 * without learning, and the window is learned when it is dropped (with `L = 0`, as it is
 * first emitted: scored, then learned). `score` is null until `minHistory` windows are
 * learned; `anomaly` is `score > anomalyThreshold`, so only a rise in failures is flagged.
 * Windows with `total = 0` are not scored and leave the baseline as it is.
 *
 * Without `state`, each subscription starts from a fresh state of the options; with it, the
 * operator continues from (and adds to) that value.
 *
 * ```
 * source: -a--b--c--d--e--|      tumbling 10 s windows, watermark 30 s, allowed lateness 20 s,
 *                                service api: a: 200 at t=1 and 500 at t=5, b: 200 at t=41,
 *                                c: 500 at t=8, d: 200 at t=62, e: 200 at t=3
 * keyedWindows({ allowedLatenessSeconds: 20, late })
 * result: ----x--y--------(zw|)  x: [0, 10) 1 of 2 (b moved the watermark to 11)
 *                                y: [0, 10) 1 of 3, update: true (11 < 10 + 20: kept)
 *                                d moves it to 32: [0, 10) is dropped, and learned
 *                                z: [40, 50), w: [60, 70) at completion, late: 1
 * late:   -------------l--|      l: e, "window [0, 10) of its service closed: watermark 32 ..."
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
 * // Late updates for a minute, late events to a file, windows closed after 5 s of silence:
 * events$
 *   .pipe(
 *     keyedWindows({
 *       allowedLatenessSeconds: 60,
 *       late: (late) => lateFile.append(late),
 *       idleFlushSeconds: 5,
 *     }),
 *   )
 *   .subscribe((w) => (w.update ? replace(w) : print(w)));
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
  const { state: given, late, idleFlushSeconds, scheduler = asyncScheduler, ...shape } = options;
  const settings = validate(shape);
  if (given !== undefined && Object.values(shape).some((value) => value !== undefined)) {
    requireSameOptions(TASK, given.options, settings.options);
  }
  const idleMs = idleFlushMilliseconds(idleFlushSeconds);
  const observer = sideOutputObserver(late);
  return (source) =>
    defer(() => {
      const state = given ?? KeyedWindowsState.create(shape);
      const added = (inputs: Observable<OperatorInput>) =>
        inputs.pipe(
          map((input) => state.add(EventBatch.of(input), observer.next)),
          tap({ complete: observer.complete, error: observer.error }),
        );
      const emitted =
        idleMs === undefined
          ? added(source)
          : source.pipe(
              connect((inputs) =>
                merge(added(inputs), idleFlushes(inputs, state, idleMs, scheduler)),
              ),
            );
      return concat(
        emitted.pipe(concatMap((records) => records)),
        defer(() => state.finalRecords()),
      );
    });
}

/**
 * The records of `state`'s idle flushes: one after each `ms` of `scheduler` time without a
 * value of `inputs`, none once they end.
 */
function idleFlushes(
  inputs: Observable<unknown>,
  state: KeyedWindowsState,
  ms: number,
  scheduler: SchedulerLike,
): Observable<KeyedWindowRecord[]> {
  const ended = inputs.pipe(ignoreElements(), endWith(true));
  return inputs.pipe(
    // Each value restarts the timer; the end stops it, so that the final records see the
    // state of the last batch, not of a flush after it.
    switchMap(() => timer(ms, scheduler)),
    map(() => state.flushIdle()),
    takeUntil(ended),
  );
}

/** `idleFlushSeconds` in scheduler milliseconds; undefined for never. */
function idleFlushMilliseconds(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  if (!(Number.isFinite(seconds) && seconds >= 0)) {
    throw new RangeError(`idleFlushSeconds must be a finite number >= 0, got ${seconds}`);
  }
  return seconds * 1000;
}

const TASK = 'keyed-windows';
// 3: options gained allowedLatenessSeconds, and windows a windowEmitted column, since a
// state now holds windows already emitted (kept for the lateness) beside open ones; the
// watermark may stand above newest - watermarkSeconds, up to newest (an idle flush).
// 2: options gained maxServices.
const VERSION = 3;

/** The options that shape a state, in the order its encoding lists them. */
const OPTION_NAMES = [
  'windowSeconds',
  'slideSeconds',
  'watermarkSeconds',
  'allowedLatenessSeconds',
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
  readonly lateness: number;
  readonly baseline: FailureRateBaselineOptions;
  /** Every option, defaults filled in: what two states must share to merge. */
  readonly options: Required<KeyedWindowsOptions>;
}

function validate(options: KeyedWindowsOptions): Settings {
  const window = options.windowSeconds ?? KEYED_WINDOWS_DEFAULTS.windowSeconds;
  const slide = options.slideSeconds ?? window;
  const delay = options.watermarkSeconds ?? KEYED_WINDOWS_DEFAULTS.watermarkSeconds;
  const lateness = options.allowedLatenessSeconds ?? KEYED_WINDOWS_DEFAULTS.allowedLatenessSeconds;
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
  requireNonNegative('watermarkSeconds', delay);
  requireNonNegative('allowedLatenessSeconds', lateness);
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
    lateness,
    baseline: { alpha, threshold, minHistory, minDeviation },
    options: {
      windowSeconds: window,
      slideSeconds: slide,
      watermarkSeconds: delay,
      allowedLatenessSeconds: lateness,
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

function requireNonNegative(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
}

/** How far the counts of a (window, service) have been emitted: a `windowEmitted` value. */
const NOT_EMITTED = 0;
/** Emitted with the counts it holds. */
const EMITTED = 1;
/** Emitted, and grown since: the next emission is an update. */
const GROWN = 2;
type Emission = typeof NOT_EMITTED | typeof EMITTED | typeof GROWN;

interface WindowCounts {
  /** Every event counted in the window, with a status or not: what late counts add up with. */
  events: number;
  total: number;
  successes: number;
  failures: number;
  emission: Emission;
}

/** A window held, its services' counts by service id. */
interface Bucket {
  /**
   * The window's index as first computed (a Map key of -0 reads back as 0, and a window of
   * an event at -0 starts at -0 as its event's windows do).
   */
  readonly index: number;
  readonly services: Map<number, WindowCounts>;
}

/**
 * The state of Task 6: the windows every service holds (open, or emitted and kept for the
 * allowed lateness), each service's late count and anomaly baseline, the newest timestamp
 * seen and the watermark. Services are keyed by the state's own ids (`StringCodes`),
 * translated once per batch. A window is named by its index `k` (start = k·slide), so
 * windows sharing an end share a bucket; two heaps of indexes (windows the watermark has not
 * reached, and reached ones kept) yield, in order, exactly the windows a watermark emits or
 * drops, without scanning those it leaves alone. The semantics are {@link keyedWindows}'s.
 *
 * Task 6 has no single record: {@link add} and {@link flushIdle} return the records of the
 * windows they emitted or updated and {@link finalRecords} those never emitted, so the state
 * has no `record()` (it is a {@link TaskState} in every other respect).
 *
 * {@link merge} of the states of two parts of one input:
 * - `newest` and the watermark are the larger of the two;
 * - held windows add their counts per (window, service), and are emitted if either part
 *   emitted them. A window at or below the merged watermark that neither part emitted stays
 *   in the merged state, and the next {@link add} (even of an empty batch), {@link flushIdle}
 *   or {@link finalRecords} emits it: nothing is dropped, nothing counted twice. A window
 *   that a part emitted and whose merged counts are not that part's (both parts held it, or
 *   the part had grown it since) is emitted again, `update: true`, by the next of these, so
 *   that the merged state's last version of it holds both parts' counts; it is dropped, as
 *   any window, once the merged watermark passes its end by the allowed lateness. A window
 *   a part had already dropped is in neither the merged state nor any of its records;
 * - late counts add up per service;
 * - baselines: a service of one part keeps its baseline exactly; a service of both gets a
 *   pooled estimate (windows learned add up, the mean is their weighted mean, the variance
 *   the pooled variance including the spread between the means; see
 *   {@link FailureRateBaseline.merge}). This is approximate: an EWMA of two interleaved
 *   histories is the EWMA of neither order.
 *
 * What that guarantees, over the records emitted while adding each part to its own state
 * plus the merged state's {@link finalRecords}, against one state over the whole input (its
 * emissions plus its final records), with `allowedLatenessSeconds` 0:
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
 * With an allowed lateness, each part's watermark decides which windows it keeps, updates
 * and drops, so records are versions: the first of a part's lineage `update: false`, later
 * ones holding all of its earlier counts. With disjoint services and no event late or
 * updating (events in time order, say), the records are the single run's up to scores (a
 * window is scored against the windows its service dropped before its emission, and each
 * part drops at the pace of its own watermark).
 * Otherwise the guarantees are per state: the merged state holds the sum of the parts' held
 * counts, and its late counts the sum of theirs.
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
  /** Every window held, open or kept, by index. */
  private readonly windows = new Map<number, Bucket>();
  /**
   * The window each service's last event went to, and its counts: consecutive events of a
   * service mostly fall in the same window, and then skip two map lookups. Cleared whenever a
   * window is dropped.
   */
  private readonly lastIndex: number[] = [];
  private readonly lastCounts: WindowCounts[] = [];
  /** Indexes of the windows whose end the watermark has not reached. */
  private readonly unreached = new MinHeap();
  /** Indexes of the windows whose end the watermark reached, until they are dropped. */
  private readonly reached = new MinHeap();
  /**
   * The services of reached windows whose counts were not emitted as they are (new or grown
   * in the current batch, or left so by a merge), by window index.
   */
  private readonly due = new Map<number, number[]>();

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
   * Every service's late events so far, by service name (`(other)` for those past
   * `maxServices`): what its next record's `late` will be, read without emitting one.
   */
  lateCounts(): { service: string; late: number }[] {
    const counts = this.names.values.map((service, id) => ({ service, late: this.late[id] ?? 0 }));
    return counts.sort(byServiceName);
  }

  /**
   * An empty state.
   * @throws {RangeError} as {@link keyedWindows} does for options out of range.
   */
  static create(options: KeyedWindowsOptions = {}): KeyedWindowsState {
    return new KeyedWindowsState(validate(options));
  }

  /**
   * Adds one micro-batch, judged against the watermark before it, then moves the watermark
   * to `max(watermark, newest - watermarkSeconds)` and emits and drops what it reached.
   * @param onLate called once with each late event (one counted in `late`), during the
   * batch, in batch order; with sliding windows, an event that is late for one of its
   * windows and still counted in newer ones is late, once.
   * @returns the records of the windows it emitted or updated, by window end, then service
   * name; a window updated and dropped in this batch is there, its final version.
   */
  add(batch: EventBatch, onLate?: (late: LateEvent) => void): KeyedWindowRecord[] {
    const ids = this.names.translate(batch.serviceNames);
    this.addServices();
    const { serviceIds, times, statuses } = batch;
    let newest = this.newest;
    for (let i = 0; i < batch.length; i++) {
      const time = times[i]!;
      if (time > newest) newest = time;
      const id = ids[serviceIds[i]!]!;
      const dropped = this.place(id, time, statuses[i]!);
      if (dropped === undefined) continue;
      this.late[id] = this.late[id]! + 1;
      onLate?.({ task: TASK, reason: this.lateReason(dropped), event: batch.eventAt(i) });
    }
    this.newest = newest;
    return this.advance(Math.max(this.watermark, newest - this.settings.delay));
  }

  /**
   * For an idle input: moves the watermark up to the newest timestamp seen, as if the
   * delay had passed with nothing late arriving, then emits and drops what it reached
   * (records as {@link add}'s). Nothing happens before any event or when the watermark is
   * there already. The watermark stays there until `newest - watermarkSeconds` passes it.
   */
  flushIdle(): KeyedWindowRecord[] {
    return this.advance(Math.max(this.watermark, this.newest));
  }

  /**
   * The records of every window not yet emitted as it is (the open ones; after a merge,
   * also those of {@link merge}'s updates), by window end, then service name, each scored
   * against its service's baseline as if the input ended here: every held window, kept
   * ones included, learned in window order after its record. The state does not change:
   * scores come from copies of the baselines. Kept windows were emitted already and give
   * no record.
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
    const indexes = [...this.windows.keys()].sort((a, b) => a - b);
    for (const index of indexes) {
      const bucket = this.windows.get(index)!;
      const due: number[] = [];
      for (const [id, counts] of bucket.services) if (counts.emission !== EMITTED) due.push(id);
      this.emit(bucket, due, baselineOf, records, false);
      learnAll(bucket, baselineOf);
    }
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
    merged.indexWindows();
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
    for (const { index, services } of this.windows.values()) {
      for (const [id, counts] of services) windows.push([index, id, counts]);
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
        windowEmitted: encodeColumn(Uint8Array.from(windows, ([, , counts]) => counts.emission)),
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
    state.indexWindows();
    return state;
  }

  /** The end of window `index`: one expression wherever windows are compared with a watermark. */
  private end(index: number): number {
    return index * this.settings.slide + this.settings.window;
  }

  /** Whether window `index` is dropped at `watermark`: past its end by the allowed lateness. */
  private isDropped(index: number, watermark: number): boolean {
    return this.end(index) + this.settings.lateness <= watermark;
  }

  /**
   * Adds an event to each of its windows the watermark has not dropped.
   * @returns the index of its newest dropped window (the event is then late), if any.
   */
  private place(id: number, time: number, status: number): number | undefined {
    const { watermark } = this;
    const { lateness } = this.settings;
    let index = lastWindowIndex(time, this.settings.slide);
    // The newest window always takes the event, even if rounding put its end a hair below
    // `time`: mathematically t < start + slide <= start + window, and no event is lost.
    do {
      const end = this.end(index);
      // isDropped's expression: an older window ends earlier, and is dropped too.
      if (end + lateness <= watermark) return index;
      const reached = end <= watermark;
      const counts = this.counts(index, id, reached ? this.reached : this.unreached);
      if (reached && (counts.events === 0 || counts.emission === EMITTED)) {
        this.markDue(index, id);
      }
      if (counts.emission === EMITTED) counts.emission = GROWN;
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
    } while (this.end(index) > time);
    return undefined;
  }

  private lateReason(index: number): string {
    const start = index * this.settings.slide;
    const lateness = this.settings.lateness;
    const why = `window [${start}, ${this.end(index)}) of its service closed: watermark ${this.watermark}`;
    return lateness === 0 ? why : `${why} reached its end plus the allowed lateness ${lateness}`;
  }

  /**
   * The counts of window `index` of service `id`, opened empty when new; a new window's
   * index goes into `heap` (a merge or decode indexes its windows once they are all in).
   */
  private counts(index: number, id: number, heap?: MinHeap): WindowCounts {
    if (this.lastIndex[id] === index) return this.lastCounts[id]!;
    let bucket = this.windows.get(index);
    if (bucket === undefined) {
      bucket = { index, services: new Map() };
      this.windows.set(index, bucket);
      heap?.push(index);
    }
    let counts = bucket.services.get(id);
    if (counts === undefined) {
      counts = { events: 0, total: 0, successes: 0, failures: 0, emission: NOT_EMITTED };
      bucket.services.set(id, counts);
    }
    this.lastIndex[id] = index;
    this.lastCounts[id] = counts;
    return counts;
  }

  private markDue(index: number, id: number): void {
    const due = this.due.get(index);
    if (due === undefined) this.due.set(index, [id]);
    else due.push(id);
  }

  /** Gives every service named so far its late count and baseline. */
  private addServices(): void {
    while (this.baselines.length < this.names.size) {
      this.late.push(0);
      this.baselines.push(new FailureRateBaseline(this.settings.baseline));
    }
  }

  /**
   * Moves the watermark to `watermark` (never lower), emits every window it reached that
   * is due, then drops those it passed by the allowed lateness, learning them; in window
   * order, so that each record is scored after the windows dropped before it were learned.
   */
  private advance(watermark: number): KeyedWindowRecord[] {
    this.watermark = watermark;
    while (this.unreached.size > 0 && this.end(this.unreached.peek()) <= watermark) {
      const index = this.unreached.pop();
      this.reached.push(index);
      this.due.set(index, [...this.windows.get(index)!.services.keys()]);
    }
    const dropped = new Set<number>();
    while (this.reached.size > 0 && this.isDropped(this.reached.peek(), watermark)) {
      dropped.add(this.reached.pop());
    }
    const records: KeyedWindowRecord[] = [];
    if (this.due.size === 0 && dropped.size === 0) return records;
    const indexes = [...new Set([...this.due.keys(), ...dropped])].sort((a, b) => a - b);
    const baselineOf = (id: number) => this.baselines[id]!;
    for (const index of indexes) {
      const bucket = this.windows.get(index)!;
      this.emit(bucket, this.due.get(index) ?? [], baselineOf, records, true);
      this.due.delete(index);
      if (!dropped.has(index)) continue;
      learnAll(bucket, baselineOf);
      this.windows.delete(index);
    }
    if (dropped.size > 0) {
      this.lastIndex.length = 0;
      this.lastCounts.length = 0;
    }
    return records;
  }

  /**
   * Appends the records of services `ids` of a window to `records`, by service name,
   * scored without learning; with `mark`, they are emitted as they are from now on.
   */
  private emit(
    bucket: Bucket,
    ids: readonly number[],
    baselineOf: (id: number) => FailureRateBaseline,
    records: KeyedWindowRecord[],
    mark: boolean,
  ): void {
    const emitted: KeyedWindowRecord[] = [];
    for (const id of ids) {
      const counts = bucket.services.get(id)!;
      emitted.push(this.windowRecord(bucket.index, id, counts, baselineOf(id)));
      if (mark) counts.emission = EMITTED;
    }
    // Baselines are per service, and peeking changes none, so the order changes no score.
    emitted.sort(byServiceName);
    for (const record of emitted) records.push(record);
  }

  private windowRecord(
    index: number,
    id: number,
    counts: WindowCounts,
    baseline: FailureRateBaseline,
  ): KeyedWindowRecord {
    const { events, total, successes, failures } = counts;
    const { score, anomaly } =
      total === 0 ? { score: null, anomaly: false } : baseline.peek(failures, total);
    const windowStart = index * this.settings.slide;
    return {
      task: TASK,
      service: this.names.values[id]!,
      windowStart,
      windowEnd: this.end(index),
      events,
      total,
      successes,
      failures,
      rate: rate(successes, total),
      late: this.late[id]!,
      anomaly,
      score,
      update: counts.emission !== NOT_EMITTED,
    };
  }

  /** Adds a part's services, late counts, baselines and held windows to this merged state. */
  private absorb(part: KeyedWindowsState): void {
    const ids = this.names.translate(part.names.values);
    this.addServices();
    for (let j = 0; j < ids.length; j++) {
      const id = ids[j]!;
      this.late[id] = this.late[id]! + part.late[j]!;
      this.baselines[id] = this.baselines[id]!.merge(part.baselines[j]!);
    }
    for (const { index, services } of part.windows.values()) {
      for (const [j, from] of services) {
        const counts = this.counts(index, ids[j]!);
        // Held by both parts: no part emitted these counts, so an emitted window is grown.
        if (counts.events === 0) counts.emission = from.emission;
        else if (counts.emission !== NOT_EMITTED || from.emission !== NOT_EMITTED) {
          counts.emission = GROWN;
        }
        counts.events += from.events;
        counts.total += from.total;
        counts.successes += from.successes;
        counts.failures += from.failures;
      }
    }
  }

  /** Puts every window of a merged or decoded state in its heap, and due ones in `due`. */
  private indexWindows(): void {
    for (const { index, services } of this.windows.values()) {
      if (this.end(index) > this.watermark) {
        this.unreached.push(index);
        continue;
      }
      this.reached.push(index);
      for (const [id, counts] of services) {
        if (counts.emission !== EMITTED) this.markDue(index, id);
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
    // At least newest - delay (where batches put it), at most newest (where an idle flush does).
    if (!(newest - this.settings.delay <= watermark && watermark <= newest)) {
      throw corrupt(
        `watermark ${watermark} is not between newest ${newest} - watermarkSeconds and newest`,
      );
    }
    this.newest = newest;
    this.watermark = watermark;
  }

  private decodeWindows(fields: object): void {
    const indexes = columnField(TASK, fields, 'windowIndex', Float64Array);
    const sized = <T extends { length: number }>(name: string, values: T): T => {
      if (values.length !== indexes.length) {
        throw corrupt(`${name} has ${values.length} values for ${indexes.length} windows`);
      }
      return values;
    };
    const services = sized(
      'windowService',
      columnField(TASK, fields, 'windowService', Uint32Array),
    );
    const column = (name: string) => sized(name, columnField(TASK, fields, name, Float64Array));
    const events = column('windowEvents');
    const totals = column('windowTotal');
    const successes = column('windowSuccesses');
    const failures = column('windowFailures');
    const emitted = sized('windowEmitted', columnField(TASK, fields, 'windowEmitted', Uint8Array));
    if (indexes.length > 0 && this.newest === Number.NEGATIVE_INFINITY) {
      throw corrupt('windows without any event time');
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
      const emission = emitted[w]!;
      if (emission !== NOT_EMITTED && emission !== EMITTED && emission !== GROWN) {
        throw corrupt(`windowEmitted holds ${emission}, not 0, 1 or 2`);
      }
      if (emission !== NOT_EMITTED && this.end(index) > this.watermark) {
        throw corrupt(
          `window ${index} of service ${id} is emitted before the watermark reached it`,
        );
      }
      counts.emission = emission;
    }
  }
}

/** Learns the counts of every service of a window that is dropped. */
function learnAll(bucket: Bucket, baselineOf: (id: number) => FailureRateBaseline): void {
  for (const [id, { total, failures }] of bucket.services) {
    if (total > 0) baselineOf(id).learn(failures, total);
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
