import fc from 'fast-check';
import { from, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  EventBatch,
  type LateEvent,
  type LogEvent,
  NO_STATUS,
  type SlidingWindowRecord,
} from '../../operators/index.js';
import { slidingWindow } from '../../operators/sliding-window.js';
import { BASE_TIME as base, event, testScheduler } from '../support/events.js';

describe('slidingWindow (event time)', () => {
  it('counts failures over the last 60 s batch by batch (the seed test)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c|', {
        a: [event('monitoring', 30, 200), event('monitoring', 90, 500)],
        b: [event('monitoring', 100, 503)],
        c: [event('monitoring', 155, 504)],
      });
      expectObservable(source.pipe(slidingWindow())).toBe('-x-y-z|', {
        x: {
          task: 'sliding-window',
          windowStart: base + 30,
          windowEnd: base + 90,
          failures: 1,
          total: 2,
          rate: 0.5,
          late: 0,
          services: [{ service: 'monitoring', failures: 1, total: 2, rate: 0.5 }],
        },
        y: {
          task: 'sliding-window',
          windowStart: base + 40,
          windowEnd: base + 100,
          failures: 2,
          total: 2,
          rate: 1,
          late: 0,
          services: [{ service: 'monitoring', failures: 2, total: 2, rate: 1 }],
        },
        z: {
          task: 'sliding-window',
          windowStart: base + 95,
          windowEnd: base + 155,
          failures: 2,
          total: 2,
          rate: 1,
          late: 0,
          services: [{ service: 'monitoring', failures: 2, total: 2, rate: 1 }],
        },
      });
    });
  });

  it('keeps an event exactly at the window start and evicts it once the end moves past', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('abc|', {
        a: event('api', 10.25, 500),
        b: event('api', 70.25, 200),
        c: event('api', 70.5, 200),
      });
      expectObservable(source.pipe(slidingWindow())).toBe('xyz|', {
        x: expect.objectContaining({ windowStart: base - 49.75, failures: 1, total: 1 }),
        y: expect.objectContaining({
          windowStart: base + 10.25,
          windowEnd: base + 70.25,
          failures: 1,
          total: 2,
          rate: 0.5,
        }),
        z: expect.objectContaining({ windowStart: base + 10.5, failures: 0, total: 2, rate: 0 }),
      });
    });
  });

  it('counts an event older than the window start as late, and one on the start in the window', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('abc|', {
        a: event('api', 100, 200),
        b: event('api', 39.9, 500),
        c: event('api', 40, 500),
      });
      expectObservable(source.pipe(slidingWindow())).toBe('xyz|', {
        x: expect.objectContaining({ failures: 0, total: 1, late: 0 }),
        y: expect.objectContaining({
          windowStart: base + 40,
          windowEnd: base + 100,
          failures: 0,
          total: 1,
          late: 1,
        }),
        z: expect.objectContaining({ failures: 1, total: 2, rate: 0.5, late: 1 }),
      });
    });
  });

  it('decides lateness event by event within an array, in array order', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const newestFirst = cold('a|', { a: [event('api', 75, 200), event('api', 10, 500)] });
      const oldestFirst = cold('a|', { a: [event('api', 10, 500), event('api', 75, 200)] });
      // Newest first: 10 < 75 - 60 when it arrives, so it is late. Oldest first: it enters
      // the window, then leaves it when 75 arrives, and is not late.
      expectObservable(newestFirst.pipe(slidingWindow())).toBe('x|', {
        x: expect.objectContaining({ failures: 0, total: 1, late: 1 }),
      });
      expectObservable(oldestFirst.pipe(slidingWindow())).toBe('x|', {
        x: expect.objectContaining({ failures: 0, total: 1, late: 0 }),
      });
    });
  });

  it('counts out-of-order events inside the window until the window passes them', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('abcd|', {
        a: event('api', 100, 200),
        b: [event('api', 50, 503), event('api', 45.5, 404)],
        c: event('api', 105.5, 200),
        d: event('api', 110.5, 200),
      });
      expectObservable(source.pipe(slidingWindow())).toBe('wxyz|', {
        w: expect.objectContaining({ windowEnd: base + 100, failures: 0, total: 1 }),
        x: expect.objectContaining({ windowEnd: base + 100, failures: 2, total: 3, late: 0 }),
        y: expect.objectContaining({ windowStart: base + 45.5, failures: 2, total: 4 }),
        z: expect.objectContaining({ windowStart: base + 50.5, failures: 0, total: 3, late: 0 }),
      });
    });
  });

  it('lists services by name, keeps status-less ones, and drops those that left the window', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab|', {
        a: [
          event('web', 0, 503),
          event('__proto__', 1, 404),
          event('constructor', 2, null),
          event('api', 30, 200),
          event('api', 31, 302),
        ],
        b: event('api', 60.5, 500),
      });
      expectObservable(source.pipe(slidingWindow())).toBe('xy|', {
        x: expect.objectContaining({
          failures: 2,
          total: 4,
          services: [
            { service: '__proto__', failures: 1, total: 1, rate: 1 },
            { service: 'api', failures: 0, total: 2, rate: 0 },
            { service: 'constructor', failures: 0, total: 0, rate: null },
            { service: 'web', failures: 1, total: 1, rate: 1 },
          ],
        }),
        // The window is now [0.5, 60.5]: web (0) has left, __proto__ (1) and constructor stay.
        y: expect.objectContaining({
          failures: 2,
          total: 4,
          services: [
            { service: '__proto__', failures: 1, total: 1, rate: 1 },
            { service: 'api', failures: 1, total: 3, rate: 1 / 3 },
            { service: 'constructor', failures: 0, total: 0, rate: null },
          ],
        }),
      });
    });
  });

  it('emits the current window for an empty array, nulls before any event', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('abc|', { a: [], b: [event('api', 5, 500)], c: [] });
      const empty: SlidingWindowRecord = {
        task: 'sliding-window',
        windowStart: null,
        windowEnd: null,
        failures: 0,
        total: 0,
        rate: null,
        late: 0,
        services: [],
      };
      const one: SlidingWindowRecord = {
        task: 'sliding-window',
        windowStart: base - 55,
        windowEnd: base + 5,
        failures: 1,
        total: 1,
        rate: 1,
        late: 0,
        services: [{ service: 'api', failures: 1, total: 1, rate: 1 }],
      };
      expectObservable(source.pipe(slidingWindow())).toBe('xyy|', { x: empty, y: one });
    });
  });

  it('skips invalid events and moves the window for events without a status', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab|', {
        a: [event('api', 0, 500), { service: 'api' } as unknown as LogEvent],
        b: event('api', 10.5, null),
      });
      expectObservable(source.pipe(slidingWindow({ windowSeconds: 10 }))).toBe('xy|', {
        x: expect.objectContaining({ failures: 1, total: 1, late: 0 }),
        y: expect.objectContaining({
          windowStart: base + 0.5,
          windowEnd: base + 10.5,
          failures: 0,
          total: 0,
          rate: null,
          services: [{ service: 'api', failures: 0, total: 0, rate: null }],
        }),
      });
    });
  });

  it('starts from an empty window for each subscription', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const windowed = cold('a|', { a: event('api', 1, 500) }).pipe(slidingWindow());
      const first = { a: expect.objectContaining({ failures: 1, total: 1 }) };
      expectObservable(windowed).toBe('a|', first);
      expectObservable(windowed).toBe('a|', first);
    });
  });

  it('rejects a window length that is negative or not finite', () => {
    expect(() => slidingWindow({ windowSeconds: -1 })).toThrow(RangeError);
    expect(() => slidingWindow({ windowSeconds: Number.NaN })).toThrow(RangeError);
    expect(() => slidingWindow({ windowSeconds: Infinity })).toThrow(RangeError);
  });
});

