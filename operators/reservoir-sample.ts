import { defer, map, type OperatorFunction } from 'rxjs';
import { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
import { grown } from './columns.js';
import { type Random, SeededRandom } from './random.js';
import type { ReservoirRecord, StatusCount } from './records.js';
import {
  columnField,
  countField,
  type EncodedState,
  encodeColumn,
  numberField,
  openEncoded,
  requireSameOptions,
  StateError,
  type TaskState,
} from './task-state.js';

/** Options of {@link ReservoirState.create}. */
export interface ReservoirStateOptions {
  /** Most statuses the sample holds; a positive integer. Default 1000. */
  readonly capacity?: number;
  /**
   * Seed of the generator: the same seed and input give the same records. Ignored when
   * `random` is given. Without either, a random seed is drawn.
   */
  readonly seed?: number;
  /**
   * The generator itself, used as is. A state drawing from it cannot be encoded (a function
   * has no state to save): give a `seed` instead when the state is to be saved.
   */
  readonly random?: Random;
}

/** Options of {@link reservoirSample}. */
export interface ReservoirSampleOptions extends ReservoirStateOptions {
  /**
   * Continue from this state: the operator adds to this very value, so its owner can read,
   * encode or merge it at any time; one subscription at a time. Its own capacity and
   * generator are used: `seed` and `random` are then ignored, and a `capacity` other than
   * the state's is refused.
   */
  readonly state?: ReservoirState;
}

export const DEFAULT_RESERVOIR_CAPACITY = 1000;

const TASK = 'reservoir';
const VERSION = 1;
// Salts of the two generators a merge derives from its inputs' generators.
const MERGE_DRAWS = 1;
const MERGED_STATE = 2;

/**
 * Task 3: a uniform random sample of the statuses seen so far, and its most common status.
 *
 * Every event that has a status has the same chance, `capacity / seen`, of being in the
 * sample, however long the stream; events without a status are neither sampled nor counted
 * in `seen`. Emits one {@link ReservoirRecord} per input value (one event, or one array of
 * events processed as a unit), even when the value adds nothing to the sample. The sample
 * spans input values: batch boundaries do not affect which events are kept.
 *
 * The sampler is Li's Algorithm L, which draws how many events to skip before the next
 * replacement instead of a number per event: about `3·k·(1 + ln(n/k))` random numbers over
 * `n` events for capacity `k`, and a skip that outruns a batch passes over it in one step.
 * Invalid events are skipped (sources report them). Each subscription starts empty, unless
 * `state` is given: then the operator continues from that {@link ReservoirState}, adding to
 * it in place.
 *
 * ```
 * source: --a--b------c--|      a: [200, 500], b: no status, c: [200]
 * reservoirSample({ capacity: 5 })
 * result: --x--y------z--|      x: seen 2, mostCommon 200 (tie, lowest code)
 *                               y: unchanged, z: seen 3, sample 200×2, 500×1
 * ```
 *
 * @throws RangeError when `capacity` is not a positive integer (at creation, not subscription).
 * @throws {StateError} when `state` is given with a different `capacity`.
 *
 * @example
 * ```ts
 * const event = (code: number) =>
 *   ({ service: 'api', timestamp: 1, message: `HTTP Status Code: ${code}` });
 * from([[event(200), event(404), event(200)]])
 *   .pipe(reservoirSample({ capacity: 100, seed: 7 }))
 *   .subscribe((r) => console.log(r.mostCommon, r.sample));
 * // 200 [{ status: 200, count: 2 }, { status: 404, count: 1 }]
 *
 * // Two parts sampled apart, then one sample of both:
 * const a = ReservoirState.create({ capacity: 100, seed: 1 });
 * const b = ReservoirState.create({ capacity: 100, seed: 2 });
 * from(partOne).pipe(reservoirSample({ state: a })).subscribe();
 * from(partTwo).pipe(reservoirSample({ state: b })).subscribe();
 * const both = a.merge(b).record();
 * ```
 */
export function reservoirSample(
  options: ReservoirSampleOptions = {},
): OperatorFunction<OperatorInput, ReservoirRecord> {
  const { capacity = DEFAULT_RESERVOIR_CAPACITY, seed, random, state } = options;
  checkCapacity('reservoirSample', capacity);
  if (state !== undefined && options.capacity !== undefined) {
    requireSameOptions(TASK, { capacity: state.capacity }, { capacity });
  }
  return (source) =>
    defer(() => {
      const reservoir = state ?? ReservoirState.create({ capacity, seed, random });
      return source.pipe(
        map((input: OperatorInput) => reservoir.add(EventBatch.of(input)).record()),
      );
    });
}

/**
 * The state of Task 3: a uniform sample without replacement, of at most `capacity`
 * statuses, of the events with a status added so far, kept by Li's Algorithm L (Kim-Hung Li,
 * "Reservoir-sampling algorithms of time complexity O(n(1 + log(N/n)))", ACM TOMS 1994),
 * with a count per status kept up to date so that a record costs O(distinct statuses), not
 * O(capacity).
 *
 * The state is a value: it encodes as JSON (its capacity, `seen`, the sample in slot order,
 * Algorithm L's W and skip, and its generator's four words), and a decoded state continues
 * exactly as the original would: the same later input gives the same samples.
 *
 * `merge` guarantees, for states A and B of the same capacity k that have seen nA and nB
 * events: `seen` is exactly nA + nB, `size` is min(k, nA + nB), and the sample is a uniform
 * sample without replacement of the union (given that each input's sample is one of its own
 * part): how many slots come from A is hypergeometric, as when drawing min(k, nA + nB) of
 * the nA + nB events, and those slots are a uniformly random subset of A's sample, the rest
 * one of B's. Each merged status count is therefore at most the sum of its counts in A and
 * B. When the merged sample is full, W is drawn as Algorithm L would hold it after
 * nA + nB events (the k-th smallest of that many uniforms, Beta(k, nA + nB - k + 1)) and a
 * fresh skip follows, so events added after the merge are sampled uniformly too. Merging
 * with a state that has seen nothing gives an exact copy of the other. A merge's random
 * numbers, and the merged state's generator, are derived from both inputs' generator
 * states: the same two states merged again give the same result. Neither input changes.
 * When either input draws from a user-supplied `random` function, the merge draws from that
 * function instead (the first input's when both do) and so does the merged state.
 */
export class ReservoirState implements TaskState<ReservoirState, ReservoirRecord> {
  readonly task = TASK;
  /** How many times each status is in the sample; only statuses with a count > 0. */
  private readonly counts = new Map<number, number>();
  // Grows by doubling up to the capacity, so that a large capacity over a short stream
  // costs memory for what was seen, not for what might be.
  private slots: Uint16Array;
  private sampleSize: number;
  private seenCount: number;
  // Algorithm L's W: the largest of k uniforms, shrinking like k/seen once the sample is full.
  private weight = 0;
  // Events with a status still to pass over before the next replacement.
  private skip = 0;

  private constructor(
    /** Most statuses the sample holds. */
    readonly capacity: number,
    // null when drawing from a user-supplied function, which has no state to encode.
    private readonly generator: SeededRandom | null,
    private readonly random: Random,
    slots: Uint16Array,
    size: number,
    seen: number,
  ) {
    this.slots = slots;
    this.sampleSize = size;
    this.seenCount = seen;
    for (let i = 0; i < size; i++) this.count(slots[i]!, 1);
  }

  /**
   * An empty state.
   * @throws RangeError when `capacity` is not a positive integer.
   */
  static create(options: ReservoirStateOptions = {}): ReservoirState {
    const { capacity = DEFAULT_RESERVOIR_CAPACITY, seed, random } = options;
    checkCapacity('ReservoirState', capacity);
    const generator = random === undefined ? SeededRandom.fromSeed(seed) : null;
    return new ReservoirState(
      capacity,
      generator,
      random ?? drawFrom(generator!),
      allocate(capacity, 0),
      0,
      0,
    );
  }

  /**
   * The state `encoded` holds. With `options`, refuses a state of another capacity (`seed`
   * and `random` are ignored: the state continues with its own generator).
   * @throws {StateError} for another task, version or capacity, or a corrupt field.
   */
  static decode(encoded: unknown, options?: ReservoirStateOptions): ReservoirState {
    const expected =
      options === undefined
        ? undefined
        : { capacity: options.capacity ?? DEFAULT_RESERVOIR_CAPACITY };
    const { options: saved, state } = openEncoded(encoded, TASK, VERSION, expected);
    const capacity = saved.capacity;
    if (!Number.isSafeInteger(capacity) || (capacity as number) < 1) {
      throw new StateError(
        `${TASK} state: capacity is ${JSON.stringify(capacity) ?? 'missing'}, not a positive integer`,
      );
    }
    const k = capacity as number;
    const seen = countField(TASK, state, 'seen');
    const sample = columnField(TASK, state, 'sample', Uint16Array);
    const size = Math.min(k, seen);
    if (sample.length !== size) {
      throw new StateError(
        `${TASK} state: sample holds ${sample.length} statuses, expected ${size} (capacity ${k}, seen ${seen})`,
      );
    }
    if (sample.includes(NO_STATUS)) throw new StateError(`${TASK} state: sample holds no status`);
    const weight = numberField(TASK, state, 'weight');
    const skip = numberField(TASK, state, 'skip');
    const full = size === k;
    if (weight < 0 || weight > 1 || (full && weight === 0)) {
      throw new StateError(`${TASK} state: weight is ${weight}, not in (0, 1]`);
    }
    if (!Number.isInteger(skip) || skip < 0) {
      throw new StateError(`${TASK} state: skip is ${skip}, not a count`);
    }
    const words = state.generator;
    let generator: SeededRandom;
    try {
      if (!Array.isArray(words)) throw new RangeError();
      generator = SeededRandom.restore(words);
    } catch {
      throw new StateError(`${TASK} state: generator is not four integers from 0 to 2^32 - 1`);
    }
    const slots = allocate(k, size);
    slots.set(sample);
    const decoded = new ReservoirState(k, generator, drawFrom(generator), slots, size, seen);
    if (full) {
      decoded.weight = weight;
      decoded.skip = skip;
    }
    return decoded;
  }

  /** Events with a status added so far. */
  get seen(): number {
    return this.seenCount;
  }

  /** Statuses in the sample: min(seen, capacity). */
  get size(): number {
    return this.sampleSize;
  }

  /** Offers every event of a batch that has a status to the sample. */
  add(batch: EventBatch): this {
    const { statuses } = batch;
    const length = statuses.length;
    let i = 0;
    while (this.sampleSize < this.capacity && i < length) {
      const status = statuses[i++]!;
      if (status === NO_STATUS) continue;
      this.seenCount += 1;
      this.append(status);
      if (this.sampleSize === this.capacity) {
        this.weight = Math.exp(Math.log(this.uniform()) / this.capacity);
        this.skip = skipFor(this.weight, this.uniform());
      }
    }
    if (i === length) return this;

    let remaining = countStatuses(statuses, i);
    // When every event left has a status, the next one to keep is found by index arithmetic.
    const dense = remaining === length - i;
    while (this.skip < remaining) {
      let status: number;
      if (dense) {
        i += this.skip;
        status = statuses[i++]!;
      } else {
        let toPass = this.skip;
        for (;;) {
          status = statuses[i++]!;
          if (status === NO_STATUS) continue;
          if (toPass === 0) break;
          toPass -= 1;
        }
      }
      this.seenCount += this.skip + 1;
      remaining -= this.skip + 1;
      this.replace(Math.floor(this.random() * this.capacity), status);
      this.weight *= Math.exp(Math.log(this.uniform()) / this.capacity);
      this.skip = skipFor(this.weight, this.uniform());
    }
    this.skip -= remaining;
    this.seenCount += remaining;
    return this;
  }

  /**
   * A uniform sample of both states' events (see the class for exactly what is guaranteed).
   * @throws {StateError} when the capacities differ.
   */
  merge(other: ReservoirState): ReservoirState {
    requireSameOptions(TASK, this.options(), other.options());
    if (other.seenCount === 0) return this.copy();
    if (this.seenCount === 0) return other.copy();

    let draw: Random;
    let generator: SeededRandom | null = null;
    let random: Random;
    if (this.generator !== null && other.generator !== null) {
      draw = drawFrom(SeededRandom.derive([this.generator, other.generator], MERGE_DRAWS));
      generator = SeededRandom.derive([this.generator, other.generator], MERGED_STATE);
      random = drawFrom(generator);
    } else {
      draw = this.generator === null ? this.random : other.random;
      random = draw;
    }

    const nA = this.seenCount;
    const total = nA + other.seenCount;
    const m = Math.min(this.capacity, total);
    // Drawing m of the total events one at a time: the next one is A's with probability
    // (A's events left) / (events left).
    let fromA = 0;
    for (let j = 0; j < m; j++) if (draw() * (total - j) < nA - fromA) fromA += 1;
    const slots = allocate(this.capacity, m);
    pickInto(slots, 0, this.slots, this.sampleSize, fromA, draw);
    pickInto(slots, fromA, other.slots, other.sampleSize, m - fromA, draw);
    const merged = new ReservoirState(this.capacity, generator, random, slots, m, total);
    if (m === this.capacity) {
      merged.weight = kthSmallestUniform(this.capacity, total, draw);
      merged.skip = skipFor(merged.weight, 1 - draw());
    }
    return merged;
  }

  /** The task's record: `seen`, `capacity`, `size`, `mostCommon` and the sorted sample. */
  record(): ReservoirRecord {
    const sample = this.statusCounts();
    return {
      task: TASK,
      seen: this.seenCount,
      capacity: this.capacity,
      size: this.sampleSize,
      mostCommon: sample[0]?.status ?? null,
      sample,
    };
  }

  /** What `run --once` prints at the end: the record; the state does not change. */
  finalRecords(): ReservoirRecord[] {
    return [this.record()];
  }

  /**
   * The state as JSON.
   * @throws {StateError} when the state draws from a user-supplied `random` function.
   */
  encode(): EncodedState {
    if (this.generator === null) {
      throw new StateError(
        `${TASK} state: cannot encode a state that draws from a user-supplied random function (give a seed instead)`,
      );
    }
    const full = this.sampleSize === this.capacity;
    return {
      task: TASK,
      version: VERSION,
      options: this.options(),
      state: {
        seen: this.seenCount,
        sample: encodeColumn(this.slots.subarray(0, this.sampleSize)),
        weight: full ? this.weight : 0,
        skip: full ? this.skip : 0,
        generator: this.generator.snapshot(),
      },
    };
  }

  /** The sample's statuses with their counts: count descending, then status ascending. */
  private statusCounts(): StatusCount[] {
    return [...this.counts]
      .map(([status, count]) => ({ status, count }))
      .sort((a, b) => b.count - a.count || a.status - b.status);
  }

  private options(): { capacity: number } {
    return { capacity: this.capacity };
  }

  private copy(): ReservoirState {
    const generator =
      this.generator === null ? null : SeededRandom.restore(this.generator.snapshot());
    const slots = allocate(this.capacity, this.sampleSize);
    slots.set(this.slots.subarray(0, this.sampleSize));
    const copy = new ReservoirState(
      this.capacity,
      generator,
      generator === null ? this.random : drawFrom(generator),
      slots,
      this.sampleSize,
      this.seenCount,
    );
    copy.weight = this.weight;
    copy.skip = this.skip;
    return copy;
  }

  // In (0, 1]: log(0) would make W or the skip infinite.
  private uniform(): number {
    return 1 - this.random();
  }

  private append(status: number): void {
    if (this.sampleSize === this.slots.length) {
      this.slots = grown(this.slots, Math.min(this.capacity, this.slots.length * 2));
    }
    this.slots[this.sampleSize++] = status;
    this.count(status, 1);
  }

  private replace(slot: number, status: number): void {
    const evicted = this.slots[slot]!;
    if (evicted === status) return;
    this.slots[slot] = status;
    this.count(evicted, -1);
    this.count(status, 1);
  }

  private count(status: number, change: number): void {
    const count = (this.counts.get(status) ?? 0) + change;
    if (count === 0) this.counts.delete(status);
    else this.counts.set(status, count);
  }
}

function checkCapacity(who: string, capacity: number): void {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(`${who}: capacity must be a positive integer, got ${capacity}`);
  }
}

