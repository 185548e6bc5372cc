/**
 * Task 2 over arrival time: the state behind `slidingWindow({ clock: 'processing' })`, whose
 * panes RxJS's `windowTime` cuts on the scheduler's clock.
 */
import { type EventBatch, NO_STATUS } from './batch.js';
import { capacityFor, grown, MIN_SERVICE_ROWS } from './columns.js';
import { isFailure, rate } from './event.js';
import { compareText, type SlidingWindowRecord } from './records.js';
import { checkMaxServices, DEFAULT_MAX_SERVICES, serviceCodes } from './service-limit.js';
import type { StringCodes } from './string-codes.js';
import {
  columnField,
  type EncodedState,
  encodeColumn,
  maxServicesOption,
  numberField,
  openEncoded,
  requireKnownOptions,
  requireSameOptions,
  requireWithinLimit,
  StateError,
  stringsField,
  type TaskState,
} from './task-state.js';
import { WindowTotals } from './window-totals.js';

/** The window of {@link slidingWindow} when none is given: the last minute. */
export const DEFAULT_WINDOW_SECONDS = 60;

/** How often the processing clock emits a record when no `slideSeconds` is given. */
export const DEFAULT_SLIDE_SECONDS = 1;

/** The options that shape a {@link SlidingPanesState}: states merge only when they are equal. */
export interface SlidingPanesStateOptions {
  /** Window length in seconds, finite and > 0. Default 60. */
  readonly windowSeconds?: number;
  /** Pane length in seconds: one record per slide. Finite, > 0 and <= `windowSeconds`. Default 1. */
  readonly slideSeconds?: number;
  /**
   * Services in the window counted apart; the others are counted together as `(other)`.
   * Default 10,000.
   */
  readonly maxServices?: number;
}

const TASK = 'sliding-window';
// 3: panes of counts. Versions 1-2 of the processing clock held every arrival (a time per
// event, as the event clock still does) and were a SlidingWindowState.
const VERSION = 3;
const OPTIONS = ['windowSeconds', 'slideSeconds', 'clock', 'maxServices'];

// A pane's counts are Uint32 columns (a count past this in one pane is beyond any log).
const MAX_COUNT = 0xffff_ffff;
// As in SlidingWindowState: names of services gone from the window are dropped (ids
// renumbered) once there are this many and at least an eighth of the entries held.
const MIN_DEAD_NAMES = 1024;
const NO_IDS = new Uint32Array(0);

interface Settings {
  readonly windowSeconds: number;
  readonly slideSeconds: number;
  readonly maxServices: number;
}

function settingsOf(options: SlidingPanesStateOptions): Settings {
  const {
    windowSeconds = DEFAULT_WINDOW_SECONDS,
    slideSeconds = DEFAULT_SLIDE_SECONDS,
    maxServices = DEFAULT_MAX_SERVICES,
  } = options;
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`windowSeconds must be a finite number > 0, got ${windowSeconds}`);
  }
  if (!Number.isFinite(slideSeconds) || slideSeconds <= 0) {
    throw new RangeError(`slideSeconds must be a finite number > 0, got ${slideSeconds}`);
  }
  if (slideSeconds > windowSeconds) {
    throw new RangeError(
      `slideSeconds (${slideSeconds}) must not be longer than windowSeconds (${windowSeconds})`,
    );
  }
  return { windowSeconds, slideSeconds, maxServices: checkMaxServices(maxServices) };
}

/** A closed pane: its end, and per service with an event in it, that service's counts. */
interface Pane {
  readonly end: number;
  /** The state's ids of the pane's services, each once. */
  ids: Uint32Array;
  /** Per entry: events (with or without a status, >= 1), failures, events with a status. */
  readonly events: Uint32Array;
  readonly failures: Uint32Array;
  readonly totals: Uint32Array;
}

