import {
  asyncScheduler,
  defer,
  map,
  type OperatorFunction,
  type SchedulerLike,
  timestamp,
} from 'rxjs';
import { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
import { grown } from './columns.js';
import { isFailure, rate } from './event.js';
import {
  byServiceName,
  compareText,
  type ServiceFailure,
  type SlidingWindowRecord,
} from './records.js';
import { checkMaxServices, DEFAULT_MAX_SERVICES, serviceCodes } from './service-limit.js';
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

/** What the window slides with: the events' timestamps, or their arrival time. */
export type SlidingWindowClock = 'event' | 'processing';

/** The options that shape a {@link SlidingWindowState}: states merge only when they are equal. */
export interface SlidingWindowStateOptions {
  /** Window length in seconds, finite and >= 0. Default 60. */
  readonly windowSeconds?: number;
  /**
   * `'event'` (default): the window slides with the events' timestamps.
   * `'processing'`: it slides with arrival time on `scheduler`, for sources whose
   * timestamps cannot be trusted.
   */
  readonly clock?: SlidingWindowClock;
  /**
   * Services in the window counted apart; the others are counted together as `(other)`.
   * Default 10,000.
   */
  readonly maxServices?: number;
}

export interface SlidingWindowOptions extends SlidingWindowStateOptions {
  /** The clock of `'processing'` mode (a TestScheduler in tests). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Continue from this state: the operator adds to this very value, so its owner can read,
   * encode or merge it at any time; one subscription at a time. Its window length, clock and
   * service bound are the operator's (`windowSeconds`, `clock` and `maxServices`, when given
   * too, must equal them).
   * Default: each subscription starts from an empty state of the options.
   */
  readonly state?: SlidingWindowState;
}

/** The window of {@link slidingWindow} when none is given: the last minute. */
export const DEFAULT_WINDOW_SECONDS = 60;

const TASK = 'sliding-window';
// 2: options gained maxServices.
const VERSION = 2;

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
 * Results equal a recount of every non-late event in the window. The window lives in a
 * {@link SlidingWindowState}; cost: 12 bytes per event in the window (a time and a
 * service-and-class tag in typed arrays, no object per event) plus one entry per service
 * present. An event at or after the newest in-order one costs amortized O(1); an
 * out-of-order event inside the window costs O(log h), h being the out-of-order events held;
 * each emission costs O(s log s) for the s services listed.
 *
 * Each subscription has its own window, unless `state` is given: then the operator continues
 * from that state and adds to it (one subscription at a time), so its owner can encode or
 * merge it whenever it likes (for a checkpoint, `--save-state`, or scale-out).
 *
 * ```
 * source: --a--b--c--|    a: [200 at t=30, 500 at t=90], b: 503 at t=100, c: 504 at t=155
 * slidingWindow()
 * result: --x--y--z--|    x: 1/2 in [30, 90], y: 2/2 in [40, 100], z: 2/2 in [95, 155]
 * ```
 *
 * @throws {RangeError} when `windowSeconds` is negative or not finite, `clock` is neither
 * `'event'` nor `'processing'`, or they differ from those of the given `state`.
 *
 * @example
 * ```ts
 * from([[{ service: 'api', timestamp: 90, message: 'HTTP Status Code: 500' }]])
 *   .pipe(slidingWindow({ windowSeconds: 60 }))
 *   .subscribe((r) => console.log(r.rate, r.windowStart)); // 1 30
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
  const { scheduler = asyncScheduler, state } = options;
  const settings = settingsOf(options);
  if (state !== undefined) {
    for (const name of ['windowSeconds', 'clock', 'maxServices'] as const) {
      if (options[name] !== undefined && options[name] !== state[name]) {
        throw new RangeError(
          `slidingWindow: ${name} is ${String(options[name])} but the given state's is ${String(state[name])}`,
        );
      }
    }
  }
  const stateFor = () => state ?? SlidingWindowState.create(settings);
  if ((state?.clock ?? settings.clock) === 'processing') {
    return (source) =>
      defer(() => {
        const window = stateFor();
        return source.pipe(
          timestamp(scheduler),
          map(({ value, timestamp: millis }) =>
            window.addArrivals(EventBatch.of(value), millis / 1000).record(),
          ),
        );
      });
  }
  return (source) =>
    defer(() => {
      const window = stateFor();
      return source.pipe(map((input) => window.add(EventBatch.of(input)).record()));
    });
}

