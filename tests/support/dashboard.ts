/** The panel titles SPEC.md "Dashboard" names, one per task, written down here by hand. */
export const PANEL_TITLES: readonly string[] = [
  'Running average',
  'Sliding window',
  'Reservoir',
  'Bloom',
  'Lazy groups',
  'Keyed windows',
];