/**
 * Task 2's state over arrival time: a window of panes, each the counts (events, failures,
 * events with a status, per service) of what arrived while it was open, summed into running
 * totals as panes close and subtracted as they leave; and the open pane, which the next
 * batches go into. {@link slidingWindow} with `clock: 'processing'` feeds it from RxJS's
 * `windowTime`: each batch of a pane is {@link add}ed, and {@link closePane} closes the pane
 * at the scheduler's time. The times come from the caller, so the state stays a pure value.
 *
 * **Which panes are in the window.** With panes closing every slide, the last
 * k = ceil(windowSeconds / slideSeconds): the window keeps each closed pane whose end is
 * within (k − ½) slides of the newest end, so timers that fire a little late (real
 * schedulers do), a pane cut short by the source's completion, or a gap (a state resumed
 * the next day) never keep a pane from further back than the window, give or take half a
 * slide. A record covers whole panes: `windowStart` is `windowEnd - windowSeconds`, and
 * when `windowSeconds` is not a multiple of the slide the panes reach up to a slide
 * earlier. The clock only moves forward: a pane closed at or before the newest end (a
 * clock stepped back) is added to the newest pane.
 *
 * **Cost.** Per event O(1) (counted into the open pane; services are translated once per
 * batch); per closed pane O(s) for the s services of the panes that enter and leave, plus
 * O(s log s) for the record of the services in the window: none of it grows with
 * windowSeconds / slideSeconds. Memory: one pane of 16 bytes per service in it for each of
 * the k panes, plus the running totals per service.
 *
 * **What merge guarantees.** Pane-wise by end: `a.merge(b)` holds every closed pane of
 * either, the panes of equal end summed, then the window of the newest end of both (as
 * above); the open panes are summed. Merge is associative and commutative in its record
 * and encoding while the services fit `maxServices`, and an empty state of the same options
 * is its identity. When both parts cut their panes at the same times (one scheduler, for
 * example services split between two states fed by the same `windowTime`), the merged
 * record is exactly that of one state over both parts. Parts on different clocks keep
 * their own panes: the merged window holds each part's panes of the last window of the
 * newest end, so its counts are those of both parts over that window, to within a pane.
 *
 * Bounded by `maxServices` like the others: past it, services new to the state are counted
 * together as `(other)` while they stay in the window; the names of services that left the
 * window are forgotten first.
 */
export class SlidingPanesState implements TaskState<SlidingPanesState, SlidingWindowRecord> {
  readonly task = TASK;
  /** The clock this state follows: arrival time. */
  readonly clock = 'processing';
  /** Window length in seconds. */
  readonly windowSeconds: number;
  /** Pane length in seconds: the records' period. */
  readonly slideSeconds: number;
  /** Services in the window counted apart. */
  readonly maxServices: number;
  /** Panes in a window when panes close every slide: ceil(windowSeconds / slideSeconds). */
  readonly panesPerWindow: number;
  /** How far before the newest end a closed pane may end and stay: (k − ½) slides. */
  private readonly reach: number;

  private codes: StringCodes;
  private overflowedBefore = false;
  /** The closed panes in the window, oldest first, from `head` on. */
  private panes: Pane[] = [];
  private head = 0;
  /** Entries of the closed panes in the window. */
  private entries = 0;
  /** Per service id: the closed panes' events, failures and total; and the overall ones. */
  private readonly totals = new WindowTotals();
  /** The open pane: per id its counts, and the ids with an event in it (the first `openCount`). */
  private openEvents = new Float64Array(MIN_SERVICE_ROWS);
  private openFailures = new Float64Array(MIN_SERVICE_ROWS);
  private openTotals = new Float64Array(MIN_SERVICE_ROWS);
  private openIds = new Uint32Array(MIN_SERVICE_ROWS);
  private openCount = 0;

  private constructor(settings: Settings) {
    this.windowSeconds = settings.windowSeconds;
    this.slideSeconds = settings.slideSeconds;
    this.maxServices = settings.maxServices;
    // A hair under the quotient, so 7 / 0.07 = 100.00000000000001 is 100 panes.
    this.panesPerWindow = Math.max(1, Math.ceil(this.windowSeconds / this.slideSeconds - 1e-9));
    this.reach = (this.panesPerWindow - 0.5) * this.slideSeconds;
    this.codes = serviceCodes(settings.maxServices);
  }