interface Settings {
  readonly windowSeconds: number;
  readonly clock: SlidingWindowClock;
  readonly maxServices: number;
}

function settingsOf(options: SlidingWindowStateOptions): Settings {
  const {
    windowSeconds = DEFAULT_WINDOW_SECONDS,
    clock = 'event',
    maxServices = DEFAULT_MAX_SERVICES,
  } = options;
  if (!Number.isFinite(windowSeconds) || windowSeconds < 0) {
    throw new RangeError(`windowSeconds must be a finite number >= 0, got ${windowSeconds}`);
  }
  if (clock !== 'event' && clock !== 'processing') {
    throw new RangeError(`clock must be 'event' or 'processing', got ${String(clock)}`);
  }
  return { windowSeconds, clock, maxServices: checkMaxServices(maxServices) };
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

const MIN_SERVICES = 16;
// Names of services that left the window are dropped (ids renumbered) once there are at
// least this many and at least an eighth of the window's entries: the renumbering costs
// O(entries + names) and is paid for by the new names since the last one.
const MIN_DEAD_NAMES = 1024;

function capacityFor(n: number): number {
  let capacity = MIN_SERVICES;
  while (capacity < n) capacity *= 2;
  return capacity;
}

/**
 * Task 2's state: the events of the current sliding window (each a time, a service and
 * whether it has a status and is a failure), the newest time seen and the late count, as a
 * value that can be fed, turned into a record, encoded and merged. {@link slidingWindow} is a
 * thin RxJS wrapper around it.
 *
 * Shaped by `windowSeconds`, `clock` and `maxServices`: two states merge, and a state decodes against
 * options, only when both are equal. With the event clock it is fed by {@link add}, with the
 * processing clock by {@link addArrivals} (the arrival time comes from the caller, so the
 * state stays a pure value).
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
  readonly clock: SlidingWindowClock;
  /** Services in the window counted apart. */
  readonly maxServices: number;

  /** The state's own service ids: counts and tags are keyed by these. */
  private codes: StringCodes;
  private overflowedBefore = false;
  private readonly store = new TimeOrderedStore();
  /** Per service id: its events in the window (with or without a status), failures, total. */
  private events = new Uint32Array(MIN_SERVICES);
  private failuresOf = new Uint32Array(MIN_SERVICES);
  private totalOf = new Uint32Array(MIN_SERVICES);
  /** The ids with events in the window (the first `presentCount`), and each one's index there. */
  private present = new Uint32Array(MIN_SERVICES);
  private presentAt = new Uint32Array(MIN_SERVICES);
  private presentCount = 0;
  private newest = -Infinity;
  private failures = 0;
  private total = 0;
  private late = 0;

  private constructor(settings: Settings) {
    this.windowSeconds = settings.windowSeconds;
    this.clock = settings.clock;
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
   * @throws {RangeError} when `windowSeconds` is negative or not finite, or `clock` unknown.
   */
  static create(options: SlidingWindowStateOptions = {}): SlidingWindowState {
    return new SlidingWindowState(settingsOf(options));
  }

  /**
   * Adds one batch by event time, in place, event by event in batch order (lateness is
   * decided against the newest timestamp seen before each event).
   * @throws {Error} on a state of the processing clock (use {@link addArrivals}).
   */
  add(batch: EventBatch): this {
    if (this.clock !== 'event') {
      throw new Error('a processing-clock sliding-window state is fed with addArrivals()');
    }
    const ids = this.translate(batch);
    const { serviceIds, times, statuses } = batch;
    const windowSeconds = this.windowSeconds;
    for (let i = 0; i < batch.length; i++) {
      const time = times[i]!;
      if (time < this.newest - windowSeconds) {
        this.late += 1;
        continue;
      }
      this.insert(ids[serviceIds[i]!]!, time, classOf(statuses[i]!));
      if (time > this.newest) {
        this.newest = time;
        this.store.evictBefore(time - windowSeconds, this.evict);
      }
    }
    this.forgetIfSparse();
    return this;
  }

  /**
   * Adds one batch that arrived at `nowSeconds` (processing clock), in place: every event is
   * stamped with that time, timestamps are not read, and the window then ends there. An
   * empty batch moves the window too, once an event has arrived.
   * @throws {Error} on a state of the event clock (use {@link add}).
   * @throws {RangeError} when `nowSeconds` is not finite.
   */
  addArrivals(batch: EventBatch, nowSeconds: number): this {
    if (this.clock !== 'processing') {
      throw new Error('an event-clock sliding-window state is fed with add()');
    }
    if (!Number.isFinite(nowSeconds)) {
      throw new RangeError(`nowSeconds must be a finite number, got ${nowSeconds}`);
    }
    if (batch.length === 0 && this.newest === -Infinity) return this;
    // A clock that steps back must not make arrivals late: time here only moves forward.
    const now = Math.max(nowSeconds, this.newest);
    const ids = this.translate(batch);
    const { serviceIds, statuses } = batch;
    for (let i = 0; i < batch.length; i++) {
      this.insert(ids[serviceIds[i]!]!, now, classOf(statuses[i]!));
    }
    this.newest = now;
    this.store.evictBefore(now - this.windowSeconds, this.evict);
    this.forgetIfSparse();
    return this;
  }

  record(): SlidingWindowRecord {
    const names = this.codes.values;
    const services: ServiceFailure[] = [];
    for (let k = 0; k < this.presentCount; k++) {
      const id = this.present[k]!;
      const failures = this.failuresOf[id]!;
      const total = this.totalOf[id]!;
      services.push({ service: names[id]!, failures, total, rate: rate(failures, total) });
    }
    const started = this.newest !== -Infinity;
    return {
      task: TASK,
      windowStart: started ? this.newest - this.windowSeconds : null,
      windowEnd: started ? this.newest : null,
      failures: this.failures,
      total: this.total,
      rate: rate(this.failures, this.total),
      late: this.late,
      services: services.sort(byServiceName),
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
   * The state as JSON: `options` `{ windowSeconds, clock, maxServices }`, and `newest` (null before the
   * first event), `late`, and the window's entries as columns: `times` (Float64, base64),
   * `serviceIds` (Uint32, base64, indexes into `names`), `classes` (Uint8, base64: 0 without
   * status, 1 not a failure, 2 a failure), `names` (the window's services). Canonical: equal
   * windows give equal encodings (names sorted, entries by time, then service and class).
   */
  encode(): EncodedState {
    const names = this.codes.values;
    const order = Array.from(this.present.subarray(0, this.presentCount)).sort((a, b) =>
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
    const expected = options === undefined ? undefined : { ...settingsOf(options) };
    const { options: found, state: fields } = openEncoded(encoded, TASK, VERSION, expected);
    const windowSeconds = numberField(TASK, found, 'windowSeconds');
    if (windowSeconds < 0) throw new StateError(`${TASK} state: windowSeconds is negative`);
    const clock = found.clock;
    if (clock !== 'event' && clock !== 'processing') {
      throw new StateError(`${TASK} state: clock is ${JSON.stringify(clock) ?? 'missing'}`);
    }
    const maxServices = maxServicesOption(TASK, found);
    const state = new SlidingWindowState({ windowSeconds, clock, maxServices });
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
    state.grow(state.codes.size);
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

  /** The batch's service ids turned into this state's, with room for their counts. */
  private translate(batch: EventBatch): Uint32Array {
    // Names of services gone from the window must not take the room of those in it.
    if (this.codes.size + batch.serviceNames.length > this.maxServices) this.forgetGone();
    const ids = this.codes.translate(batch.serviceNames);
    this.grow(this.codes.size);
    return ids;
  }

  /** This window's entries, oldest first, their tags renumbered into `target`'s ids. */
  private entriesCodedBy(target: SlidingWindowState): { times: Float64Array; tags: Uint32Array } {
    const names = this.codes.values;
    const ids = new Uint32Array(names.length);
    for (let k = 0; k < this.presentCount; k++) {
      const id = this.present[k]!;
      ids[id] = target.codes.code(names[id]!);
    }
    target.grow(target.codes.size);
    const entries = this.store.sortedEntries();
    const tags = entries.tags;
    for (let i = 0; i < tags.length; i++) {
      tags[i] = ids[tags[i]! >>> 2]! * TAG_CLASSES + (tags[i]! & 3);
    }
    return entries;
  }

  private insert(id: number, time: number, statusClass: number): void {
    const events = this.events;
    if (events[id] === 0) {
      this.presentAt[id] = this.presentCount;
      this.present[this.presentCount] = id;
      this.presentCount += 1;
    }
    events[id]! += 1;
    if (statusClass !== WITHOUT_STATUS) {
      this.totalOf[id]! += 1;
      this.total += 1;
    }
    if (statusClass === FAILURE) {
      this.failuresOf[id]! += 1;
      this.failures += 1;
    }
    this.store.insert(time, id * TAG_CLASSES + statusClass);
  }

  // An arrow function so the store can call it without a fresh closure per eviction.
  private readonly evict = (tag: number): void => {
    const id = tag >>> 2;
    const statusClass = tag & 3;
    if (statusClass !== WITHOUT_STATUS) {
      this.totalOf[id]! -= 1;
      this.total -= 1;
    }
    if (statusClass === FAILURE) {
      this.failuresOf[id]! -= 1;
      this.failures -= 1;
    }
    this.events[id]! -= 1;
    if (this.events[id] === 0) {
      // Swap-remove from the present ids, so a record costs the services present only.
      this.presentCount -= 1;
      const moved = this.present[this.presentCount]!;
      const at = this.presentAt[id]!;
      this.present[at] = moved;
      this.presentAt[moved] = at;
    }
  };

  /** Makes room for the counts of ids below `size`. */
  private grow(size: number): void {
    if (size <= this.events.length) return;
    const capacity = capacityFor(size);
    this.events = grown(this.events, capacity);
    this.failuresOf = grown(this.failuresOf, capacity);
    this.totalOf = grown(this.totalOf, capacity);
    this.present = grown(this.present, capacity);
    this.presentAt = grown(this.presentAt, capacity);
  }

  /**
   * Drops the names of services that left the window, renumbering the others 0 … present − 1,
   * once enough of them have gathered (see MIN_DEAD_NAMES).
   */
  private forgetIfSparse(): void {
    const dead = this.codes.size - this.presentCount;
    if (dead < MIN_DEAD_NAMES || dead * 8 < this.store.size) return;
    this.forgetGone();
  }

  /** Drops the names of services that left the window, renumbering the others 0 … present − 1. */
  private forgetGone(): void {
    if (this.codes.size === this.presentCount) return;
    const names = this.codes.values;
    const codes = serviceCodes(this.maxServices);
    this.overflowedBefore ||= this.codes.overflowed;
    const capacity = capacityFor(this.presentCount);
    const renumbered = new Uint32Array(names.length);
    const events = new Uint32Array(capacity);
    const failuresOf = new Uint32Array(capacity);
    const totalOf = new Uint32Array(capacity);
    const present = new Uint32Array(capacity);
    const presentAt = new Uint32Array(capacity);
    for (let k = 0; k < this.presentCount; k++) {
      const id = this.present[k]!;
      codes.code(names[id]!);
      renumbered[id] = k;
      events[k] = this.events[id]!;
      failuresOf[k] = this.failuresOf[id]!;
      totalOf[k] = this.totalOf[id]!;
      present[k] = k;
      presentAt[k] = k;
    }
    this.store.relabel((tag) => renumbered[tag >>> 2]! * TAG_CLASSES + (tag & 3));
    this.codes = codes;
    this.events = events;
    this.failuresOf = failuresOf;
    this.totalOf = totalOf;
    this.present = present;
    this.presentAt = presentAt;
  }
}
