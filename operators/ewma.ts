/** How a {@link FailureRateBaseline} weighs, scores and flags the windows of one service. */
export interface FailureRateBaselineOptions {
  /** Weight of the newest window in the mean and variance, in (0, 1]. */
  readonly alpha: number;
  /** A window whose score is above this is an anomaly. */
  readonly threshold: number;
  /** Windows learned before the first score; before that, `score` is null. */
  readonly minHistory: number;
  /** Smallest deviation worth a score, in failure-rate units (see {@link FailureRateBaseline}). */
  readonly minDeviation: number;
}

/** The verdict on one window, against the windows before it. */
export interface BaselineScore {
  /** z-score of the window's failure rate; null while the history is too short. */
  readonly score: number | null;
  /** `score > threshold`: only a rise in failures is an anomaly. */
  readonly anomaly: boolean;
}

/** A baseline's learned fields, as {@link FailureRateBaseline.encode} writes them. */
export interface EncodedBaseline {
  /** Windows learned. */
  readonly learned: number;
  /** EWMA of the learned failure rates, in [0, 1]. */
  readonly mean: number;
  /** EWMA variance of the learned failure rates, >= 0. */
  readonly variance: number;
}

/**
 * The baseline of one service's failure rate: an exponentially weighted mean and variance
 * of its window failure rates, in O(1) state. Each window is scored against the windows
 * before it, then learned:
 *
 *     score = (rate - mean) / sqrt(max(variance, mean·(1 - mean)/total) + minDeviation²)
 *
 * - The variance is never taken below the binomial variance of a window of `total` events
 *   at the baseline rate: a small window is noisy however steady the service, and 1 failure
 *   in 2 events is no evidence of an incident.
 * - `minDeviation` keeps a service that never failed (mean and variance 0) from turning its
 *   first failure into an infinite score, and sets the smallest rise worth a flag: with
 *   0.03 and a threshold of 3, no window is flagged unless its failure rate rose 9 points.
 * - Warm-up: the n-th window is learned with weight `max(alpha, 1/n)`, so the first windows
 *   give their plain mean and population variance (Welford's update) rather than a mean
 *   dominated by the very first one; from `n = 1/alpha` on it is a true EWMA.
 * - Robustness: once scores exist, a rate is learned clipped to `mean ± threshold·deviation`.
 *   A burst then cannot inflate the mean and variance enough to hide its own second window,
 *   yet a lasting change of level is still learned, since each clipped step widens the
 *   variance.
 */
export class FailureRateBaseline {
  private learned = 0;
  private mean = 0;
  private variance = 0;

  constructor(private readonly options: FailureRateBaselineOptions) {}

  /**
   * A baseline of `options` that has learned `fields`.
   * @throws {RangeError} naming the field when `learned` is not an integer >= 0, `mean` is
   * not in [0, 1] or `variance` is not a finite number >= 0 (a decoded state may be hostile).
   */
  static decode(options: FailureRateBaselineOptions, fields: EncodedBaseline): FailureRateBaseline {
    const { learned, mean, variance } = fields;
    if (!(Number.isSafeInteger(learned) && learned >= 0)) {
      throw new RangeError(`learned must be an integer >= 0, got ${learned}`);
    }
    if (!(mean >= 0 && mean <= 1)) throw new RangeError(`mean must be in [0, 1], got ${mean}`);
    if (!(Number.isFinite(variance) && variance >= 0)) {
      throw new RangeError(`variance must be a finite number >= 0, got ${variance}`);
    }
    const baseline = new FailureRateBaseline(options);
    baseline.learned = learned;
    baseline.mean = mean;
    baseline.variance = variance;
    return baseline;
  }

  /** Windows learned so far. */
  get history(): number {
    return this.learned;
  }

  /** What this baseline has learned: with its options, all that {@link decode} needs. */
  encode(): EncodedBaseline {
    return { learned: this.learned, mean: this.mean, variance: this.variance };
  }

  /** An independent copy: scoring on it leaves this baseline as it is. */
  clone(): FailureRateBaseline {
    return FailureRateBaseline.decode(this.options, this.encode());
  }

  /**
   * A baseline of both histories (this one's options), neither input changing. A side that
   * learned nothing gives the other exactly. Otherwise a pooled estimate weighted by windows
   * learned: `learned` adds up, `mean` is the weighted mean, `variance` the pooled variance
   * including the spread between the two means. It is an approximation: an EWMA over two
   * interleaved histories depends on their order, which neither side knows.
   */
  merge(other: FailureRateBaseline): FailureRateBaseline {
    if (other.learned === 0) return this.clone();
    if (this.learned === 0) return FailureRateBaseline.decode(this.options, other.encode());
    const learned = this.learned + other.learned;
    const mean = (this.learned * this.mean + other.learned * other.mean) / learned;
    const spread = (side: FailureRateBaseline) =>
      side.learned * (side.variance + (side.mean - mean) ** 2);
    return FailureRateBaseline.decode(this.options, {
      learned,
      // Rounding may step a hair outside [0, 1] or below 0.
      mean: Math.min(Math.max(mean, 0), 1),
      variance: Math.max((spread(this) + spread(other)) / learned, 0),
    });
  }

  /**
   * Scores a window of `total > 0` events with a status, `failures` of them failures,
   * then learns it: {@link peek} followed by {@link learn}.
   */
  observe(failures: number, total: number): BaselineScore {
    const verdict = this.peek(failures, total);
    this.learn(failures, total);
    return verdict;
  }

  /**
   * Scores a window of `total > 0` events against what was learned so far, learning
   * nothing: for a version of a window that may still change (Task 6's allowed lateness).
   */
  peek(failures: number, total: number): BaselineScore {
    if (this.learned < this.options.minHistory) return { score: null, anomaly: false };
    const rate = failures / total;
    const score = (rate - this.mean) / this.deviation(total);
    return { score, anomaly: score > this.options.threshold };
  }

  /** Learns a window of `total > 0` events, `failures` of them failures, without scoring it. */
  learn(failures: number, total: number): void {
    const rate = failures / total;
    if (this.learned < this.options.minHistory) {
      this.step(rate);
      return;
    }
    const reach = this.options.threshold * this.deviation(total);
    this.step(Math.min(Math.max(rate, this.mean - reach), this.mean + reach));
  }

  /** The deviation a window of `total` events is scored against. */
  private deviation(total: number): number {
    const { minDeviation } = this.options;
    const sampling = (this.mean * (1 - this.mean)) / total;
    return Math.sqrt(Math.max(this.variance, sampling) + minDeviation * minDeviation);
  }

  private step(rate: number): void {
    this.learned += 1;
    const weight = Math.max(this.options.alpha, 1 / this.learned);
    const difference = rate - this.mean;
    this.mean += weight * difference;
    this.variance = (1 - weight) * (this.variance + weight * difference * difference);
  }
}
