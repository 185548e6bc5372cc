import { defer, map, type OperatorFunction } from 'rxjs';
import { EventBatch, type OperatorInput } from './batch.js';
import { rate } from './event.js';
import type { RunningAverageRecord } from './records.js';
import { checkMaxServices, DEFAULT_MAX_SERVICES } from './service-limit.js';
import { SuccessCounts } from './success-counts.js';
import {
  type EncodedState,
  maxServicesOption,
  nullableNumberField,
  openEncoded,
  requireKnownOptions,
  requireSameOptions,
  StateError,
  type TaskState,
} from './task-state.js';

const TASK = 'running-average';
// 2: options gained maxServices.
const VERSION = 2;

/**
 * The state of Task 1: success counts since the start, overall and per service, and the
 * oldest and newest timestamp of every valid event.
 *
 * Every field is a sum or a minimum/maximum, so `a.merge(b)` is exactly the state of one
 * run over the events of both, however the input was split into parts and batches and in
 * whichever order and grouping the parts' states are merged: the records are equal to the
 * last digit. Merge is associative and commutative, and an empty state is its identity.
 * Its one option, `maxServices`, bounds the services counted apart (the rest are counted
 * together as `(other)`); two states merge when it is equal. While the services of both
 * parts number at most `maxServices`, all of the above holds. Past the bound, totals,
 * times and rates stay exact, but the split between services may not: the services kept
 * apart are those that arrived first (this state's first in a merge), and a service the
 * other state already counted under `(other)` stays there.
 *
 * @example
 * ```ts
 * const a = RunningAverageState.create().add(EventBatch.of(firstHalf));
 * const b = RunningAverageState.create().add(EventBatch.of(secondHalf));
 * a.merge(b).record(); // the record of one run over both halves
 * RunningAverageState.decode(JSON.parse(JSON.stringify(a.encode()))).record(); // a's record
 * ```
 */
export class RunningAverageState implements TaskState<RunningAverageState, RunningAverageRecord> {
  readonly task = TASK;

  private constructor(
    private readonly counts: SuccessCounts,
    // ±Infinity until the first event: no comparison in the hot loop needs a special case.
    private oldest: number,
    private newest: number,
  ) {}

  /**
   * An empty state.
   * @throws {RangeError} when `maxServices` is not an integer >= 1.
   */
  static create(options: RunningAverageStateOptions = {}): RunningAverageState {
    const maxServices = checkMaxServices(options.maxServices ?? DEFAULT_MAX_SERVICES);
    return new RunningAverageState(new SuccessCounts(maxServices), Infinity, -Infinity);
  }

  /** The options that shape this state. */
  get options(): Required<RunningAverageStateOptions> {
    return { maxServices: this.counts.maxServices };
  }

  /**
   * Whether a service was counted as `(other)` for want of room since this state was made
   * or decoded (a saved state keeps no such flag).
   */
  get overflowed(): boolean {
    return this.counts.overflowed;
  }

  /** Adds every event of `batch`, in place. */
  add(batch: EventBatch): this {
    this.counts.addBatch(batch);
    const { times } = batch;
    let oldest = this.oldest;
    let newest = this.newest;
    for (let i = 0; i < times.length; i++) {
      const time = times[i]!;
      if (time < oldest) oldest = time;
      if (time > newest) newest = time;
    }
    // `+ 0` turns -0 into 0: JSON writes both as 0, so a saved state could not tell them
    // apart, and merges in either order must agree.
    this.oldest = oldest + 0;
    this.newest = newest + 0;
    return this;
  }

  /** A new state over the events of both; neither changes. */
  merge(other: RunningAverageState): RunningAverageState {
    requireSameOptions(TASK, this.options, other.options);
    return new RunningAverageState(
      this.counts.clone().mergeFrom(other.counts),
      Math.min(this.oldest, other.oldest),
      Math.max(this.newest, other.newest),
    );
  }

  /** One service's counts, or `undefined` when it was never seen. */
  tally(service: string): { successes: number; total: number } | undefined {
    return this.counts.tally(service);
  }

  record(): RunningAverageRecord {
    const { counts } = this;
    const empty = counts.events === 0;
    return {
      task: TASK,
      oldest: empty ? null : this.oldest,
      newest: empty ? null : this.newest,
      successes: counts.successes,
      total: counts.total,
      rate: rate(counts.successes, counts.total),
      services: counts.services(),
    };
  }

