/** The median of numbers (the mean of the middle two for an even count); NaN when empty. */
export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The nearest-rank percentile `p` (0–100) of numbers; Infinity counts as the slowest. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Each numeric field's median over runs (objects of the same shape). */
export function medianOf(runs, fields) {
  const result = {};
  for (const field of fields) result[field] = median(runs.map((run) => run[field]));
  return result;
}

/**
 * The figures of variants measured round by round over a corpus of `events`: for each, its
 * medians (wall, CPU, peak RSS and the `extra` fields), events per second, `ratio` (its median
 * wall / the first variant's) and `pairedRatio` (the median of each round's ratio), and its runs.
 */
export function interleavedFigures(variants, perVariant, events, extra = []) {
  const baseWalls = perVariant[variants[0].name].map((run) => run.wall);
  const result = {};
  for (const { name, label } of variants) {
    const list = perVariant[name];
    const medians = medianOf(list, ['wall', 'cpu', 'rssMB', ...extra]);
    result[name] = {
      label,
      ...medians,
      eventsPerSecond: events / medians.wall,
      ratio: medians.wall / median(baseWalls),
      pairedRatio: median(list.map((run, i) => run.wall / baseWalls[i])),
      runs: list,
    };
  }
  return result;
}