  /**
   * An empty state.
   * @throws {RangeError} when `windowSeconds` or `slideSeconds` is not a finite number > 0,
   * the slide is longer than the window, or `maxServices` is not an integer >= 1.
   */
  static create(options: SlidingPanesStateOptions = {}): SlidingPanesState {
    return new SlidingPanesState(settingsOf(options));
  }

  /**
   * Whether a service was counted as `(other)` for want of room since this state was made
   * or decoded (a saved state keeps no such flag).
   */
  get overflowed(): boolean {
    return this.overflowedBefore || this.codes.overflowed;
  }

  /** The end of the newest closed pane, in seconds; null before the first. */
  get newestEnd(): number | null {
    return this.head < this.panes.length ? this.panes[this.panes.length - 1]!.end : null;
  }

  /** Counts one batch into the open pane, in place; timestamps are not read. */
  add(batch: EventBatch): this {
    const ids = this.translate(batch.serviceNames);
    const { serviceIds, statuses } = batch;
    for (let i = 0; i < batch.length; i++) {
      const status = statuses[i]!;
      this.count(
        ids[serviceIds[i]!]!,
        1,
        status !== NO_STATUS && isFailure(status) ? 1 : 0,
        status === NO_STATUS ? 0 : 1,
      );
    }
    return this;
  }

  /**
   * Closes the open pane at `endSeconds` (the scheduler's time when `windowTime` closed
   * it), in place: the pane enters the window, an empty one too, and the panes that the
   * window's new end leaves behind are subtracted. The next batches go into a new pane.
   * @throws {RangeError} when `endSeconds` is not finite.
   */
  closePane(endSeconds: number): this {
    if (!Number.isFinite(endSeconds)) {
      throw new RangeError(`endSeconds must be a finite number, got ${endSeconds}`);
    }
    const newest = this.newestEnd;
    if (newest !== null && endSeconds <= newest) {
      // Reopen the newest pane, so that ends stay strictly increasing.
      const pane = this.panes.pop()!;
      this.subtract(pane);
      for (let k = 0; k < pane.ids.length; k++) {
        this.count(pane.ids[k]!, pane.events[k]!, pane.failures[k]!, pane.totals[k]!);
      }
      endSeconds = newest;
    }
    const pane = this.takeOpenPane(endSeconds);
    this.panes.push(pane);
    this.entries += pane.ids.length;
    for (let k = 0; k < pane.ids.length; k++) {
      this.totals.add(pane.ids[k]!, pane.events[k]!, pane.failures[k]!, pane.totals[k]!);
    }
    const oldestKept = endSeconds - this.reach;
    while (this.panes[this.head]!.end <= oldestKept) this.subtract(this.panes[this.head++]!);
    if (this.head > 16 && this.head * 2 > this.panes.length) {
      this.panes = this.panes.slice(this.head);
      this.head = 0;
    }
    this.forgetIfSparse();
    return this;
  }

  /**
   * The window as of the last closed pane: it ends at that pane's end. The open pane is not
   * in it (its events show from its close). `late` is always 0: nothing arrives late.
   */
  record(): SlidingWindowRecord {
    const { failures, total } = this.totals;
    const end = this.newestEnd;
    return {
      task: TASK,
      windowStart: end === null ? null : end - this.windowSeconds,
      windowEnd: end,
      failures,
      total,
      rate: rate(failures, total),
      late: 0,
      services: this.totals.services(this.codes.values),
    };
  }

  /**
   * What `logstream merge` prints: the window as of the last closed pane (the operator
   * closes the last, partial pane when its source completes, so a state saved at the end of
   * a run has nothing open).
   */
  finalRecords(): SlidingWindowRecord[] {
    return [this.record()];
  }

  /**
   * A new state over both states' panes (see the class for exactly what it equals); neither
   * input changes.
   * @throws {StateError} naming `windowSeconds`, `slideSeconds`, `clock` or `maxServices`
   * when they differ.
   */
  merge(other: SlidingPanesState): SlidingPanesState {
    if (!(other instanceof SlidingPanesState)) {
      const clock = JSON.stringify((other as { clock?: unknown }).clock) ?? 'none';
      throw new StateError(`${TASK} states differ in clock: "processing" and ${clock}`);
    }
    requireSameOptions(TASK, this.encodedOptions(), other.encodedOptions());
    const merged = new SlidingPanesState(this);
    const a = this.panes;
    const b = other.panes;
    let i = this.head;
    let j = other.head;
    // Oldest first, each end closed once: the window's end only moves forward on the way.
    while (i < a.length || j < b.length) {
      const end = Math.min(a[i]?.end ?? Infinity, b[j]?.end ?? Infinity);
      if (a[i]?.end === end) merged.countPane(this, a[i++]!);
      if (b[j]?.end === end) merged.countPane(other, b[j++]!);
      merged.closePane(end);
    }
    merged.countOpen(this);
    merged.countOpen(other);
    return merged;
  }