function drawFrom(generator: SeededRandom): Random {
  return () => generator.next();
}

/** Room for `size` statuses and, up to the capacity, for some growth. */
function allocate(capacity: number, size: number): Uint16Array {
  return new Uint16Array(Math.max(size, Math.min(capacity, 1024)));
}

function countStatuses(statuses: Uint16Array, from: number): number {
  let count = 0;
  for (let i = from; i < statuses.length; i++) if (statuses[i] !== NO_STATUS) count += 1;
  return count;
}

/** Copies a uniformly random `count` of `source`'s first `size` statuses to `target` at `at`. */
function pickInto(
  target: Uint16Array,
  at: number,
  source: Uint16Array,
  size: number,
  count: number,
  random: Random,
): void {
  // A partial Fisher-Yates shuffle of a copy: its first `count` slots are the subset.
  const pool = source.slice(0, size);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (size - i));
    const picked = pool[j]!;
    pool[j] = pool[i]!;
    target[at + i] = picked;
  }
}

// Skips are geometric with success probability W: the gap before the next event whose
// key would beat the sample's largest. `uniform` is in (0, 1].
function skipFor(weight: number, uniform: number): number {
  // log1p keeps log(1 - W) non-zero when W is below the double's resolution near 1.
  return Math.floor(Math.log(uniform) / Math.log1p(-weight));
}

/**
 * The k-th smallest of n independent uniforms, which is Beta(k, n - k + 1): drawn exactly as
 * X / (X + Y) with X ~ Gamma(k) and Y ~ Gamma(n - k + 1), both shapes at least 1.
 */
function kthSmallestUniform(k: number, n: number, random: Random): number {
  const x = gamma(k, random);
  const y = gamma(n - k + 1, random);
  return x / (x + y);
}

/**
 * Gamma(shape, 1) for shape >= 1 by Marsaglia and Tsang ("A simple method for generating
 * gamma variables", ACM TOMS 2000): a transformed normal, accepted with probability above
 * 0.95 for every shape.
 */
function gamma(shape: number, random: Random): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A standard normal by Box-Muller (one of the pair: a merge draws only a few). */
function normal(random: Random): number {
  const radius = Math.sqrt(-2 * Math.log(1 - random()));
  return radius * Math.cos(2 * Math.PI * random());
}
