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
  const keys = new Map<ServiceRow, SortKey>();
  for (const row of kept) keys.set(row, sortKey(row));
  const compare = sort === 'worst' ? worseFirst : busierFirst;
  return kept.sort((a, b) => compare(keys.get(a)!, keys.get(b)!) || byName(a, b));
}

/**
 * The service failing most now, the first of the worst-first order over the whole table
 * (the header names it whatever the filter); null when no service is rated. One pass.
 */
export function worstService(table: ServiceTable): ServiceRow | null {
  let worst: ServiceRow | null = null;
  let worstKey: SortKey | undefined;
  for (const row of table.rows()) {
    const key = sortKey(row);
    if (key.failure === -1) continue;
    if (worstKey === undefined || (worseFirst(key, worstKey) || byName(row, worst!)) < 0) {
      worst = row;
      worstKey = key;
    }
  }
  return worst;
}

/** What the orders compare: the failure rate now (-1 when unrated) and the volume. */
interface SortKey {
  readonly failure: number;
  readonly volume: number;
}

function sortKey(row: ServiceRow): SortKey {
  return { failure: failureNow(row) ?? -1, volume: volumeOf(row) };
}

/** Worst rate first, the busier first on a tie. */
function worseFirst(a: SortKey, b: SortKey): number {
  return b.failure - a.failure || b.volume - a.volume;
}

/** Busiest first, the worse first on a tie. */
function busierFirst(a: SortKey, b: SortKey): number {
  return b.volume - a.volume || b.failure - a.failure;
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