  /**
   * The state as JSON: `options` `{ windowSeconds, slideSeconds, clock: 'processing',
   * maxServices }`, and as columns: `ends` (Float64, base64: each closed pane's end, oldest
   * first), `sizes` (Uint32: each closed pane's number of entries, then the open pane's),
   * and the entries of the panes in that order: `serviceIds` (Uint32, indexes into
   * `names`), `events`, `failures`, `totals` (Uint32); `names` (the services of the panes).
   * Canonical: equal states give equal encodings (names sorted, each pane's entries by name).
   */
  encode(): EncodedState {
    const names = this.codes.values;
    const live = this.liveIds();
    const order = Array.from(live).sort((x, y) => compareText(names[x]!, names[y]!));
    const rank = new Uint32Array(names.length);
    for (let k = 0; k < order.length; k++) rank[order[k]!] = k;
    const open = this.openPane(0);
    const panes = [...this.panes.slice(this.head), open];
    const n = this.entries + open.ids.length;
    const serviceIds = new Uint32Array(n);
    const events = new Uint32Array(n);
    const failures = new Uint32Array(n);
    const totals = new Uint32Array(n);
    const sizes = new Uint32Array(panes.length);
    let at = 0;
    panes.forEach((pane, p) => {
      sizes[p] = pane.ids.length;
      const entries = Array.from(pane.ids.keys()).sort(
        (x, y) => rank[pane.ids[x]!]! - rank[pane.ids[y]!]!,
      );
      for (const k of entries) {
        serviceIds[at] = rank[pane.ids[k]!]!;
        events[at] = pane.events[k]!;
        failures[at] = pane.failures[k]!;
        totals[at] = pane.totals[k]!;
        at += 1;
      }
    });
    return {
      task: TASK,
      version: VERSION,
      options: this.encodedOptions(),
      state: {
        ends: encodeColumn(Float64Array.from(panes.slice(0, -1), (pane) => pane.end)),
        sizes: encodeColumn(sizes),
        serviceIds: encodeColumn(serviceIds),
        events: encodeColumn(events),
        failures: encodeColumn(failures),
        totals: encodeColumn(totals),
        names: order.map((id) => names[id]!),
      },
    };
  }

