/**
 * How bad a failure rate looks, the one rule every colour of the dashboard follows. A fleet
 * has services that normally fail 30 % of their requests (the bundled sample does): painting
 * them red hides the one that just started failing. So a current figure is judged by how far
 * it rises above the service's own baseline (its rate since start), and a figure with no
 * baseline by absolute thresholds; both pairs can be set (`--failure-thresholds`,
 * `--rise-thresholds`, or the config file).
 */

/** A warning level and a critical level, as failure rates (0 … 1), warn <= critical. */
export interface ThresholdPair {
  readonly warn: number;
  readonly critical: number;
}

export interface Thresholds {
  /** Absolute: a failure rate at or above `warn` is a warning, at or above `critical` critical. */
  readonly failure: ThresholdPair;
  /** Relative: a rise of the failure rate over the service's baseline, in rate points. */
  readonly rise: ThresholdPair;
}

/** Defaults that leave a service failing 30 % of the time as usual uncoloured. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  failure: { warn: 0.5, critical: 0.8 },
  rise: { warn: 0.1, critical: 0.25 },
};

export type Level = 'none' | 'good' | 'warn' | 'critical';

/**
 * The level of `failureRate`: against the absolute thresholds, and when the service has a
 * `baseline`, against its rise over it; the worse of the two. `none` without a rate.
 */
export function failureLevel(
  failureRate: number | null,
  baseline: number | null,
  thresholds: Thresholds,
): Level {
  if (failureRate === null || !Number.isFinite(failureRate)) return 'none';
  const absolute = levelOf(failureRate, thresholds.failure);
  if (baseline === null) return absolute;
  const relative = levelOf(failureRate - baseline, thresholds.rise);
  return LEVEL_ORDER.indexOf(relative) > LEVEL_ORDER.indexOf(absolute) ? relative : absolute;
}

/** The level of a success rate: that of its failure rate. */
export function successLevel(
  successRate: number | null,
  baseline: number | null,
  thresholds: Thresholds,
): Level {
  return failureLevel(successRate === null ? null : 1 - successRate, baseline, thresholds);
}

/** The terminal colour of a level; none for `none`. */
export function levelColour(level: Level): string | undefined {
  switch (level) {
    case 'none':
      return undefined;
    case 'good':
      return 'green';
    case 'warn':
      return 'yellow';
    case 'critical':
      return 'red';
  }
}

const LEVEL_ORDER: readonly Level[] = ['none', 'good', 'warn', 'critical'];

function levelOf(value: number, pair: ThresholdPair): Level {
  if (value >= pair.critical) return 'critical';
  if (value >= pair.warn) return 'warn';
  return 'good';
}