describe('slidingWindow (late side output)', () => {
  const a = [event('api', 30, 200), event('api', 90, 500)];
  const b = event('api', 100, 503);
  const c = [event('db', 25, 504), event('api', 40, 200), event('web', 39.9, 500)];
  const lateOf = (late: LogEvent, start: number, end: number): LateEvent => ({
    task: 'sliding-window',
    reason: `older than the window start ${start} (window [${start}, ${end}])`,
    event: late,
  });

  it('emits each late event once, before its batch’s record, and completes with the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-----|', { a, b, c });
      const late = new Subject<LateEvent>();
      expectObservable(late).toBe('-----(xy)--|', {
        x: lateOf(c[0]!, base + 40, base + 100),
        y: lateOf(c[2]!, base + 40, base + 100),
      });
      expectObservable(source.pipe(slidingWindow({ late }))).toBe('-r-s-t-----|', {
        r: expect.objectContaining({ failures: 1, total: 2, late: 0 }),
        s: expect.objectContaining({ windowStart: base + 40, failures: 2, total: 2, late: 0 }),
        // The event on the start (40) is in the window; 25 and 39.9 are late.
        t: expect.objectContaining({ windowStart: base + 40, failures: 2, total: 3, late: 2 }),
      });
      expectSubscriptions(source.subscriptions).toBe('^----------!');
    });
  });

  it('passes the source’s error on to an observer', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const late = new Subject<LateEvent>();
      expectObservable(late).toBe('---#', undefined, 'boom');
      expectObservable(cold('-a-#', { a }, 'boom').pipe(slidingWindow({ late }))).toBe(
        '-r-#',
        { r: expect.anything() },
        'boom',
      );
    });
  });

  it('hands the original objects to a function, with no late event for an in-order stream', () => {
    const seen: LateEvent[] = [];
    const records: SlidingWindowRecord[] = [];
    from([a, b, c])
      .pipe(slidingWindow({ late: (event) => seen.push(event) }))
      .subscribe((record) => records.push(record));
    expect(seen.map((late) => late.event)).toEqual([c[0], c[2]]);
    expect(seen[0]!.event).toBe(c[0]);
    expect(records.at(-1)?.late).toBe(2);
    const none: LateEvent[] = [];
    from([a, b])
      .pipe(slidingWindow({ late: (event) => none.push(event) }))
      .subscribe();
    expect(none).toEqual([]);
  });

  it('counts the late events of each subscription apart', () => {
    const seen: LateEvent[] = [];
    const windowed = from([a, b, c]).pipe(slidingWindow({ late: (event) => seen.push(event) }));
    windowed.subscribe();
    windowed.subscribe();
    expect(seen).toHaveLength(4);
  });
});

