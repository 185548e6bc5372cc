import { describe, expect, it } from 'vitest';
import { orderServices, ServiceOrder, worstService } from '../../src/dashboard/service-order.js';
import { ServiceTable } from '../../src/dashboard/service-table.js';
import { runningAverage, slidingWindow } from './helpers.js';

/** api fails 10 % of 100, web 90 % of 10, db 50 % of 1000 (in the window); cache has no window. */
function table(): ServiceTable {
  const services = new ServiceTable();
  services.addRunningAverage(
    runningAverage([
      ['api', 90, 100],
      ['cache', 5, 10],
      ['db', 500, 1000],
      ['web', 1, 10],
    ]),
  );
  services.addSlidingWindow(
    slidingWindow([
      ['api', 10, 100],
      ['db', 500, 1000],
      ['web', 9, 10],
    ]),
  );
  return services;
}

const names = (rows: { service: string }[]) => rows.map((row) => row.service);

describe('orderServices', () => {
  it('puts the highest failure rate now first, since start where the window has none', () => {
    // cache: 50 % since start, db's volume is larger.
    expect(names(orderServices(table().rows(), 'worst', ''))).toEqual([
      'web',
      'db',
      'cache',
      'api',
    ]);
    expect(worstService(table())!.service).toBe('web');
  });

  it('sorts by volume (the worse first on a tie) and by name', () => {
    expect(names(orderServices(table().rows(), 'volume', ''))).toEqual([
      'db',
      'api',
      'web',
      'cache',
    ]);
    expect(names(orderServices(table().rows(), 'name', ''))).toEqual(['api', 'cache', 'db', 'web']);
  });

  it('keeps the services whose name contains the filter, in any case', () => {
    expect(names(orderServices(table().rows(), 'name', 'A'))).toEqual(['api', 'cache']);
    expect(orderServices(table().rows(), 'name', 'zzz')).toEqual([]);
  });
});

describe('ServiceOrder', () => {
  it('applies a new sort or filter at once, and a changed table no sooner than ten times the last sort took', () => {
    const order = new ServiceOrder(() => 0);
    const services = table();
    const first = order.of(services, 'worst', '');
    expect(order.of(services, 'worst', '')).toBe(first);
    expect(names([...order.of(services, 'name', '')])).toEqual(['api', 'cache', 'db', 'web']);
    services.addRunningAverage(runningAverage([['new', 1, 1]]));
    // The last sort took no time on this clock: the changed table is sorted again at once.
    expect(names([...order.of(services, 'name', '')])).toContain('new');
  });

  it('keeps a stale order while sorting would take more than a tenth of the time', () => {
    // Every reading of this clock is 5 ms later: each sort takes 5 ms.
    let now = 0;
    const order = new ServiceOrder(() => (now += 5));
    const services = table();
    const sorted = order.of(services, 'name', '');
    services.addRunningAverage(runningAverage([['new', 1, 1]]));
    expect(order.of(services, 'name', '')).toBe(sorted);
    now += 50;
    expect(names([...order.of(services, 'name', '')])).toContain('new');
  });
});
