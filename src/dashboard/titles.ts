import type { PanelId } from './layout.js';

/** The panel titles users and checks look for (SPEC "Dashboard"). */
export const PANEL_TITLES: Readonly<Record<PanelId, string>> = {
  'running-average': 'Running average',
  'sliding-window': 'Sliding window',
  reservoir: 'Reservoir',
  bloom: 'Bloom',
  'lazy-groups': 'Lazy groups',
  'keyed-windows': 'Keyed windows',
};