  /**
   * The state of {@link encode}'s JSON.
   * @param options when given, the state must have been made with these (defaults applied).
   * @throws {StateError} for another task, another version (versions 1-2 of the processing
   * clock among them), other options (naming the option) or a corrupt field.
   * @throws {RangeError} when `options` itself is invalid.
   */
  static decode(encoded: unknown, options?: SlidingPanesStateOptions): SlidingPanesState {
    const expected =
      options === undefined ? undefined : { ...settingsOf(options), clock: 'processing' };
    const { options: found, state: fields } = openEncoded(encoded, TASK, VERSION, expected);
    requireKnownOptions(TASK, found, OPTIONS);
    if (found.clock !== 'processing') {
      throw new StateError(`${TASK} state: clock is ${JSON.stringify(found.clock) ?? 'missing'}`);
    }
    const windowSeconds = numberField(TASK, found, 'windowSeconds');
    const slideSeconds = numberField(TASK, found, 'slideSeconds');
    if (windowSeconds <= 0 || slideSeconds <= 0 || slideSeconds > windowSeconds) {
      throw new StateError(
        `${TASK} state: windowSeconds ${windowSeconds} and slideSeconds ${slideSeconds} are not a window of panes`,
      );
    }
    const maxServices = maxServicesOption(TASK, found);
    const state = new SlidingPanesState({ windowSeconds, slideSeconds, maxServices });
    const ends = columnField(TASK, fields, 'ends', Float64Array);
    const sizes = columnField(TASK, fields, 'sizes', Uint32Array);
    const serviceIds = columnField(TASK, fields, 'serviceIds', Uint32Array);
    const events = columnField(TASK, fields, 'events', Uint32Array);
    const failures = columnField(TASK, fields, 'failures', Uint32Array);
    const totals = columnField(TASK, fields, 'totals', Uint32Array);
    const names = stringsField(TASK, fields, 'names');
    requireWithinLimit(TASK, 'names', names, maxServices);
    if (sizes.length !== ends.length + 1) {
      throw new StateError(
        `${TASK} state: sizes has ${sizes.length} panes, ends ${ends.length} + 1`,
      );
    }
    const n = serviceIds.length;
    if (events.length !== n || failures.length !== n || totals.length !== n) {
      throw new StateError(
        `${TASK} state: serviceIds, events, failures and totals differ in length`,
      );
    }
    if (sizes.reduce((sum, size) => sum + size, 0) !== n) {
      throw new StateError(`${TASK} state: sizes do not add up to the entries`);
    }
    const last = ends.length > 0 ? ends[ends.length - 1]! : 0;
    for (let p = 0; p < ends.length; p++) {
      const end = ends[p]!;
      if (!Number.isFinite(end) || end <= last - state.reach || (p > 0 && end <= ends[p - 1]!)) {
        throw new StateError(
          `${TASK} state: pane end ${end} is out of order or outside the window`,
        );
      }
    }
    const ids = state.codes.translate(names);
    if (state.codes.size !== names.length) {
      throw new StateError(`${TASK} state: names has a duplicate`);
    }
    state.grow(state.codes.size);
    let at = 0;
    for (let p = 0; p < sizes.length; p++) {
      const first = at;
      for (const end = at + sizes[p]!; at < end; at++) {
        const service = serviceIds[at]!;
        // Ascending ids within a pane, as encode writes them: no service twice in a pane.
        if (service >= names.length || (at > first && service <= serviceIds[at - 1]!)) {
          throw new StateError(
            `${TASK} state: a pane's service id ${service} is unknown or repeated`,
          );
        }
        if (events[at] === 0 || totals[at]! > events[at]! || failures[at]! > totals[at]!) {
          throw new StateError(
            `${TASK} state: inconsistent counts (${failures[at]} failures of ${totals[at]} with a status of ${events[at]} events)`,
          );
        }
        state.count(ids[service]!, events[at]!, failures[at]!, totals[at]!);
      }
      if (p < ends.length) state.closePane(ends[p]!);
    }
    return state;
  }

  private encodedOptions(): EncodedState['options'] {
    return {
      windowSeconds: this.windowSeconds,
      slideSeconds: this.slideSeconds,
      clock: this.clock,
      maxServices: this.maxServices,
    };
  }

  /** `names` (another coder's values) turned into this state's ids, with room for their counts. */
  private translate(names: readonly string[]): Uint32Array {
    // Names of services gone from the window must not take the room of those in it.
    if (this.codes.wouldFold(names)) this.forgetGone();
    const ids = this.codes.translate(names);
    this.grow(this.codes.size);
    return ids;
  }

  /** Adds counts of the service `id` to the open pane. */
  private count(id: number, events: number, failures: number, totals: number): void {
    if (this.openEvents[id] === 0) this.openIds[this.openCount++] = id;
    this.openEvents[id]! += events;
    this.openFailures[id]! += failures;
    this.openTotals[id]! += totals;
  }

  /** Adds `pane` of `from` (another state) to the open pane. */
  private countPane(from: SlidingPanesState, pane: Pane): void {
    const ids = this.translate(Array.from(pane.ids, (id) => from.codes.values[id]!));
    for (let k = 0; k < pane.ids.length; k++) {
      this.count(ids[k]!, pane.events[k]!, pane.failures[k]!, pane.totals[k]!);
    }
  }

  /** Adds the open pane of `from` (another state) to this one's. */
  private countOpen(from: SlidingPanesState): void {
    this.countPane(from, from.openPane(0));
  }

