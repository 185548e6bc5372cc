import { NEVER, Subject, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  applyInput,
  type DashboardData,
  dashboardFeed,
  type FeedInput,
  FORWARDED_KEPT,
  initialDashboardData,
} from '../../src/dashboard/feed.js';
import { KEYED_WINDOWS_KEPT } from '../../src/dashboard/service-table.js';
import type { SourceStats } from '../../src/dashboard/types.js';
import { testScheduler } from '../support/events.js';
import { keyedWindow, lazyGroups, output, slidingWindow } from './helpers.js';

const stats = (events: number): SourceStats => ({
  files: 1,
  events,
  invalid: 0,
  brokenFiles: 0,
  latestError: null,
});

function fold(inputs: FeedInput[], now = 0): DashboardData {
  return inputs.reduce((data, input) => applyInput(data, input, now), initialDashboardData());
}

describe('applyInput', () => {
  it('keeps the latest record of each task', () => {
    const first = slidingWindow([['api', 1, 10]]);
    const second = slidingWindow([['api', 2, 10]]);
    const data = fold([
      { kind: 'output', output: output(first) },
      { kind: 'output', output: output(second) },
    ]);
    expect(data.slidingWindow).toBe(second);
    expect(data.failureRates).toEqual([0.1, 0.2]);
  });

  it('keeps the latest windows of each service, counting closed windows and anomalies', () => {
    const inputs: FeedInput[] = [];
    for (let i = 0; i < KEYED_WINDOWS_KEPT + 5; i++) {
      inputs.push({
        kind: 'output',
        output: output(keyedWindow('api', i * 10, { anomaly: i === 3 })),
      });
    }
    inputs.push({ kind: 'output', output: output(keyedWindow('__proto__', 0)) });
    const { keyedWindows, services, anomalies } = fold(inputs);
    const api = services.get('api')!.windows;
    expect(api).toHaveLength(KEYED_WINDOWS_KEPT);
    expect(api.at(-1)!.windowStart).toBe((KEYED_WINDOWS_KEPT + 4) * 10);
    expect(services.get('__proto__')!.windows).toHaveLength(1);
    expect(services.get('api')!.anomalies).toBe(1);
    expect(anomalies.map((w) => [w.service, w.windowStart])).toEqual([['api', 30]]);
    expect(keyedWindows.closed).toBe(KEYED_WINDOWS_KEPT + 6);
    expect(keyedWindows.anomalies).toBe(1);
    expect(keyedWindows.latest!.service).toBe('__proto__');
  });

  it('puts an update in place of the version it revises, counted apart, its anomaly by its latest version', () => {
    const inputs: FeedInput[] = [
      keyedWindow('api', 0),
      keyedWindow('api', 10, { anomaly: true }),
      keyedWindow('api', 20),
      keyedWindow('api', 10, { update: true, total: 60, anomaly: false }),
      keyedWindow('api', 20, { update: true, anomaly: true }),
      // Its first version was emitted before a resume: it goes in window order.
      keyedWindow('api', 5, { update: true }),
    ].map((window) => ({ kind: 'output', output: output(window) }));
    const { keyedWindows, services, anomalies } = fold(inputs);
    // The window at 10 is no anomaly in its latest version: out of the list; 20 now is one.
    expect(anomalies.map((w) => [w.windowStart, w.update])).toEqual([[20, true]]);
    expect(services.get('api')!.anomalies).toBe(1);
    const api = services.get('api')!.windows;
    expect(api.map((w) => [w.windowStart, w.update])).toEqual([
      [0, false],
      [5, true],
      [10, true],
      [20, true],
    ]);
    expect(api[2]!.total).toBe(60);
    expect(keyedWindows.closed).toBe(3);
    expect(keyedWindows.updated).toBe(3);
    expect(keyedWindows.anomalies).toBe(1);
  });

  it('counts lazy-groups batches from the record when it says, else by records', () => {
    const counted = fold([
      { kind: 'output', output: output(lazyGroups([['api', 1, 1]])) },
      { kind: 'output', output: output(lazyGroups([['api', 2, 2]])) },
    ]);
    expect(counted.lazyBatches).toBe(2);
    const told = fold([
      { kind: 'output', output: output(lazyGroups([['api', 1, 1]], { batches: 7 })) },
    ]);
    expect(told.lazyBatches).toBe(7);
  });

  it('keeps the latest forwarded events, newest first', () => {
    const inputs: FeedInput[] = Array.from({ length: FORWARDED_KEPT + 3 }, (_, i) => ({
      kind: 'forwarded',
      event: { service: 'api', timestamp: i, message: `m${i}` },
    }));
    const { forwarded } = fold(inputs);
    expect(forwarded).toHaveLength(FORWARDED_KEPT);
    expect(forwarded[0]!.event.message).toBe(`m${FORWARDED_KEPT + 2}`);
    expect(forwarded.map((entry) => entry.id).slice(0, 2)).toEqual([
      FORWARDED_KEPT + 3,
      FORWARDED_KEPT + 2,
    ]);
  });

  it("gathers every task's figures of a service in one row, and its failure history", () => {
    const data = fold([
      {
        kind: 'output',
        output: output(
          slidingWindow([
            ['api', 1, 10],
            ['web', 5, 10],
          ]),
        ),
      },
      { kind: 'output', output: output(slidingWindow([['web', 9, 10]])) },
      { kind: 'output', output: output(lazyGroups([['api', 3, 4]])) },
      { kind: 'forwarded', event: { service: 'api', timestamp: 1, message: 'm' } },
      { kind: 'forwarded', event: { service: 'unknown', timestamp: 1, message: 'm' } },
    ]);
    const api = data.services.get('api')!;
    // No event of api in the latest window: no window figures, a gap in its history.
    expect(api.window).toBeNull();
    expect(data.services.history(api, 5)).toEqual([0.1, null]);
    expect(data.services.history(data.services.get('web')!, 1)).toEqual([0.9]);
    expect(api.lazy).toMatchObject({ successes: 3, total: 4 });
    expect(api.forwarded).toBe(1);
    // A forwarded event adds no service: the tasks bound the services, the Bloom filter does not.
    expect(data.services.get('unknown')).toBeUndefined();
    expect(data.services.size).toBe(2);
  });

  it('says when every record is in', () => {
    expect(fold([]).ended).toBe(false);
    expect(fold([{ kind: 'ended' }]).ended).toBe(true);
  });

  it('returns the same data on a tick that changes nothing', () => {
    const data = fold([{ kind: 'stats', stats: stats(5) }], 0);
    const later = applyInput(applyInput(data, { kind: 'tick' }, 10_000), { kind: 'tick' }, 10_000);
    expect(applyInput(later, { kind: 'tick' }, 10_000)).toBe(later);
  });
});

describe('dashboardFeed', () => {
  it('measures events per second from the stats and lets it fall when the source is quiet', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, flush }) => {
      const rates: (number | null)[] = [];
      const feed = dashboardFeed(
        {
          outputs: NEVER,
          stats: cold('a 999ms b 999ms c', { a: stats(0), b: stats(1000), c: stats(3000) }),
          forwarded: NEVER,
        },
        { now: () => scheduler.now(), tickMs: 1000, rateWindowMs: 2000 },
      );
      const subscription = feed.subscribe((data) => rates.push(data.eventsPerSecond));
      scheduler.schedule(() => subscription.unsubscribe(), 6000);
      flush();
      // 1000 events in the first second, 2000 in the next; quiet from 2 s, out of the window at 4 s.
      expect(rates.filter((rate) => rate !== null)).toEqual([1000, 1500, 1000, 0]);
    });
  });

  it('reports a failed stream and keeps what it had', () => {
    const outputs = new Subject<ReturnType<typeof output>>();
    const values: DashboardData[] = [];
    dashboardFeed({
      outputs,
      stats: throwError(() => new Error('disk gone')),
      forwarded: NEVER,
    }).subscribe((data) => values.push(data));
    expect(values.at(-1)!.failure).toBe('disk gone');
  });
});
