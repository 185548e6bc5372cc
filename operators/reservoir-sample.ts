import { defer, map, type OperatorFunction, scan } from 'rxjs';
import { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
import { createRandom, type Random } from './random.js';
import type { ReservoirRecord, StatusCount } from './records.js';

/** Options of {@link reservoirSample}. */
export interface ReservoirSampleOptions {
  /** Most statuses the sample holds; a positive integer. Default 1000. */
  readonly capacity?: number;
  /**
   * Seed of the generator: the same seed and input give the same records. Each subscription
   * starts a fresh generator from it. Ignored when `random` is given.
   */
  readonly seed?: number;
  /**
   * The generator itself, used as is (shared by every subscription). Without it and without
   * a seed, each subscription draws a random seed.
   */
  readonly random?: Random;
}

export const DEFAULT_RESERVOIR_CAPACITY = 1000;

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
 * Invalid events are skipped (sources report them). Each subscription starts empty.
 *
 * ```
 * source: --a--b------c--|      a: [200, 500], b: no status, c: [200]
 * reservoirSample({ capacity: 5 })
 * result: --x--y------z--|      x: seen 2, mostCommon 200 (tie, lowest code)
 *                               y: unchanged, z: seen 3, sample 200×2, 500×1
 * ```
 *
 * @throws RangeError when `capacity` is not a positive integer (at creation, not subscription).
 *
 * @example
 * ```ts
 * const event = (code: number) =>
 *   ({ service: 'api', timestamp: 1, message: `HTTP Status Code: ${code}` });
 * from([[event(200), event(404), event(200)]])
 *   .pipe(reservoirSample({ capacity: 100, seed: 7 }))
 *   .subscribe((r) => console.log(r.mostCommon, r.sample));
 * // 200 [{ status: 200, count: 2 }, { status: 404, count: 1 }]
 * ```
 */
export function reservoirSample(
  options: ReservoirSampleOptions = {},
): OperatorFunction<OperatorInput, ReservoirRecord> {
  const { capacity = DEFAULT_RESERVOIR_CAPACITY, seed, random } = options;
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(`reservoirSample: capacity must be a positive integer, got ${capacity}`);
  }
  return (source) =>
    defer(() => {
      const reservoir = new StatusReservoir(capacity, random ?? createRandom(seed));
      return source.pipe(
        scan((state, input: OperatorInput) => state.addBatch(EventBatch.of(input)), reservoir),
        map(toRecord),
      );
    });
}

/**
 * Algorithm L (Kim-Hung Li, "Reservoir-sampling algorithms of time complexity
 * O(n(1 + log(N/n)))", ACM TOMS 1994) over the statuses of a stream, with a count per
 * status kept up to date so that a record costs O(distinct statuses), not O(capacity).
 */
class StatusReservoir {
  /** Events with a status so far. */
  seen = 0;
  /** Statuses in the sample: min(seen, capacity). */
  size = 0;
  /** How many times each status is in the sample; only statuses with a count > 0. */
  readonly counts = new Map<number, number>();
  // Grows by doubling up to the capacity, so that a large capacity over a short stream
  // costs memory for what was seen, not for what might be.
  private slots: Uint16Array;
  // Algorithm L's W: the largest of k uniforms, shrinking like k/seen once the sample is full.
  private weight = 0;
  // Events with a status still to pass over before the next replacement.
  private skip = 0;

  constructor(
    readonly capacity: number,
    private readonly random: Random,
  ) {
    this.slots = new Uint16Array(Math.min(capacity, 1024));
  }

  /** Offers every event of a batch that has a status to the sample. */
  addBatch(batch: EventBatch): this {
    const { statuses } = batch;
    const length = statuses.length;
    let i = 0;
    while (this.size < this.capacity && i < length) {
      const status = statuses[i++]!;
      if (status === NO_STATUS) continue;
      this.seen += 1;
      this.append(status);
      if (this.size === this.capacity) {
        this.weight = Math.exp(Math.log(this.uniform()) / this.capacity);
        this.drawSkip();
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
      this.seen += this.skip + 1;
      remaining -= this.skip + 1;
      this.replace(Math.floor(this.random() * this.capacity), status);
      this.weight *= Math.exp(Math.log(this.uniform()) / this.capacity);
      this.drawSkip();
    }
    this.skip -= remaining;
    this.seen += remaining;
    return this;
  }

  /** The sample's statuses with their counts: count descending, then status ascending. */
  statusCounts(): StatusCount[] {
    return [...this.counts]
      .map(([status, count]) => ({ status, count }))
      .sort((a, b) => b.count - a.count || a.status - b.status);
  }

  // Skips are geometric with success probability W: the gap before the next event whose
  // key would beat the sample's largest.
  private drawSkip(): void {
    // log1p keeps log(1 - W) non-zero when W is below the double's resolution near 1.
    this.skip = Math.floor(Math.log(this.uniform()) / Math.log1p(-this.weight));
  }

  // In (0, 1]: log(0) would make W or the skip infinite.
  private uniform(): number {
    return 1 - this.random();
  }

  private append(status: number): void {
    if (this.size === this.slots.length) {
      const grown = new Uint16Array(Math.min(this.capacity, this.slots.length * 2));
      grown.set(this.slots);
      this.slots = grown;
    }
    this.slots[this.size++] = status;
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
  }

  private replace(slot: number, status: number): void {
    const evicted = this.slots[slot]!;
    if (evicted === status) return;
    this.slots[slot] = status;
    const left = this.counts.get(evicted)! - 1;
    if (left === 0) this.counts.delete(evicted);
    else this.counts.set(evicted, left);
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
  }
}

function countStatuses(statuses: Uint16Array, from: number): number {
  let count = 0;
  for (let i = from; i < statuses.length; i++) if (statuses[i] !== NO_STATUS) count += 1;
  return count;
}

function toRecord(reservoir: StatusReservoir): ReservoirRecord {
  const sample = reservoir.statusCounts();
  return {
    task: 'reservoir',
    seen: reservoir.seen,
    capacity: reservoir.capacity,
    size: reservoir.size,
    mostCommon: sample[0]?.status ?? null,
    sample,
  };
}
