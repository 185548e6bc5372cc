/** Number formats of the dashboard: short, fixed-width where columns line up. */

/** What a rate over zero events (null) shows. */
export const NO_VALUE = '–';

/** `0.9523` → `95.2%`; null → `–`. */
export function formatPercent(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) return NO_VALUE;
  return `${(rate * 100).toFixed(1)}%`;
}

/** A small probability (false-positive rate): `0.0081` → `0.81%`, `2e-7` → `<0.01%`. */
export function formatSmallPercent(probability: number): string {
  if (!Number.isFinite(probability)) return NO_VALUE;
  if (probability > 0 && probability < 0.0001) return '<0.01%';
  return `${(probability * 100).toFixed(2)}%`;
}

/** Counts up to 99,999 in full; larger ones in k, M, G so columns stay narrow. */
export function formatCount(count: number): string {
  if (!Number.isFinite(count)) return NO_VALUE;
  const abs = Math.abs(count);
  if (abs < 100_000) return String(Math.round(count));
  if (abs < 1e6) return `${Math.round(count / 1e3)}k`;
  if (abs < 1e9) return `${trimFixed(count / 1e6)}M`;
  return `${trimFixed(count / 1e9)}G`;
}

/** Events per second: `12.3/s`, `1.2k/s`; null (not measurable yet) → `–`. */
export function formatPerSecond(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return NO_VALUE;
  if (perSecond < 10) return `${perSecond.toFixed(1)}/s`;
  if (perSecond < 1000) return `${Math.round(perSecond)}/s`;
  if (perSecond < 1e6) return `${trimFixed(perSecond / 1e3)}k/s`;
  return `${trimFixed(perSecond / 1e6)}M/s`;
}

/** Local wall-clock time of epoch seconds, `HH:MM:SS`. */
export function formatClock(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) return NO_VALUE;
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((part) => String(part).padStart(2, '0'))
    .join(':');
}

const SPARK_LEVELS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` values as a sparkline, scaled from 0 to `scale`, by default the largest
 * value shown (a flat line at the bottom when all are 0). A null value (nothing to rate) is
 * a space. A fixed scale (1 for rates) keeps a steady 10 % low instead of a full bar.
 */
export function sparkline(
  values: readonly (number | null)[],
  width: number,
  scale?: number,
): string {
  if (width <= 0) return '';
  const shown = values.slice(-width);
  let max = scale ?? 0;
  if (scale === undefined)
    for (const value of shown) if (value !== null && value > max) max = value;
  let line = '';
  for (const value of shown) {
    if (value === null) line += ' ';
    else {
      const level = max === 0 ? 0 : Math.round((value / max) * (SPARK_LEVELS.length - 1));
      line += SPARK_LEVELS[Math.min(SPARK_LEVELS.length - 1, Math.max(0, level))];
    }
  }
  return line;
}

/** A horizontal bar of `fraction` × `width` columns, in eighths for a smooth end. */
export function bar(fraction: number, width: number): string {
  if (width <= 0 || !(fraction > 0)) return '';
  const eighths = Math.round(Math.min(1, fraction) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  return '█'.repeat(full) + (rest > 0 ? PARTIAL_BLOCKS[rest - 1]! : '');
}

const PARTIAL_BLOCKS = ['▏', '▎', '▍', '▌', '▋', '▊', '▉'];

function trimFixed(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

/** A span of time, to the second: `45s`, `37m58s`, `2h05m`, `3d04h`. */
export function formatSpan(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return NO_VALUE;
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

/** `10s`, `5m`, `1h`, `90s`: a grid step (a slide, a bucket width) as the options say it. */
export function formatStep(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
