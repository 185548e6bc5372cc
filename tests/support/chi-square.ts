/**
 * The chi-square statistic of how often each of `n` items was kept in `runs` samples of `k`
 * items without replacement, against a uniform sample (each item kept with p = k/n). The
 * variance carries the finite-population factor n/(n-1): items of one sample are not
 * independent. Under uniformity it follows chi-square with n-1 degrees of freedom.
 */
export function inclusionChiSquare(kept: readonly number[], runs: number, k: number): number {
  const n = kept.length;
  const p = k / n;
  const expected = runs * p;
  const variance = runs * p * (1 - p) * (n / (n - 1));
  return kept.reduce((sum, observed) => sum + (observed - expected) ** 2, 0) / variance;
}