  /** What `run --once` prints at the end: the record. */
  finalRecords(): RunningAverageRecord[] {
    return [this.record()];
  }

  /** The state as JSON; "no event yet" is `null` for `oldest` and `newest` (JSON has no Infinity). */
  encode(): EncodedState {
    const { oldest, newest } = this.record();
    return {
      task: TASK,
      version: VERSION,
      options: this.options,
      state: { ...this.counts.encodeFields(), oldest, newest },
    };
  }

  /**
   * The state of {@link encode}'s JSON.
   * @param options when given, the options the state must have been made with.
   * @throws {StateError} for another task, another version, other options, or missing,
   * malformed or inconsistent fields.
   */
  static decode(encoded: unknown, options?: RunningAverageStateOptions): RunningAverageState {
    const expected =
      options === undefined ? undefined : RunningAverageState.create(options).options;
    const opened = openEncoded(encoded, TASK, VERSION, expected);
    requireKnownOptions(TASK, opened.options, ['maxServices']);
    const maxServices = maxServicesOption(TASK, opened.options);
    const { state } = opened;
    const counts = SuccessCounts.decodeFields(TASK, state, maxServices);
    const oldest = nullableNumberField(TASK, state, 'oldest');
    const newest = nullableNumberField(TASK, state, 'newest');
    if (counts.events === 0) {
      if (oldest !== null || newest !== null) {
        throw new StateError(`${TASK} state: oldest and newest without any event`);
      }
      return new RunningAverageState(counts, Infinity, -Infinity);
    }
    if (oldest === null || newest === null || oldest > newest) {
      throw new StateError(
        `${TASK} state: oldest ${oldest} and newest ${newest} do not bound ${counts.events} events`,
      );
    }
    return new RunningAverageState(counts, oldest + 0, newest + 0);
  }
}

/** The options that shape a {@link RunningAverageState}. */
export interface RunningAverageStateOptions {
  /** Services counted apart; the others are counted together as `(other)`. Default 10,000. */
  readonly maxServices?: number;
}

/** The options of {@link runningAverage}. */
export interface RunningAverageOptions extends RunningAverageStateOptions {
  /**
   * Continue from this state: the operator adds to this very value, so its owner can read,
   * encode or merge it at any time (one subscription at a time). Without it, each
   * subscription starts from an empty state of the options. Options given with it must be
   * the state's own (a StateError names the first that is not).
   */
  readonly state?: RunningAverageState;
}

/**
 * Task 1: the running success rate since the start, overall and per service.
 *
 * Emits one {@link RunningAverageRecord} per input value (one event, or one array of events
 * processed as a unit), counting every valid event seen so far. Success is a 2xx status;
 * rates count only events that have a status, and are `null` until one arrives. `oldest`
 * and `newest` are the smallest and largest timestamps of every valid event so far.
 * Invalid events are skipped (sources report them). Each subscription starts from zero,
 * unless `state` is given: then the counts continue from that {@link RunningAverageState},
 * which the operator updates in place. At most `maxServices` services (default 10,000) are
 * listed apart; events of services past that bound are counted as service `(other)`.
 *
 * ```
 * source: --a--b------c--|      a: 200 at t=48, b: 500 at t=96, c: 200 at t=144
 * runningAverage()
 * result: --x--y------z--|      x: 1/1, y: 1/2 [48, 96], z: 2/3 [48, 144]
 * ```
 *
 * @example
 * ```ts
 * from([[{ service: 'api', timestamp: 1, message: 'HTTP Status Code: 200' }]])
 *   .pipe(runningAverage())
 *   .subscribe((r) => console.log(r.rate)); // 1
 *
 * // Resume from a saved state, and save it again at any time:
 * const state = RunningAverageState.decode(saved);
 * events$.pipe(runningAverage({ state })).subscribe(print);
 * save(state.encode());
 * ```
 */
export function runningAverage(
  options: RunningAverageOptions = {},
): OperatorFunction<OperatorInput, RunningAverageRecord> {
  const { state: given, ...shape } = options;
  const fresh = RunningAverageState.create(shape); // checks the options at once
  if (given !== undefined && shape.maxServices !== undefined) {
    requireSameOptions(TASK, given.options, fresh.options);
  }
  return (source) =>
    defer(() => {
      const state = given ?? RunningAverageState.create(shape);
      return source.pipe(map((input) => state.add(EventBatch.of(input)).record()));
    });
}