  /** The open pane as a pane ending at `end`, leaving it as it is. */
  private openPane(end: number): Pane {
    const n = this.openCount;
    const ids = this.openIds.slice(0, n);
    const pane: Pane = {
      end,
      ids,
      events: new Uint32Array(n),
      failures: new Uint32Array(n),
      totals: new Uint32Array(n),
    };
    for (let k = 0; k < n; k++) {
      const id = ids[k]!;
      pane.events[k] = Math.min(this.openEvents[id]!, MAX_COUNT);
      pane.failures[k] = Math.min(this.openFailures[id]!, MAX_COUNT);
      pane.totals[k] = Math.min(this.openTotals[id]!, MAX_COUNT);
    }
    return pane;
  }

  /** The open pane as a pane ending at `end`, and a new empty open pane. */
  private takeOpenPane(end: number): Pane {
    const pane = this.openCount === 0 ? emptyPane(end) : this.openPane(end);
    for (const id of pane.ids) {
      this.openEvents[id] = 0;
      this.openFailures[id] = 0;
      this.openTotals[id] = 0;
    }
    this.openCount = 0;
    return pane;
  }

  /** Takes a closed pane's counts out of the window's totals. */
  private subtract(pane: Pane): void {
    this.entries -= pane.ids.length;
    for (let k = 0; k < pane.ids.length; k++) {
      this.totals.remove(pane.ids[k]!, pane.events[k]!, pane.failures[k]!, pane.totals[k]!);
    }
  }

  /** The ids with an event in the window or in the open pane. */
  private liveIds(): Uint32Array {
    const present = this.totals.presentIds();
    const live = new Uint32Array(present.length + this.openCount);
    live.set(present);
    let n = present.length;
    for (let k = 0; k < this.openCount; k++) {
      const id = this.openIds[k]!;
      if (this.totals.events[id] === 0) live[n++] = id;
    }
    return live.subarray(0, n);
  }

  /** Makes room for the counts of ids below `size`. */
  private grow(size: number): void {
    this.totals.grow(size);
    if (size <= this.openEvents.length) return;
    const capacity = capacityFor(size);
    this.openEvents = grown(this.openEvents, capacity);
    this.openFailures = grown(this.openFailures, capacity);
    this.openTotals = grown(this.openTotals, capacity);
    this.openIds = grown(this.openIds, capacity);
  }

  /** Drops the names of services that left the window once enough have gathered. */
  private forgetIfSparse(): void {
    const dead = this.codes.size - this.totals.presentCount - this.openCount;
    if (dead < MIN_DEAD_NAMES || dead * 8 < this.entries + this.openCount) return;
    this.forgetGone();
  }

  /** Drops the names of services in no pane, renumbering the others 0 … live − 1. */
  private forgetGone(): void {
    const live = this.liveIds();
    if (this.codes.size === live.length) return;
    const names = this.codes.values;
    const codes = serviceCodes(this.maxServices);
    this.overflowedBefore ||= this.codes.overflowed;
    const renumbered = new Uint32Array(names.length);
    for (let k = 0; k < live.length; k++) {
      codes.code(names[live[k]!]!);
      renumbered[live[k]!] = k;
    }
    const remap = <T extends Float64Array | Uint32Array>(column: T, make: (n: number) => T): T => {
      const moved = make(column.length);
      for (const id of live) moved[renumbered[id]!] = column[id]!;
      return moved;
    };
    const f64 = (n: number) => new Float64Array(n);
    this.totals.renumber(renumbered, this.openEvents.length);
    this.openEvents = remap(this.openEvents, f64);
    this.openFailures = remap(this.openFailures, f64);
    this.openTotals = remap(this.openTotals, f64);
    for (let k = 0; k < this.openCount; k++) this.openIds[k] = renumbered[this.openIds[k]!]!;
    for (let p = this.head; p < this.panes.length; p++) {
      const pane = this.panes[p]!;
      pane.ids = pane.ids.map((id) => renumbered[id]!);
    }
    this.codes = codes;
  }
}

function emptyPane(end: number): Pane {
  return { end, ids: NO_IDS, events: NO_IDS, failures: NO_IDS, totals: NO_IDS };
}