// --- Property: every record equals a brute-force recount of the events seen. ---

interface GeneratedEvent {
  readonly service: string;
  /** Where the event sits around the stream's trend, in window lengths. */
  readonly jitter: number;
  readonly status: number | null;
}

const generatedEvent = fc.record({
  service: fc.constantFrom('api', 'auth', 'db', '__proto__'),
  // Quarter steps land exactly on window boundaries; doubles give arbitrary fractions.
  jitter: fc.oneof(
    fc.integer({ min: -6, max: 2 }).map((quarters) => quarters / 4),
    fc.double({ min: -1.5, max: 0.5, noNaN: true }),
  ),
  status: fc.constantFrom(null, 100, 200, 204, 299, 301, 399, 400, 404, 500, 503, 599, 600),
});

const scenario = fc.record({
  windowSeconds: fc.constantFrom(2.5, 10, 60),
  // How far the stream's trend moves per event, in seconds.
  step: fc.constantFrom(0, 0.25, 1, 3),
  batches: fc.array(fc.array(generatedEvent, { maxLength: 30 }), { maxLength: 20 }),
});

function bruteForce(batches: readonly LogEvent[][], windowSeconds: number): SlidingWindowRecord[] {
  const kept: { service: string; time: number; status: number | null }[] = [];
  let newest = -Infinity;
  let late = 0;
  const records: SlidingWindowRecord[] = [];
  for (const batch of batches) {
    for (const { service, timestamp, message } of batch) {
      const time = timestamp as number;
      if (time < newest - windowSeconds) {
        late += 1;
        continue;
      }
      const code = /HTTP Status Code: (\d{3})/.exec(message);
      kept.push({ service, time, status: code ? Number(code[1]) : null });
      newest = Math.max(newest, time);
    }
    const start = newest - windowSeconds;
    const inWindow = kept.filter((e) => e.time >= start && e.time <= newest);
    const perService = new Map<string, { failures: number; total: number }>();
    let failures = 0;
    let total = 0;
    for (const e of inWindow) {
      const counts = perService.get(e.service) ?? { failures: 0, total: 0 };
      perService.set(e.service, counts);
      if (e.status === null) continue;
      const failure = e.status >= 400 && e.status <= 599 ? 1 : 0;
      counts.total += 1;
      counts.failures += failure;
      total += 1;
      failures += failure;
    }
    const names = [...perService.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    records.push({
      task: 'sliding-window',
      windowStart: newest === -Infinity ? null : start,
      windowEnd: newest === -Infinity ? null : newest,
      failures,
      total,
      rate: total === 0 ? null : failures / total,
      late,
      services: names.map((service) => {
        const counts = perService.get(service)!;
        const rate = counts.total === 0 ? null : counts.failures / counts.total;
        return { service, ...counts, rate };
      }),
    });
  }
  return records;
}

function collect(batches: readonly LogEvent[][], windowSeconds: number): SlidingWindowRecord[] {
  const records: SlidingWindowRecord[] = [];
  from(batches)
    .pipe(slidingWindow({ windowSeconds }))
    .subscribe((record) => records.push(record));
  return records;
}

describe('slidingWindow (property)', () => {
  it('equals a brute-force recount after every batch, in any arrival order', () => {
    fc.assert(
      fc.property(scenario, ({ windowSeconds, step, batches }) => {
        let index = 0;
        const events = batches.map((batch) =>
          batch.map(({ service, jitter, status }: GeneratedEvent) =>
            event(service, index++ * step + jitter * windowSeconds, status),
          ),
        );
        expect(collect(events, windowSeconds)).toEqual(bruteForce(events, windowSeconds));
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

describe('slidingWindow (volume)', () => {
  it('holds two million in-order events in one window', () => {
    const batchSize = 100_000;
    const batches = 20;
    const services = ['api', 'auth', 'db', 'web'];
    const statuses = [200, 500, NO_STATUS, 404, 201];
    const window = from(
      Array.from({ length: batches }, (_, b) => {
        const names = new Array<string>(batchSize);
        const times = new Float64Array(batchSize);
        const codes = new Uint16Array(batchSize);
        for (let i = 0; i < batchSize; i++) {
          const n = b * batchSize + i;
          names[i] = services[n % services.length]!;
          times[i] = base + n / 1000; // 2,000 s of events in a window of 3,600 s
          codes[i] = statuses[n % statuses.length]!;
        }
        // The window reads services, times and statuses only.
        return EventBatch.fromColumns(
          names,
          times,
          codes,
          new Array<string>(batchSize).fill(''),
          [],
        );
      }),
    ).pipe(slidingWindow({ windowSeconds: 3600 }));
    let last: SlidingWindowRecord | undefined;
    window.subscribe((record) => {
      last = record;
    });
    const events = batches * batchSize;
    // Every fifth event has no status, two in five are failures (500 and 404).
    expect(last).toMatchObject({
      windowEnd: base + (events - 1) / 1000,
      failures: (events / 5) * 2,
      total: (events / 5) * 4,
      rate: 0.5,
      late: 0,
    });
    expect(last?.services.map((s) => s.total)).toEqual([400_000, 400_000, 400_000, 400_000]);
  });
});
