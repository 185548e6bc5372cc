import {
  asyncScheduler,
  defer,
  map,
  mergeMap,
  type OperatorFunction,
  reduce,
  type SchedulerLike,
  tap,
  windowTime,
} from 'rxjs';
import { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
import { isFailure, rate } from './event.js';
import { compareText, type LateEvent, type SlidingWindowRecord } from './records.js';
import { checkMaxServices, DEFAULT_MAX_SERVICES, serviceCodes } from './service-limit.js';
import { type SideOutput, sideOutputObserver } from './side-output.js';
import { DEFAULT_WINDOW_SECONDS, SlidingPanesState } from './sliding-window-panes.js';
import { TimeOrderedStore } from './sliding-window-store.js';
import type { StringCodes } from './string-codes.js';
import {
  columnField,
  countField,
  type EncodedState,
  encodeColumn,
  finiteOrNull,
  maxServicesOption,
  nullableNumberField,
  numberField,
  openEncoded,
  requireSameOptions,
  requireWithinLimit,
  StateError,
  stringsField,
  type TaskState,
} from './task-state.js';
import { WindowTotals } from './window-totals.js';

export { DEFAULT_WINDOW_SECONDS } from './sliding-window-panes.js';

/** What the window slides with: the events' timestamps, or their arrival time. */
export type SlidingWindowClock = 'event' | 'processing';

/** The options that shape a {@link SlidingWindowState}: states merge only when they are equal. */
export interface SlidingWindowStateOptions {
  /** Window length in seconds, finite and >= 0. Default 60. */
  readonly windowSeconds?: number;
  /**
   * Services in the window counted apart; the others are counted together as `(other)`.
   * Default 10,000.
   */
  readonly maxServices?: number;
}

export interface SlidingWindowOptions {
  /**
   * Window length in seconds. Default 60. Finite and >= 0 with the event clock, > 0 with
   * the processing clock.
   */
  readonly windowSeconds?: number;
  /**
   * `'event'` (default): the exact window over the events' timestamps, a record per input
   * value. `'processing'`: the window over arrival time on `scheduler`, cut into panes by
   * RxJS's `windowTime`, a record per slide. Default: the state's clock when `state` is
   * given, else `'event'`.
   */
  readonly clock?: SlidingWindowClock;
  /** Processing clock only: the pane length in seconds, one record per slide. Default 1. */
  readonly slideSeconds?: number;
  /**
   * Services in the window counted apart; the others are counted together as `(other)`.
   * Default 10,000.
   */
  readonly maxServices?: number;
  /** The processing clock's scheduler (a TestScheduler in tests). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Event clock: receives each event counted in `late` (older than the window's start when
   * it was processed), once, before the record of its input value. An observer also sees
   * the source's completion and error, as with `tap` (with either clock; nothing is late by
   * arrival time).
   */
  readonly late?: SideOutput<LateEvent>;
  /**
   * Continue from this state: the operator adds to this very value, so its owner can read,
   * encode or merge it at any time; one subscription at a time. The clock follows the state
   * (a {@link SlidingWindowState} is the event clock, a {@link SlidingPanesState} the
   * processing clock); its options are the operator's (`clock`, `windowSeconds`,
   * `slideSeconds` and `maxServices`, when given too, must equal them).
   * Default: each subscription starts from an empty state of the options.
   */
  readonly state?: SlidingWindowState | SlidingPanesState;
}

const TASK = 'sliding-window';
// 2: options gained maxServices. The options keep `clock: 'event'`, so that version 2
// states of either clock stay told apart (the processing clock is SlidingPanesState now).
const VERSION = 2;

/**
 * Task 2: the failure rate over the last `windowSeconds` (default 60), overall and per
 * service, over event time (exact, a record per input value) or over arrival time (panes of
 * RxJS's `windowTime`, a record per slide).
 *
 * **Event time** (default): the exact per-batch window. Emits one {@link SlidingWindowRecord}
 * per input value (one event, or one array of events processed in order as a unit; an empty
 * array re-emits the current window). The window is `[newest - windowSeconds, newest]`, both
 * ends included, where `newest` is the largest timestamp seen; `windowStart` and `windowEnd`
 * are null before the first event. An event older than the window's start when it is
 * processed (within an array: the newest timestamp seen up to that event) is counted in
 * `late` (cumulative) and nowhere else, and handed to the `late` side output; an older event
 * inside the window counts like any other. Failures are 4xx and 5xx; `total` counts the
 * window's events that have a status; rates are null over zero. `services` lists, sorted by
 * name, each service with at least one event in the window, even one without a status (then
 * `total` 0 and `rate` null); a service whose last event has left the window is omitted.
 * Results equal a recount of every non-late event in the window. The window lives in a
 * {@link SlidingWindowState}; cost: 12 bytes per event in the window plus one entry per
 * service present. An event at or after the newest in-order one costs amortized O(1); an
 * out-of-order event inside the window costs O(log h), h being the out-of-order events held;
 * each emission costs O(s log s) for the s services listed.
 *
 * Event time cannot be a `windowTime`: `windowTime` cuts panes when the scheduler's clock
 * says so, while event time is what the data says. Events arrive out of order and late (a
 * pane already closed would have to take them back), and a replay of yesterday's files
 * runs through an hour of event time in a second of the scheduler's. So the event clock
 * keeps each event's time and moves the window with the newest timestamp instead.
 *
 * **Arrival time** (`clock: 'processing'`): `source.pipe(windowTime(slideSeconds * 1000,
 * scheduler))`, each pane reduced to counts (events, failures and events with a status, per
 * service) in a {@link SlidingPanesState}, which sums the last ceil(windowSeconds /
 * slideSeconds) panes with running totals (the new pane added, the pane that leaves
 * subtracted), so the cost per event does not grow with windowSeconds / slideSeconds.
 * Emits one record each time a pane closes, every `slideSeconds` (default 1) from the
 * subscription on, whether or not anything arrived: `windowEnd` is the scheduler's time at
 * the close (`scheduler.now() / 1000`), `windowStart` is `windowEnd - windowSeconds`, `late`
 * is always 0, services with no event in the window are omitted; timestamps are not read.
 * When the source completes, `windowTime` closes the current pane early, so one last record
 * follows, its window ending at the completion time, and then completion; an error is
 * passed on at once. See {@link SlidingPanesState} for which panes a window holds.
 *
 * Each subscription has its own window, unless `state` is given: then the operator continues
 * from that state and adds to it (one subscription at a time), so its owner can encode or
 * merge it whenever it likes (for a checkpoint, `--save-state`, or scale-out).
 *
 * ```
 * event time:
 * source: --a--b--c--|    a: [200 at t=30, 500 at t=90], b: 503 at t=100, c: 504 at t=25
 * slidingWindow({ late })
 * result: --x--y--z--|    x: 1/2 in [30, 90], y: 2/2 in [40, 100], z: as y with late 1
 * late:   --------c--|    { task: 'sliding-window', reason: 'older than the window start 40 …', event: c }
 *
 * arrival time (windowSeconds 2, slideSeconds 1; a frame is 250 ms):
 * source: -a-b--c----d--|      a, b: 500, c: 200, d: 503
 * slidingWindow({ clock: 'processing', windowSeconds: 2, scheduler })
 * result: ----x---y---z-(w|)   x: 2/2 in [-1, 1], y: 2/3 in [0, 2], z: 1/2 in [1, 3],
 *                              w: 1/1 in [1.5, 3.5] (the partial pane closed at completion)
 * ```
 *
 * @throws {RangeError} when an option is out of range (the window negative or not finite,
 * an unknown clock, a slide that is not > 0 or longer than the window, `slideSeconds` with
 * the event clock), or when options differ from those of the given `state`.
 *
 * @example
 * ```ts
 * from([[{ service: 'api', timestamp: 90, message: 'HTTP Status Code: 500' }]])
 *   .pipe(slidingWindow({ windowSeconds: 60, late: (late) => console.warn(late.reason) }))
 *   .subscribe((r) => console.log(r.rate, r.windowStart)); // 1 30
 *
 * // Over arrival time: the last minute, a record every 5 s.
 * live$.pipe(slidingWindow({ clock: 'processing', slideSeconds: 5 })).subscribe(print);
 *
 * // Continue from a saved state, and save it again later:
 * const state = SlidingWindowState.decode(JSON.parse(saved));
 * live$.pipe(slidingWindow({ state })).subscribe(print);
 * const next = JSON.stringify(state.encode());
 * ```
 */
export function slidingWindow(
  options: SlidingWindowOptions = {},
): OperatorFunction<OperatorInput, SlidingWindowRecord> {
  const { state, clock = state?.clock ?? 'event' } = options;
  if (clock !== 'event' && clock !== 'processing') {
    throw new RangeError(`clock must be 'event' or 'processing', got ${String(clock)}`);
  }
  if (state !== undefined && state.clock !== clock) {
    throw new RangeError(
      `slidingWindow: clock is ${clock} but the given state's is ${state.clock}`,
    );
  }
  const observer = sideOutputObserver(options.late);
  const follow = tap<SlidingWindowRecord>({ complete: observer.complete, error: observer.error });
  if (clock === 'processing') {
    const shape = state instanceof SlidingPanesState ? state : SlidingPanesState.create(options);
    requireSameShape(options, shape, ['windowSeconds', 'slideSeconds', 'maxServices']);
    const { scheduler = asyncScheduler } = options;
    return (source) =>
      defer(() => {
        const window = state instanceof SlidingPanesState ? state : SlidingPanesState.create(shape);
        return source.pipe(
          windowTime(window.slideSeconds * 1000, scheduler),
          mergeMap((pane) =>
            pane.pipe(
              reduce((counts, input) => counts.add(EventBatch.of(input)), window),
              map((counts) => counts.closePane(scheduler.now() / 1000).record()),
            ),
          ),
          follow,
        );
      });
  }
  if (options.slideSeconds !== undefined) {
    throw new RangeError('slidingWindow: slideSeconds is an option of the processing clock');
  }
  const shape = state instanceof SlidingWindowState ? state : SlidingWindowState.create(options);
  requireSameShape(options, shape, ['windowSeconds', 'maxServices']);
  return (source) =>
    defer(() => {
      const window = state instanceof SlidingWindowState ? state : SlidingWindowState.create(shape);
      return source.pipe(
        map((input) => window.add(EventBatch.of(input), observer.next).record()),
        follow,
      );
    });
}

/** @throws {RangeError} when an option given differs from the state's. */
function requireSameShape<S extends SlidingWindowState | SlidingPanesState>(
  options: SlidingWindowOptions,
  state: S,
  names: readonly (keyof SlidingWindowOptions & keyof S)[],
): void {
  for (const name of names) {
    if (options[name] !== undefined && options[name] !== state[name]) {
      throw new RangeError(
        `slidingWindow: ${name} is ${String(options[name])} but the given state's is ${String(state[name])}`,
      );
    }
  }
}

interface Settings {
  readonly windowSeconds: number;
  readonly maxServices: number;
}

function settingsOf(options: SlidingWindowStateOptions): Settings {
  const { windowSeconds = DEFAULT_WINDOW_SECONDS, maxServices = DEFAULT_MAX_SERVICES } = options;
  if (!Number.isFinite(windowSeconds) || windowSeconds < 0) {
    throw new RangeError(`windowSeconds must be a finite number >= 0, got ${windowSeconds}`);
  }
  return { windowSeconds, maxServices: checkMaxServices(maxServices) };
}

// What the window needs of a status; success and other statuses only differ in Task 1.
const WITHOUT_STATUS = 0;
const NOT_FAILURE = 1;
const FAILURE = 2;
// A stored event's tag is serviceId * TAG_CLASSES + class, read back with >>> 2 and & 3.
const TAG_CLASSES = 4;

function classOf(status: number): number {
  if (status === NO_STATUS) return WITHOUT_STATUS;
  return isFailure(status) ? FAILURE : NOT_FAILURE;
}

// Names of services that left the window are dropped (ids renumbered) once there are at
// least this many and at least an eighth of the window's entries: the renumbering costs
// O(entries + names) and is paid for by the new names since the last one.
const MIN_DEAD_NAMES = 1024;

/**
 * Task 2's state over event time, the exact per-batch window: the events of the current
 * sliding window (each a time, a service and whether it has a status and is a failure), the
 * newest time seen and the late count, as a value that can be fed, turned into a record,
 * encoded and merged. {@link slidingWindow} is a thin RxJS wrapper around it. (Arrival time
 * is {@link SlidingPanesState}'s.)
 *
 * Shaped by `windowSeconds` and `maxServices`: two states merge, and a state decodes against
 * options, only when both are equal.
 *
 * **What merge guarantees.** `a.merge(b)` holds the union of both windows' entries, `newest`
 * the larger of the two, `late` their sum, and then evicts the entries older than the merged
 * window's start (`newest - windowSeconds`). Merge is associative and commutative in its
 * record and encoding, and an empty state of the same options is its identity. Compared with
 * one state over both parts' events, the record is exactly the same (services, window bounds
 * and `late` included) when
 * - the stream is one part followed by the other and no event of the first is newer than
 *   any event of the second (ties allowed), in either order of merging: for example a stream
 *   in timestamp order cut at any point; lateness within each part is then decided as in the
 *   whole stream; or
 * - the parts hold disjoint sets of services and no event is late (the way scale-out
 *   partitions a stream in timestamp order).
 * Otherwise each part decided lateness by its own order: the merged window is exactly the
 * parts' window entries not older than the merged window's start, and `late` the sum of
 * the parts' late counts.
 *
 * Memory: 12 bytes per entry in the window (a Float64 time and a Uint32 tag in typed
 * arrays, {@link TimeOrderedStore}), plus counts per service; services that left the window
 * are forgotten in bulk, so the names held stay proportional to the window. At most
 * `maxServices` names are held: when a batch brings more, the names of services that left
 * the window before the batch are forgotten first; past the bound, new services are
 * counted together as `(other)` while they stay in the window.
 */
export class SlidingWindowState implements TaskState<SlidingWindowState, SlidingWindowRecord> {
  readonly task = TASK;
  /** Window length in seconds. */
  readonly windowSeconds: number;
  /** The clock this state follows: the events' timestamps. */
  readonly clock = 'event';
  /** Services in the window counted apart. */
  readonly maxServices: number;

  /** The state's own service ids: counts and tags are keyed by these. */
  private codes: StringCodes;
  private overflowedBefore = false;
  private readonly store = new TimeOrderedStore();
  /** Per service id: its events in the window, failures and total; and the overall ones. */
  private readonly totals = new WindowTotals();
  private newest = -Infinity;
  private late = 0;

  private constructor(settings: Settings) {
    this.windowSeconds = settings.windowSeconds;
    this.maxServices = settings.maxServices;
    this.codes = serviceCodes(settings.maxServices);
  }

  /**
   * Whether a service was counted as `(other)` for want of room since this state was made
   * or decoded (a saved state keeps no such flag).
   */
  get overflowed(): boolean {
    return this.overflowedBefore || this.codes.overflowed;
  }

  /**
   * An empty state.
   * @throws {RangeError} when `windowSeconds` is negative or not finite, or `maxServices`
   * not an integer >= 1.
   */
  static create(options: SlidingWindowStateOptions = {}): SlidingWindowState {
    return new SlidingWindowState(settingsOf(options));
  }

  /**
   * Adds one batch by event time, in place, event by event in batch order (lateness is
   * decided against the newest timestamp seen before each event). Each late event is
   * counted in `late` and handed to `onLate`, in batch order.
   */
  add(batch: EventBatch, onLate?: (late: LateEvent) => void): this {
    const ids = this.translate(batch);
    const { serviceIds, times, statuses } = batch;
    const windowSeconds = this.windowSeconds;
    const newestBefore = this.newest;
    for (let i = 0; i < batch.length; i++) {
      const time = times[i]!;
      if (time < this.newest - windowSeconds) {
        this.late += 1;
        onLate?.({ task: TASK, reason: this.lateReason(), event: batch.eventAt(i) });
        continue;
      }
      this.insert(ids[serviceIds[i]!]!, time, classOf(statuses[i]!));
      if (time > this.newest) this.newest = time;
    }
    // Once per batch, not per newer event: lateness is judged by `newest` alone, and every
    // entry the window left during the batch is older than its final start, so the window
    // after the batch is the same.
    if (this.newest > newestBefore) this.store.evictBefore(this.newest - windowSeconds, this.evict);
    this.forgetIfSparse();
    return this;
  }

  record(): SlidingWindowRecord {
    const { failures, total } = this.totals;
    const started = this.newest !== -Infinity;
    return {
      task: TASK,
      windowStart: started ? this.newest - this.windowSeconds : null,
      windowEnd: started ? this.newest : null,
      failures,
      total,
      rate: rate(failures, total),
      late: this.late,
      services: this.totals.services(this.codes.values),
    };
  }

  /** What `run --once` prints at the end: the current window's record. */
  finalRecords(): SlidingWindowRecord[] {
    return [this.record()];
  }

  /**
   * A new state over both states' windows (see the class for exactly what it equals);
   * neither input changes.
   * @throws {StateError} naming `windowSeconds`, `clock` or `maxServices` when they differ.
   */
  merge(other: SlidingWindowState): SlidingWindowState {
    if (!(other instanceof SlidingWindowState)) {
      const clock = JSON.stringify((other as { clock?: unknown }).clock) ?? 'none';
      throw new StateError(`${TASK} states differ in clock: "event" and ${clock}`);
    }
    requireSameOptions(TASK, this.encodedOptions(), other.encodedOptions());
    const merged = new SlidingWindowState(this);
    merged.newest = Math.max(this.newest, other.newest);
    merged.late = this.late + other.late;
    const start = merged.newest - merged.windowSeconds;
    const a = this.entriesCodedBy(merged);
    const b = other.entriesCodedBy(merged);
    // Both runs are oldest first: merging them keeps every entry on the store's ring.
    let i = 0;
    let j = 0;
    while (i < a.times.length || j < b.times.length) {
      const fromA = j === b.times.length || (i < a.times.length && a.times[i]! <= b.times[j]!);
      const time = fromA ? a.times[i]! : b.times[j]!;
      const tag = fromA ? a.tags[i++]! : b.tags[j++]!;
      if (time >= start) merged.insert(tag >>> 2, time, tag & 3);
    }
    merged.forgetIfSparse();
    return merged;
  }

  /**
   * The state as JSON: `options` `{ windowSeconds, clock: 'event', maxServices }`, and
   * `newest` (null before the first event), `late`, and the window's entries as columns: `times` (Float64, base64),
   * `serviceIds` (Uint32, base64, indexes into `names`), `classes` (Uint8, base64: 0 without
   * status, 1 not a failure, 2 a failure), `names` (the window's services). Canonical: equal
   * windows give equal encodings (names sorted, entries by time, then service and class).
   */
  encode(): EncodedState {
    const names = this.codes.values;
    const order = Array.from(this.totals.presentIds()).sort((a, b) =>
      compareText(names[a]!, names[b]!),
    );
    const rank = new Uint32Array(names.length);
    for (let k = 0; k < order.length; k++) rank[order[k]!] = k;
    const { times, tags } = this.store.sortedEntries();
    const n = times.length;
    for (let i = 0; i < n; i++) tags[i] = rank[tags[i]! >>> 2]! * TAG_CLASSES + (tags[i]! & 3);
    // Entries of equal time come out of the store in no set order: sort each such run by tag.
    for (let start = 0, end = 1; start < n; start = end, end = start + 1) {
      while (end < n && times[end] === times[start]) end++;
      if (end - start > 1) tags.subarray(start, end).sort();
    }
    const serviceIds = new Uint32Array(n);
    const classes = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      serviceIds[i] = tags[i]! >>> 2;
      classes[i] = tags[i]! & 3;
    }
    return {
      task: TASK,
      version: VERSION,
      options: this.encodedOptions(),
      state: {
        newest: finiteOrNull(this.newest),
        late: this.late,
        times: encodeColumn(times),
        serviceIds: encodeColumn(serviceIds),
        classes: encodeColumn(classes),
        names: order.map((id) => names[id]!),
      },
    };
  }

  /**
   * The state of {@link encode}'s JSON (entries in any order).
   * @param options when given, the state must have been made with these (defaults applied).
   * @throws {StateError} for another task, another version, other options (naming the
   * option) or a corrupt field.
   * @throws {RangeError} when `options` itself is invalid.
   */
  static decode(encoded: unknown, options?: SlidingWindowStateOptions): SlidingWindowState {
    const expected = options === undefined ? undefined : { ...settingsOf(options), clock: 'event' };
    const { options: found, state: fields } = openEncoded(encoded, TASK, VERSION, expected);
    const windowSeconds = numberField(TASK, found, 'windowSeconds');
    if (windowSeconds < 0) throw new StateError(`${TASK} state: windowSeconds is negative`);
    if (found.clock !== 'event') {
      // Version 2 of the processing clock held arrivals here; its panes are SlidingPanesState's.
      throw new StateError(
        `${TASK} state: clock is ${JSON.stringify(found.clock) ?? 'missing'}, not "event"`,
      );
    }
    const maxServices = maxServicesOption(TASK, found);
    const state = new SlidingWindowState({ windowSeconds, maxServices });
    const newest = nullableNumberField(TASK, fields, 'newest');
    const late = countField(TASK, fields, 'late');
    const times = columnField(TASK, fields, 'times', Float64Array);
    const serviceIds = columnField(TASK, fields, 'serviceIds', Uint32Array);
    const classes = columnField(TASK, fields, 'classes', Uint8Array);
    const names = stringsField(TASK, fields, 'names');
    requireWithinLimit(TASK, 'names', names, maxServices);
    if (serviceIds.length !== times.length || classes.length !== times.length) {
      throw new StateError(`${TASK} state: times, serviceIds and classes differ in length`);
    }
    if (newest === null && (times.length > 0 || late > 0)) {
      throw new StateError(`${TASK} state: events without a newest time`);
    }
    const ids = state.codes.translate(names);
    if (state.codes.size !== names.length) {
      throw new StateError(`${TASK} state: names has a duplicate`);
    }
    state.totals.grow(state.codes.size);
    state.newest = newest ?? -Infinity;
    state.late = late;
    for (let i = 0; i < times.length; i++) {
      const time = times[i]!;
      if (!Number.isFinite(time) || time < state.newest - windowSeconds || time > state.newest) {
        throw new StateError(`${TASK} state: an entry's time ${time} is outside the window`);
      }
      if (serviceIds[i]! >= names.length) {
        throw new StateError(`${TASK} state: an entry's service id ${serviceIds[i]} has no name`);
      }
      if (classes[i]! > FAILURE) {
        throw new StateError(`${TASK} state: an entry's class ${classes[i]} is unknown`);
      }
      state.insert(ids[serviceIds[i]!]!, time, classes[i]!);
    }
    state.forgetIfSparse();
    return state;
  }

  private encodedOptions(): EncodedState['options'] {
    return { windowSeconds: this.windowSeconds, clock: this.clock, maxServices: this.maxServices };
  }

  /** Why an event is late now: the window's start it is older than. */
  private lateReason(): string {
    const start = this.newest - this.windowSeconds;
    return `older than the window start ${start} (window [${start}, ${this.newest}])`;
  }

  /** The batch's service ids turned into this state's, with room for their counts. */
  private translate(batch: EventBatch): Uint32Array {
    // Names of services gone from the window must not take the room of those in it.
    if (this.codes.wouldFold(batch.serviceNames)) this.forgetGone();
    const ids = this.codes.translate(batch.serviceNames);
    this.totals.grow(this.codes.size);
    return ids;
  }

  /** This window's entries, oldest first, their tags renumbered into `target`'s ids. */
  private entriesCodedBy(target: SlidingWindowState): { times: Float64Array; tags: Uint32Array } {
    const names = this.codes.values;
    const ids = new Uint32Array(names.length);
    for (const id of this.totals.presentIds()) ids[id] = target.codes.code(names[id]!);
    target.totals.grow(target.codes.size);
    const entries = this.store.sortedEntries();
    const tags = entries.tags;
    for (let i = 0; i < tags.length; i++) {
      tags[i] = ids[tags[i]! >>> 2]! * TAG_CLASSES + (tags[i]! & 3);
    }
    return entries;
  }

  private insert(id: number, time: number, statusClass: number): void {
    this.totals.addOne(id, statusClass !== WITHOUT_STATUS, statusClass === FAILURE);
    this.store.insert(time, id * TAG_CLASSES + statusClass);
  }

  // An arrow function so the store can call it without a fresh closure per eviction.
  private readonly evict = (tag: number): void => {
    const statusClass = tag & 3;
    this.totals.removeOne(tag >>> 2, statusClass !== WITHOUT_STATUS, statusClass === FAILURE);
  };

  /**
   * Drops the names of services that left the window, renumbering the others 0 … present − 1,
   * once enough of them have gathered (see MIN_DEAD_NAMES).
   */
  private forgetIfSparse(): void {
    const dead = this.codes.size - this.totals.presentCount;
    if (dead < MIN_DEAD_NAMES || dead * 8 < this.store.size) return;
    this.forgetGone();
  }

  /** Drops the names of services that left the window, renumbering the others 0 … present − 1. */
  private forgetGone(): void {
    const present = this.totals.presentIds();
    if (this.codes.size === present.length) return;
    const names = this.codes.values;
    const codes = serviceCodes(this.maxServices);
    this.overflowedBefore ||= this.codes.overflowed;
    const renumbered = new Uint32Array(names.length);
    for (let k = 0; k < present.length; k++) {
      codes.code(names[present[k]!]!);
      renumbered[present[k]!] = k;
    }
    this.totals.renumber(renumbered, present.length);
    this.store.relabel((tag) => renumbered[tag >>> 2]! * TAG_CLASSES + (tag & 3));
    this.codes = codes;
  }
}
