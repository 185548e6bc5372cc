import { failureNow, type ServiceRow, type ServiceTable, volumeOf } from './service-table.js';

/** The orders of the service lists, in the order `s` cycles through them (SPEC keys). */
export const SERVICE_SORTS = ['worst', 'volume', 'name'] as const;
export type ServiceSort = (typeof SERVICE_SORTS)[number];

/** What each order is called on screen. */
export const SORT_LABELS: Readonly<Record<ServiceSort, string>> = {
  worst: 'worst rate first',
  volume: 'volume',
  name: 'name',
};

/** The order after `sort` when `s` is pressed. */
export function nextSort(sort: ServiceSort): ServiceSort {
  return SERVICE_SORTS[(SERVICE_SORTS.indexOf(sort) + 1) % SERVICE_SORTS.length]!;
}

/**
 * The services whose name contains `filter` (case-insensitive), in `sort` order: the highest failure rate now first (see {@link failureNow}; the
 * larger volume first on a tie), the largest volume first, or by name. Ties and unrated
 * services fall back to the name, so the order is total and stable between frames.
 */
export function orderServices(
  rows: Iterable<ServiceRow>,
  sort: ServiceSort,
  filter: string,
): ServiceRow[] {
  const needle = filter.toLowerCase();
  const kept: ServiceRow[] = [];
  for (const row of rows) {
    if (needle === '' || row.service.toLowerCase().includes(needle)) {
      kept.push(row);
    }
  }
  if (sort === 'name') return kept.sort(byName);
  // Computed once per row, not once per comparison.
  const keys = new Map<ServiceRow, readonly [number, number]>();
  for (const row of kept) keys.set(row, [failureNow(row) ?? -1, volumeOf(row)]);
  const [first, second] = sort === 'worst' ? [0, 1] : [1, 0];
  return kept.sort((a, b) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    return kb[first]! - ka[first]! || kb[second]! - ka[second]! || byName(a, b);
  });
}

function byName(a: ServiceRow, b: ServiceRow): number {
  return a.service < b.service ? -1 : a.service > b.service ? 1 : 0;
}

/**
 * The ordered services of a table, recomputed when the table, the sort or the filter
 * changed, but for a changing table no more often than keeps ordering under a tenth of the
 * time: sorting is the one step of a frame that grows with the number of services, and with
 * tens of thousands of them a sort per frame would starve the keys. A new sort or filter is
 * applied at once.
 */
export class ServiceOrder {
  private order: ServiceRow[] = [];
  private version = -1;
  private sort: ServiceSort | undefined;
  private filter: string | undefined;
  private table: ServiceTable | undefined;
  private nextAt = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  of(table: ServiceTable, sort: ServiceSort, filter: string): readonly ServiceRow[] {
    const asked = table !== this.table || sort !== this.sort || filter !== this.filter;
    const stale = table.version !== this.version && this.now() >= this.nextAt;
    if (!asked && !stale) return this.order;
    const started = this.now();
    this.order = orderServices(table.rows(), sort, filter);
    const took = this.now() - started;
    this.nextAt = started + took * 10;
    this.version = table.version;
    this.table = table;
    this.sort = sort;
    this.filter = filter;
    return this.order;
  }
}
