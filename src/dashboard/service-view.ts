import type { Thresholds } from './levels.js';
import type { ServiceRow, ServiceTable } from './service-table.js';

/**
 * The service lists as the keys left them: which services, in which order, which one is
 * selected. Every panel that lists services draws the same view, so `/`, `s` and the
 * selection act on all of them at once.
 */
export interface ServiceView {
  readonly table: ServiceTable;
  /** The services the filter keeps, in the chosen order. */
  readonly order: readonly ServiceRow[];
  /** Index of the selected service in `order`; -1 when `order` is empty. */
  readonly selected: number;
  /** What `/` typed; '' keeps every service. */
  readonly filter: string;
  readonly thresholds: Thresholds;
}

/**
 * The first of `rows` consecutive services to show so that the selected one is among them:
 * the selection sits in the middle once the list is scrolled, the list never scrolls past
 * its end. Only the rows shown are ever drawn, however many services there are.
 */
export function firstShown(count: number, selected: number, rows: number): number {
  if (rows <= 0 || count <= rows) return 0;
  return Math.min(count - rows, Math.max(0, selected - Math.floor(rows / 2)));
}
