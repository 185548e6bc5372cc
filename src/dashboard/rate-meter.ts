/**
 * Rates per second of a growing count (events read, events reduced) over the last few
 * seconds of wall-clock time. Immutable: each function returns a new meter, so a meter can
 * live in the dashboard's folded state and be compared by reference.
 */

export interface CountSample {
  /** Wall-clock milliseconds. */
  readonly time: number;
  readonly count: number;
}

export interface RateMeter {
  /** Length of the window the rate is measured over, in milliseconds. */
  readonly windowMs: number;
  /** Oldest first; at most one sample older than the window (the count at its start). */
  readonly samples: readonly CountSample[];
}

/** A rate over less wall-clock time than this is noise (or a division by almost zero). */
const MIN_SPAN_MS = 1000;

export function createRateMeter(windowMs = 5000): RateMeter {
  return { windowMs, samples: [] };
}

/**
 * The meter with `count` observed at `time`. A count equal to the last one adds nothing
 * (the count is a step function between samples), only old samples are dropped; the same
 * meter comes back when nothing changed.
 */
export function recordCount(meter: RateMeter, time: number, count: number): RateMeter {
  const last = meter.samples.at(-1);
  const grown =
    last !== undefined && last.count === count
      ? meter.samples
      : [...meter.samples, { time, count }];
  const samples = dropOld(grown, time - meter.windowMs);
  return samples === meter.samples ? meter : { windowMs: meter.windowMs, samples };
}

/**
 * Count growth per second over the window ending at `now`: from the count at the window's
 * start (or the first sample, when the meter is younger than the window) to the latest count.
 * Null until the samples span at least a second.
 */
export function perSecond(meter: RateMeter, now: number): number | null {
  const { samples, windowMs } = meter;
  const latest = samples.at(-1);
  if (latest === undefined) return null;
  const windowStart = now - windowMs;
  let baseline = samples[0]!;
  let baselineTime = baseline.time;
  for (const sample of samples) {
    if (sample.time > windowStart) break;
    baseline = sample;
    baselineTime = windowStart;
  }
  const spanMs = now - baselineTime;
  if (spanMs < MIN_SPAN_MS) return null;
  return Math.max(0, latest.count - baseline.count) / (spanMs / 1000);
}

/** Keeps the samples inside the window and the last one before it (the count at its start). */
function dropOld(samples: readonly CountSample[], windowStart: number): readonly CountSample[] {
  let firstKept = 0;
  while (firstKept + 1 < samples.length && samples[firstKept + 1]!.time <= windowStart) firstKept++;
  return firstKept === 0 ? samples : samples.slice(firstKept);
}
