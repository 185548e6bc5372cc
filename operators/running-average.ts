import { defer, map, type OperatorFunction } from 'rxjs';
import { EventBatch, type OperatorInput } from './batch.js';
import { rate } from './event.js';
import type { RunningAverageRecord } from './records.js';
import { SuccessCounts } from './success-counts.js';
import {
  type EncodedState,
  nullableNumberField,
  openEncoded,
  StateError,
  type TaskState,
} from './task-state.js';

const TASK = 'running-average';
const VERSION = 1;

/**
 * The state of Task 1: success counts since the start, overall and per service, and the
 * oldest and newest timestamp of every valid event.
 *
 * Every field is a sum or a minimum/maximum, so `a.merge(b)` is exactly the state of one
 * run over the events of both, however the input was split into parts and batches and in
 * whichever order and grouping the parts' states are merged: the records are equal to the
 * last digit. Merge is associative and commutative, and an empty state is its identity.
 * The task has no options: every running-average state merges with every other.
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

  /** An empty state (the task has no options). */
  static create(): RunningAverageState {
    return new RunningAverageState(new SuccessCounts(), Infinity, -Infinity);
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
      options: {},
      state: { ...this.counts.encodeFields(), oldest, newest },
    };
  }

  /**
   * The state of {@link encode}'s JSON. `options` is accepted for symmetry with the other
   * tasks; there are none to compare.
   * @throws {StateError} for another task, another version, options this task does not
   * have, or missing, malformed or inconsistent fields.
   */
  static decode(encoded: unknown, _options?: Record<string, never>): RunningAverageState {
    const { state } = openEncoded(encoded, TASK, VERSION, {});
    const counts = SuccessCounts.decodeFields(TASK, state);
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

/** The options of {@link runningAverage}. */
export interface RunningAverageOptions {
  /**
   * Continue from this state: the operator adds to this very value, so its owner can read,
   * encode or merge it at any time (one subscription at a time). Without it, each
   * subscription starts from an empty state.
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
 * which the operator updates in place.
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
  const given = options.state;
  return (source) =>
    defer(() => {
      const state = given ?? RunningAverageState.create();
      return source.pipe(map((input) => state.add(EventBatch.of(input)).record()));
    });
}
