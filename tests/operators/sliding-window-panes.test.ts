import fc from 'fast-check';
import { map, mergeMap, Observable, reduce, Subject, windowTime } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch, NO_STATUS } from '../../operators/batch.js';
import type { LogEvent } from '../../operators/event.js';
import type { LateEvent, SlidingWindowRecord } from '../../operators/records.js';
import { OTHER_SERVICES } from '../../operators/service-limit.js';
import { SlidingWindowState, slidingWindow } from '../../operators/sliding-window.js';
import { SlidingPanesState } from '../../operators/sliding-window-panes.js';
import { decodeTaskState, mergeTaskStates } from '../../operators/states.js';
import { encodeColumn, StateError } from '../../operators/task-state.js';
import { event, testScheduler } from '../support/events.js';
import {
  expectAssociative,
  expectIdentity,
  expectOnlyStateErrors,
  expectSameState,
} from '../support/state-laws.js';

const failure = (status: number) => status >= 400 && status <= 599;

/** The record of a window of `events` (services sorted, those without events omitted). */
function recordOf(
  events: readonly { service: string; status: number | null }[],
  windowStart: number | null,
  windowEnd: number | null,
): SlidingWindowRecord {
  const perService = new Map<string, { failures: number; total: number }>();
  let failures = 0;
  let total = 0;
  for (const { service, status } of events) {
    const counts = perService.get(service) ?? { failures: 0, total: 0 };
    perService.set(service, counts);
    if (status === null) continue;
    counts.total += 1;
    total += 1;
    if (failure(status)) {
      counts.failures += 1;
      failures += 1;
    }
  }
  return {
    task: 'sliding-window',
    windowStart,
    windowEnd,
    failures,
    total,
    rate: total === 0 ? null : failures / total,
    late: 0,
    services: [...perService.keys()]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((service) => {
        const counts = perService.get(service)!;
        return {
          service,
          ...counts,
          rate: counts.total === 0 ? null : counts.failures / counts.total,
        };
      }),
  };
}

const statusOf = (e: LogEvent): number | null => {
  const code = /HTTP Status Code: (\d{3})/.exec(e.message);
  return code ? Number(code[1]) : null;
};

describe('slidingWindow (processing clock, on windowTime)', () => {
  // Arrivals in virtual time (1 frame = 1 ms); timestamps (late, or far ahead) are not read.
  const values = {
    a: [event('api', 1e6, 500), event('db', -1e6, 200)],
    b: event('api', 0, 404),
    c: event('db', 5, 503),
    d: event('api', 5, 200),
    e: event('web', 5, null),
    f: event('api', 5, 500),
  };
  // a at 200 ms, b at 700, c at 1,500, d at 2,300, e at 3,600, f at 4,100, complete at 7,500.
  const arrivals = '200ms a 499ms b 799ms c 799ms d 1299ms e 499ms f 3399ms |';

  it('emits one record per slide with the counts of the window ending there', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(arrivals, values);
      const windowed = source.pipe(
        slidingWindow({ clock: 'processing', windowSeconds: 3, slideSeconds: 1, scheduler }),
      );
      // Panes: (0, 1] a b, (1, 2] c, (2, 3] d, (3, 4] e, (4, 5] f, then nothing; a window
      // is the last three panes. Records at every slide, through the silence too, and one
      // at completion for the partial pane (7, 7.5].
      expectObservable(windowed).toBe(
        '1000ms r 999ms s 999ms t 999ms u 999ms v 999ms w 999ms x 499ms (y|)',
        {
          r: recordOf(
            [
              { service: 'api', status: 500 },
              { service: 'db', status: 200 },
              { service: 'api', status: 404 },
            ],
            -2,
            1,
          ),
          s: {
            task: 'sliding-window',
            windowStart: -1,
            windowEnd: 2,
            failures: 3,
            total: 4,
            rate: 0.75,
            late: 0,
            services: [
              { service: 'api', failures: 2, total: 2, rate: 1 },
              { service: 'db', failures: 1, total: 2, rate: 0.5 },
            ],
          },
          t: expect.objectContaining({ windowStart: 0, windowEnd: 3, failures: 3, total: 5 }),
          // The first pane has left: c, d and e are in (1, 4].
          u: {
            task: 'sliding-window',
            windowStart: 1,
            windowEnd: 4,
            failures: 1,
            total: 2,
            rate: 0.5,
            late: 0,
            services: [
              { service: 'api', failures: 0, total: 1, rate: 0 },
              { service: 'db', failures: 1, total: 1, rate: 1 },
              { service: 'web', failures: 0, total: 0, rate: null },
            ],
          },
          v: recordOf(
            [
              { service: 'api', status: 200 },
              { service: 'web', status: null },
              { service: 'api', status: 500 },
            ],
            2,
            5,
          ),
          w: recordOf(
            [
              { service: 'web', status: null },
              { service: 'api', status: 500 },
            ],
            3,
            6,
          ),
          x: recordOf([{ service: 'api', status: 500 }], 4, 7),
          y: recordOf([], 4.5, 7.5),
        },
      );
      expectSubscriptions(source.subscriptions).toBe('^ 7499ms !');
    });
  });

  it('emits exactly when windowTime closes a pane, from the subscription on', () => {
    const scheduler = testScheduler();
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a 1299ms b 2199ms |', { a: values.a, b: values.b });
      const subscription = '300ms ^ 3499ms !';
      const ends = source.pipe(
        slidingWindow({ clock: 'processing', windowSeconds: 2, slideSeconds: 1, scheduler }),
        map((record) => record.windowEnd),
      );
      // windowTime's own panes of the same source, closed on the same scheduler.
      const panes = source.pipe(
        windowTime(1000, scheduler),
        mergeMap((pane) => pane.pipe(reduce((n) => n + 1, 0))),
        map(() => scheduler.now() / 1000),
      );
      const expected = '300ms - 999ms p 999ms q 999ms r 200ms (s|)';
      const frames = { p: 1.3, q: 2.3, r: 3.3, s: 3.501 };
      expectObservable(ends, subscription).toBe(expected, frames);
      expectObservable(panes, subscription).toBe(expected, frames);
      expectSubscriptions(source.subscriptions).toBe(['300ms ^ 3200ms !', '300ms ^ 3200ms !']);
    });
  });

  it('keeps emitting while nothing arrives, and uses asyncScheduler by default', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<LogEvent>('500ms a 2999ms |', { a: event('api', 0, 503) });
      const windowed = source.pipe(slidingWindow({ clock: 'processing', windowSeconds: 2 }));
      expectObservable(windowed).toBe('1000ms w 999ms x 999ms y 499ms (z|)', {
        w: recordOf([{ service: 'api', status: 503 }], -1, 1),
        x: recordOf([{ service: 'api', status: 503 }], 0, 2),
        y: recordOf([], 1, 3),
        z: recordOf([], 1.5, 3.5),
      });
    });
  });

  it('passes an error on at once, without a record of the open pane', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('200ms a 1299ms #', { a: values.a }, 'boom');
      const late = new Subject<LateEvent>();
      expectObservable(late).toBe('1500ms #', undefined, 'boom');
      expectObservable(
        source.pipe(slidingWindow({ clock: 'processing', windowSeconds: 2, scheduler, late })),
      ).toBe('1000ms r 499ms #', { r: expect.objectContaining({ total: 2 }) }, 'boom');
    });
  });

  it('completes the late output with the source, and sends nothing to it', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const late = new Subject<LateEvent>();
      expectObservable(late).toBe('1200ms |');
      const source = cold('100ms a 1099ms |', { a: [event('api', -1e9, 500)] });
      expectObservable(
        source.pipe(slidingWindow({ clock: 'processing', windowSeconds: 2, scheduler, late })),
      ).toBe('1000ms r 199ms (s|)', {
        r: expect.objectContaining({ total: 1, late: 0 }),
        s: expect.objectContaining({ total: 1, late: 0 }),
      });
    });
  });

  it('sums the last ceil(window / slide) panes when the slide does not divide the window', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      // Window 5 s in panes of 2 s: three panes, 6 s of arrivals.
      const source = cold('100ms a 1999ms b 1999ms c 1999ms d 1399ms |', {
        a: event('api', 0, 500),
        b: event('api', 0, 200),
        c: event('api', 0, 200),
        d: event('api', 0, 200),
      });
      const windowed = source.pipe(
        slidingWindow({ clock: 'processing', windowSeconds: 5, slideSeconds: 2, scheduler }),
      );
      // At completion (7.5 s) the panes ending after 7.5 - 2.5 slides: 4, 6 and 7.5.
      expectObservable(windowed).toBe('2000ms p 1999ms q 1999ms r 1499ms (s|)', {
        p: expect.objectContaining({ windowStart: -3, windowEnd: 2, failures: 1, total: 1 }),
        q: expect.objectContaining({ windowEnd: 4, failures: 1, total: 2 }),
        r: expect.objectContaining({ windowEnd: 6, failures: 1, total: 3 }),
        s: expect.objectContaining({ windowStart: 2.5, windowEnd: 7.5, failures: 0, total: 3 }),
      });
    });
  });

  it('continues from a given state, a decoded one too, and adds to it', () => {
    const whole: SlidingWindowRecord[] = [];
    const first = testScheduler();
    first.run(({ cold }) => {
      cold(arrivals, values)
        .pipe(slidingWindow({ clock: 'processing', windowSeconds: 3, scheduler: first }))
        .subscribe((record) => whole.push(record));
    });

    // The first 2.5 s through a state, unsubscribed while d is in its open pane.
    const state = SlidingPanesState.create({ windowSeconds: 3, slideSeconds: 1 });
    const early = testScheduler();
    early.run(({ cold, expectObservable }) => {
      const source = cold('200ms a 499ms b 799ms c 799ms d', values);
      expectObservable(source.pipe(slidingWindow({ state, scheduler: early })), '^ 2499ms !').toBe(
        '1000ms r 999ms s',
        { r: whole[0], s: whole[1] },
      );
    });
    expect(state.record()).toEqual(whole[1]);

    // Saved, then resumed at 2.5 s: the pane windowTime opens then closes at 3.5 s, with d.
    const resumed = SlidingPanesState.decode(JSON.parse(JSON.stringify(state.encode())), {
      windowSeconds: 3,
      slideSeconds: 1,
    });
    expect(resumed.record()).toEqual(whole[1]);
    const later = testScheduler();
    later.run(({ cold, expectObservable }) => {
      // e at 3.6 s, f at 4.1 s, complete at 7.7 s.
      const source = cold('1100ms e 499ms f 3599ms |', values);
      expectObservable(
        source.pipe(slidingWindow({ state: resumed, scheduler: later })),
        '2500ms ^',
      ).toBe('3500ms t 999ms u 999ms v 999ms w 999ms x 199ms (y|)', {
        t: recordOf(
          [
            { service: 'db', status: 503 },
            { service: 'api', status: 200 },
          ],
          0.5,
          3.5,
        ),
        u: recordOf(
          [
            { service: 'api', status: 200 },
            { service: 'web', status: null },
            { service: 'api', status: 500 },
          ],
          1.5,
          4.5,
        ),
        v: expect.objectContaining({ windowEnd: 5.5, failures: 1, total: 2 }),
        w: expect.objectContaining({ windowEnd: 6.5, failures: 1, total: 1 }),
        x: recordOf([], 4.5, 7.5),
        y: recordOf([], 4.7, 7.7),
      });
    });
    expect(resumed.newestEnd).toBe(7.7);
  });

  it('runs the diagram of its documentation (a frame is 250 ms)', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      // source: -a-b--c----d--|      a, b: 500, c: 200, d: 503
      const source = cold('250ms a 499ms b 749ms c 1249ms d 749ms |', {
        a: event('api', 0, 500),
        b: event('api', 0, 500),
        c: event('api', 0, 200),
        d: event('api', 0, 503),
      });
      // result: ----x---y---z-(w|)
      expectObservable(
        source.pipe(slidingWindow({ clock: 'processing', windowSeconds: 2, scheduler })),
      ).toBe('1000ms x 999ms y 999ms z 499ms (w|)', {
        x: expect.objectContaining({ windowStart: -1, windowEnd: 1, failures: 2, total: 2 }),
        y: expect.objectContaining({ windowStart: 0, windowEnd: 2, failures: 2, total: 3 }),
        z: expect.objectContaining({ windowStart: 1, windowEnd: 3, failures: 1, total: 2 }),
        w: expect.objectContaining({ windowStart: 1.5, windowEnd: 3.5, failures: 1, total: 1 }),
      });
    });
  });

  it('takes its clock and options from the state, and refuses others', () => {
    const state = SlidingPanesState.create({ windowSeconds: 10, slideSeconds: 2 });
    expect(() => slidingWindow({ state })).not.toThrow();
    expect(() =>
      slidingWindow({ state, clock: 'processing', windowSeconds: 10, slideSeconds: 2 }),
    ).not.toThrow();
    expect(() => slidingWindow({ state, clock: 'event' })).toThrow(/clock/);
    expect(() => slidingWindow({ state, windowSeconds: 60 })).toThrow(/windowSeconds/);
    expect(() => slidingWindow({ state, slideSeconds: 1 })).toThrow(/slideSeconds/);
    expect(() => slidingWindow({ state, maxServices: 5 })).toThrow(/maxServices/);
    expect(() =>
      slidingWindow({ state: SlidingWindowState.create(), clock: 'processing' }),
    ).toThrow(/clock/);
  });

  it('validates its options', () => {
    const processing = (options: object) => () =>
      slidingWindow({ clock: 'processing', ...options });
    expect(processing({})).not.toThrow();
    expect(processing({ windowSeconds: 0 })).toThrow(RangeError);
    expect(processing({ windowSeconds: Infinity })).toThrow(RangeError);
    expect(processing({ slideSeconds: 0 })).toThrow(RangeError);
    expect(processing({ slideSeconds: -1 })).toThrow(RangeError);
    expect(processing({ slideSeconds: Number.NaN })).toThrow(RangeError);
    expect(processing({ windowSeconds: 1, slideSeconds: 2 })).toThrow(/longer than windowSeconds/);
    expect(processing({ maxServices: 0 })).toThrow(RangeError);
    expect(() => slidingWindow({ clock: 'wall' as 'event' })).toThrow(/clock must be/);
  });
});

// --- Property: every record equals a recount of the arrivals of its window. ---

interface Arrival {
  /** Milliseconds after the subscription; never on a pane boundary (see below). */
  readonly at: number;
  readonly events: readonly LogEvent[];
}

const shapes = fc.constantFrom(
  { windowSeconds: 3, slideSeconds: 1 },
  { windowSeconds: 2.5, slideSeconds: 0.5 },
  { windowSeconds: 5, slideSeconds: 2 },
  { windowSeconds: 1, slideSeconds: 1 },
);

const anyEvent = fc
  .tuple(
    fc.constantFrom('api', 'db', 'web', '__proto__'),
    fc.constantFrom(null, 200, 302, 404, 500, 503, 600),
    fc.double({ min: -1e9, max: 1e9, noNaN: true }),
  )
  .map(([service, status, timestamp]) => event(service, timestamp, status));

describe('slidingWindow (processing clock, property)', () => {
  // An arrival at the very frame a pane closes goes to whichever the scheduler queued
  // first (the close, scheduled as the pane opened, or the arrival): the model keeps off
  // boundaries, so each arrival has one pane.
  it('records at each pane close the arrivals of the last ceil(window / slide) panes', () => {
    fc.assert(
      fc.property(
        shapes,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 800 }), fc.array(anyEvent, { maxLength: 4 })), {
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 3000 }),
        ({ windowSeconds, slideSeconds }, gaps, tail) => {
          const slide = slideSeconds * 1000;
          const arrivals: Arrival[] = [];
          let at = 0;
          for (const [gap, events] of gaps) {
            at += gap;
            if (at % slide === 0) at += 1;
            arrivals.push({ at, events });
          }
          let end = at + tail;
          if (end % slide === 0) end += 1;
          const scheduler = testScheduler();
          const records: [number, SlidingWindowRecord][] = [];
          let completedAt = -1;
          scheduler.run(() => {
            const source = new Observable<readonly LogEvent[]>((subscriber) => {
              for (const { at, events } of arrivals) {
                scheduler.schedule(() => subscriber.next(events), at);
              }
              scheduler.schedule(() => subscriber.complete(), end);
            });
            source
              .pipe(slidingWindow({ clock: 'processing', windowSeconds, slideSeconds, scheduler }))
              .subscribe({
                next: (record) => records.push([scheduler.now(), record]),
                complete: () => {
                  completedAt = scheduler.now();
                },
              });
          });
          expect(completedAt).toBe(end);
          const closes = Array.from({ length: Math.floor(end / slide) }, (_, i) => (i + 1) * slide);
          expect(records.map(([frame]) => frame)).toEqual([...closes, end]);
          const panes = Math.ceil(windowSeconds / slideSeconds);
          records.forEach(([frame, record], i) => {
            // Each regular close: the last `panes` panes, (frame - panes * slide, frame].
            // The completion's partial pane: panes ending within (panes - ½) slides of it.
            const from =
              i < closes.length
                ? frame - panes * slide
                : Math.floor((frame - (panes - 0.5) * slide) / slide) * slide;
            const inWindow = arrivals
              .filter((a) => a.at > from && a.at <= frame)
              .flatMap((a) => a.events)
              .map((e) => ({ service: e.service, status: statusOf(e) }));
            expect(record).toEqual(recordOf(inWindow, frame / 1000 - windowSeconds, frame / 1000));
          });
        },
      ),
      { seed: 311, numRuns: 150 },
    );
  });
});

// --- The state. ---

const SHAPE = { windowSeconds: 3, slideSeconds: 1 };

function batchOf(events: readonly { service: string; status: number | null }[]): EventBatch {
  return EventBatch.fromColumns(
    events.map((e) => e.service),
    new Float64Array(events.length),
    Uint16Array.from(events, (e) => e.status ?? NO_STATUS),
    events.map((e) => (e.status === null ? 'no code' : `HTTP Status Code: ${e.status}`)),
  );
}

/** Panes as lists of events, each closed at its `end`; `open` is left in the open pane. */
interface Feed {
  readonly panes: readonly { end: number; events: { service: string; status: number | null }[] }[];
  readonly open: readonly { service: string; status: number | null }[];
}

function stateOf(feed: Feed, options: object = SHAPE): SlidingPanesState {
  const state = SlidingPanesState.create(options);
  for (const { end, events } of feed.panes) state.add(batchOf(events)).closePane(end);
  state.add(batchOf(feed.open));
  return state;
}

const anyCounted = fc.record({
  service: fc.constantFrom('api', 'db', 'web', 'auth', '__proto__', 'constructor'),
  status: fc.constantFrom(null, 0, 200, 302, 404, 500, 599, 600),
});

/** Panes that close every second from a common clock (ends on whole seconds), with gaps. */
const anyFeed: fc.Arbitrary<Feed> = fc
  .record({
    start: fc.integer({ min: 0, max: 5 }),
    panes: fc.array(
      fc.record({
        skip: fc.constantFrom(0, 0, 0, 1, 5),
        events: fc.array(anyCounted, { maxLength: 6 }),
      }),
      { maxLength: 12 },
    ),
    open: fc.array(anyCounted, { maxLength: 4 }),
  })
  .map(({ start, panes, open }) => {
    let end = start;
    return {
      panes: panes.map(({ skip, events }) => {
        end += 1 + skip;
        return { end, events };
      }),
      open,
    };
  });

describe('SlidingPanesState', () => {
  it('has defaults, and shows a pane once it is closed', () => {
    const state = SlidingPanesState.create();
    expect([state.task, state.clock, state.windowSeconds, state.slideSeconds]).toEqual([
      'sliding-window',
      'processing',
      60,
      1,
    ]);
    expect([state.maxServices, state.panesPerWindow, state.newestEnd]).toEqual([10_000, 60, null]);
    expect(state.record()).toEqual(recordOf([], null, null));
    state.add(batchOf([{ service: 'api', status: 500 }]));
    expect(state.record().total).toBe(0);
    state.closePane(100);
    expect(state.record()).toEqual(recordOf([{ service: 'api', status: 500 }], 40, 100));
    expect(state.finalRecords()).toEqual([state.record()]);
    expect(SlidingPanesState.create({ windowSeconds: 7, slideSeconds: 0.07 }).panesPerWindow).toBe(
      100,
    );
  });

  it('drops panes a gap left behind, and adds a pane closed back in time to the newest', () => {
    const state = SlidingPanesState.create(SHAPE);
    state.add(batchOf([{ service: 'api', status: 500 }])).closePane(10);
    state.add(batchOf([{ service: 'db', status: 200 }])).closePane(11);
    // A day later: the old panes are not in the window of the new end.
    state.add(batchOf([{ service: 'web', status: 404 }])).closePane(86_411);
    expect(state.record()).toEqual(recordOf([{ service: 'web', status: 404 }], 86_408, 86_411));
    // A clock stepped back: the window does not.
    state.add(batchOf([{ service: 'web', status: 200 }])).closePane(86_400);
    expect(state.record()).toEqual(
      recordOf(
        [
          { service: 'web', status: 404 },
          { service: 'web', status: 200 },
        ],
        86_408,
        86_411,
      ),
    );
    expect(() => state.closePane(Number.NaN)).toThrow(RangeError);
    expect(() => state.closePane(Infinity)).toThrow(RangeError);
  });

  it('keeps a window of late-firing panes, give or take half a slide', () => {
    // Timers 40 ms late each time: after 20 panes, still the last three (3.12 s).
    const state = SlidingPanesState.create(SHAPE);
    for (let i = 1; i <= 20; i++) {
      state.add(batchOf([{ service: 'api', status: 200 }])).closePane(i * 1.04);
    }
    expect(state.record().total).toBe(3);
    // A pane cut short 0.3 s after the last: the oldest (18.72) is within 2.5 slides.
    state.closePane(20 * 1.04 + 0.3);
    expect(state.record().total).toBe(3);
    // 0.9 s after the last: it is not.
    state.closePane(20 * 1.04 + 0.9);
    expect(state.record().total).toBe(2);
  });

  it('encodes options and panes as columns', () => {
    const state = stateOf({
      panes: [
        { end: 10, events: [{ service: 'web', status: 500 }] },
        {
          end: 11,
          events: [
            { service: 'db', status: null },
            { service: 'api', status: 404 },
            { service: 'api', status: 200 },
          ],
        },
        { end: 12, events: [] },
      ],
      open: [{ service: 'auth', status: 503 }],
    });
    expect(JSON.parse(JSON.stringify(state.encode()))).toEqual({
      task: 'sliding-window',
      version: 3,
      options: { windowSeconds: 3, slideSeconds: 1, clock: 'processing', maxServices: 10_000 },
      state: {
        ends: encodeColumn(Float64Array.of(10, 11, 12)),
        sizes: encodeColumn(Uint32Array.of(1, 2, 0, 1)),
        serviceIds: encodeColumn(Uint32Array.of(3, 0, 2, 1)),
        events: encodeColumn(Uint32Array.of(1, 2, 1, 1)),
        failures: encodeColumn(Uint32Array.of(1, 1, 0, 1)),
        totals: encodeColumn(Uint32Array.of(1, 2, 0, 1)),
        names: ['api', 'auth', 'db', 'web'],
      },
    });
    expect(SlidingPanesState.create().encode().state).toEqual({
      ends: encodeColumn(new Float64Array(0)),
      sizes: encodeColumn(Uint32Array.of(0)),
      serviceIds: encodeColumn(new Uint32Array(0)),
      events: encodeColumn(new Uint32Array(0)),
      failures: encodeColumn(new Uint32Array(0)),
      totals: encodeColumn(new Uint32Array(0)),
      names: [],
    });
  });

  it('round-trips, and a decoded state goes on like the original (property)', () => {
    fc.assert(
      fc.property(anyFeed, anyFeed, (first, more) => {
        const state = stateOf(first);
        const encoded = state.encode();
        for (const copy of [
          SlidingPanesState.decode(encoded),
          SlidingPanesState.decode(JSON.parse(JSON.stringify(encoded)), SHAPE),
          decodeTaskState(JSON.parse(JSON.stringify(encoded))) as SlidingPanesState,
        ]) {
          expect(copy).toBeInstanceOf(SlidingPanesState);
          expectSameState(copy, state);
          const last = state.newestEnd ?? 0;
          const feedMore = (s: SlidingPanesState) => {
            for (const { end, events } of more.panes) s.add(batchOf(events)).closePane(last + end);
            return s;
          };
          expectSameState(feedMore(copy), feedMore(stateOf(first)));
        }
      }),
      { seed: 312, numRuns: 100 },
    );
  });

  it('merges associatively and commutatively, the empty state its identity (property)', () => {
    fc.assert(
      fc.property(anyFeed, anyFeed, anyFeed, (a, b, c) => {
        const [x, y, z] = [a, b, c].map((feed) => stateOf(feed)) as [
          SlidingPanesState,
          SlidingPanesState,
          SlidingPanesState,
        ];
        const before = x.encode();
        expectAssociative(x, y, z);
        expectSameState(x.merge(y), y.merge(x));
        expectIdentity(x, SlidingPanesState.create(SHAPE));
        expect(x.encode()).toEqual(before);
      }),
      { seed: 313, numRuns: 150 },
    );
  });

  it('equals one state over both when the parts share pane ends, e.g. split by service (property)', () => {
    fc.assert(
      fc.property(
        anyFeed,
        fc.subarray(['api', 'db', 'web', 'auth', '__proto__', 'constructor']),
        (feed, ours) => {
          const mine = (e: { service: string }) => ours.includes(e.service);
          const part = (keep: (e: { service: string }) => boolean): Feed => ({
            panes: feed.panes.map(({ end, events }) => ({ end, events: events.filter(keep) })),
            open: feed.open.filter(keep),
          });
          const whole = stateOf(feed);
          const a = stateOf(part(mine));
          const b = stateOf(part((e) => !mine(e)));
          expectSameState(a.merge(b), whole);
          expectSameState(mergeTaskStates(b, a) as SlidingPanesState, whole);
        },
      ),
      { seed: 314, numRuns: 150 },
    );
  });

  it('merges parts on different clocks pane by pane, in the window of the newest end', () => {
    const a = stateOf({
      panes: [
        { end: 1, events: [{ service: 'api', status: 500 }] },
        { end: 2, events: [{ service: 'api', status: 200 }] },
        { end: 3, events: [{ service: 'api', status: 200 }] },
      ],
      open: [{ service: 'api', status: 503 }],
    });
    const b = stateOf({
      panes: [
        { end: 1.4, events: [{ service: 'db', status: 404 }] },
        { end: 2.4, events: [{ service: 'db', status: 200 }] },
        { end: 3.4, events: [{ service: 'db', status: 200 }] },
      ],
      open: [],
    });
    // Panes ending after 3.4 - 2.5 = 0.9 stay: all six.
    const merged = a.merge(b);
    expect(merged.record()).toEqual(
      recordOf(
        [
          { service: 'api', status: 500 },
          { service: 'api', status: 200 },
          { service: 'api', status: 200 },
          { service: 'db', status: 404 },
          { service: 'db', status: 200 },
          { service: 'db', status: 200 },
        ],
        3.4 - 3,
        3.4,
      ),
    );
    // The open panes are summed: a's 503 shows at the next close.
    merged.closePane(4.4);
    expect(merged.record()).toMatchObject({ failures: 1, total: 5 });
  });

  it('refuses to merge with other options or the event clock, naming the option', () => {
    const state = SlidingPanesState.create(SHAPE);
    expect(() =>
      state.merge(SlidingPanesState.create({ windowSeconds: 3, slideSeconds: 0.5 })),
    ).toThrow(/slideSeconds: 1 and 0.5/);
    expect(() => state.merge(SlidingPanesState.create({ ...SHAPE, windowSeconds: 4 }))).toThrow(
      /windowSeconds/,
    );
    expect(() => state.merge(SlidingPanesState.create({ ...SHAPE, maxServices: 3 }))).toThrow(
      /maxServices/,
    );
    const event = SlidingWindowState.create({ windowSeconds: 3 });
    for (const merge of [
      () => mergeTaskStates(state, event),
      () => mergeTaskStates(event, state),
    ]) {
      expect(merge).toThrow(StateError);
      expect(merge).toThrow(/clock/);
    }
  });

  it('is what decodeTaskState gives for a processing-clock state, and only then', () => {
    const processing = stateOf({
      panes: [{ end: 5, events: [{ service: 'api', status: 500 }] }],
      open: [],
    });
    expect(decodeTaskState(processing.encode())).toBeInstanceOf(SlidingPanesState);
    expect(decodeTaskState(SlidingWindowState.create().encode())).toBeInstanceOf(
      SlidingWindowState,
    );
    // Versions 1-2 of the processing clock held every arrival: refused, naming the version.
    const saved = {
      task: 'sliding-window',
      version: 2,
      options: { windowSeconds: 60, clock: 'processing', maxServices: 10_000 },
      state: { newest: null, late: 0, times: '', serviceIds: '', classes: '', names: [] },
    };
    expect(() => decodeTaskState(saved)).toThrow(StateError);
    expect(() => decodeTaskState(saved)).toThrow(/format version 2, this build reads version 3/);
    expect(() => decodeTaskState({ task: 'sliding-window', options: null })).toThrow(StateError);
  });

  describe('decode', () => {
    const valid = () =>
      stateOf({
        panes: [
          { end: 10, events: [{ service: 'web', status: 500 }] },
          {
            end: 11,
            events: [
              { service: 'api', status: 404 },
              { service: 'api', status: null },
            ],
          },
        ],
        open: [{ service: 'db', status: 200 }],
      }).encode() as unknown as {
        state: Record<string, unknown>;
        options: Record<string, unknown>;
      };
    const withState = (fields: Record<string, unknown>) => {
      const encoded = valid();
      return { ...encoded, state: { ...encoded.state, ...fields } };
    };
    const withOptions = (options: Record<string, unknown>) => {
      const encoded = valid();
      return { ...encoded, options: { ...encoded.options, ...options } };
    };
    const f64 = (...values: number[]) => encodeColumn(Float64Array.from(values));
    const u32 = (...values: number[]) => encodeColumn(Uint32Array.from(values));

    function refusal(encoded: unknown, options?: object): string {
      try {
        SlidingPanesState.decode(encoded, options);
      } catch (error) {
        expect(error).toBeInstanceOf(StateError);
        const message = (error as Error).message;
        expect(message).not.toContain('\n');
        return message;
      }
      throw new Error('decoded');
    }

    it('refuses another task, version or options, naming the option', () => {
      expect(refusal({ ...valid(), task: 'bloom' })).toMatch(/bloom/);
      expect(refusal({ ...valid(), version: 2 })).toMatch(/version 2/);
      expect(refusal(valid(), { ...SHAPE, slideSeconds: 0.5 })).toMatch(/slideSeconds: 1 and 0.5/);
      expect(refusal(valid(), { windowSeconds: 60 })).toMatch(/windowSeconds/);
      expect(refusal(withOptions({ clock: 'event' }))).toMatch(/clock is "event"/);
      expect(refusal(withOptions({ slideSeconds: 4 }))).toMatch(/not a window of panes/);
      expect(refusal(withOptions({ slideSeconds: 0 }))).toMatch(/not a window of panes/);
      expect(refusal(withOptions({ windowSeconds: '3' }))).toMatch(/windowSeconds/);
      expect(refusal(withOptions({ maxServices: 0 }))).toMatch(/maxServices/);
      expect(refusal(withOptions({ lateness: 1 }))).toMatch(/unknown option "lateness"/);
      expect(() => SlidingPanesState.decode(valid(), SHAPE)).not.toThrow();
      expect(() => SlidingPanesState.decode(valid(), { windowSeconds: -1 })).toThrow(RangeError);
    });

    it('refuses corrupt fields with a one-line StateError', () => {
      const cases: [unknown, RegExp][] = [
        [null, /not a JSON object/],
        [{ ...valid(), state: undefined }, /fields missing/],
        [withState({ ends: 42 }), /ends missing/],
        [withState({ ends: '!!' }), /ends is not base64/],
        [withState({ sizes: btoa('abc') }), /sizes has a partial value/],
        [withState({ names: ['api', 7] }), /names/],
        [withState({ names: ['api', 'api', 'web'] }), /duplicate/],
        [withState({ sizes: u32(1, 2) }), /sizes has 2 panes, ends 2 \+ 1/],
        [withState({ sizes: u32(1, 1, 2) }), /do not add up/],
        [withState({ events: u32(1, 2) }), /differ in length/],
        [withState({ ends: f64(11, 10) }), /out of order or outside the window/],
        [withState({ ends: f64(10, 10) }), /out of order/],
        [withState({ ends: f64(8.5, 11) }), /outside the window/],
        [withState({ ends: f64(10, Number.NaN) }), /outside the window/],
        [withState({ serviceIds: u32(2, 0, 3) }), /service id 3/],
        [withState({ events: u32(1, 0, 1) }), /inconsistent counts/],
        [withState({ totals: u32(1, 3, 1) }), /inconsistent counts/],
        [withState({ failures: u32(2, 1, 0) }), /inconsistent counts/],
      ];
      for (const [encoded, message] of cases) expect(refusal(encoded)).toMatch(message);
      // A service twice in one pane.
      const twice = withState({
        ends: f64(10),
        sizes: u32(2, 0),
        serviceIds: u32(0, 0),
        events: u32(1, 1),
        failures: u32(0, 0),
        totals: u32(1, 1),
      });
      expect(refusal(twice)).toMatch(/repeated/);
      // The window's oldest pane may end just over (k - 1/2) slides back.
      expect(SlidingPanesState.decode(withState({ ends: f64(8.6, 11) })).record().total).toBe(2);
    });

    it('never fails otherwise on hostile input: a StateError or a state', () => {
      const fields = ['ends', 'sizes', 'serviceIds', 'events', 'failures', 'totals', 'names'];
      expectOnlyStateErrors(
        fields,
        withState,
        (encoded) => SlidingPanesState.decode(encoded).record(),
        315,
      );
    });
  });

  describe('with maxServices', () => {
    const bounded = () => SlidingPanesState.create({ ...SHAPE, maxServices: 2 });
    const names = (state: SlidingPanesState) => state.record().services.map((s) => s.service);

    it('counts services past the bound as (other), totals exact', () => {
      const state = bounded();
      state
        .add(batchOf(['a', 'b', 'c', 'd', 'b'].map((service) => ({ service, status: 500 }))))
        .closePane(1);
      expect(names(state)).toEqual([OTHER_SERVICES, 'a', 'b']);
      expect(state.record().services[0]).toMatchObject({ failures: 2, total: 2 });
      expect(state.record().total).toBe(5);
      expect(state.overflowed).toBe(true);
      // A decoded state folds new services too, and keeps the same counts.
      const decoded = SlidingPanesState.decode(JSON.parse(JSON.stringify(state.encode())));
      expect(decoded.overflowed).toBe(false);
      for (const s of [state, decoded])
        s.add(batchOf([{ service: 'e', status: 200 }])).closePane(2);
      expect(decoded.record()).toEqual(state.record());
      expect(names(decoded)).toEqual([OTHER_SERVICES, 'a', 'b']);
      expect(decoded.overflowed).toBe(true);
    });

    it('forgets services that left the window before folding new ones', () => {
      const state = bounded();
      state
        .add(
          batchOf([
            { service: 'a', status: 200 },
            { service: 'b', status: 500 },
          ]),
        )
        .closePane(1);
      state.add(batchOf([{ service: 'a', status: 200 }])).closePane(5); // b has left
      state.add(batchOf([{ service: 'c', status: 500 }])).closePane(6);
      expect(names(state)).toEqual(['a', 'c']);
      expect(state.overflowed).toBe(false);
      state.add(batchOf([{ service: 'd', status: 500 }]));
      expect(state.overflowed).toBe(true);
      state.closePane(7);
      expect(names(state)).toEqual([OTHER_SERVICES, 'a', 'c']);
    });

    it('refuses an encoding listing more services than the bound allows', () => {
      const encoded = bounded().encode() as unknown as { state: { names: string[] } };
      encoded.state.names = ['a', 'b', 'c'];
      expect(() => SlidingPanesState.decode(encoded)).toThrow(
        /lists 3 services, more than maxServices 2/,
      );
      encoded.state.names = ['a', 'b', OTHER_SERVICES];
      expect(() => SlidingPanesState.decode(encoded)).not.toThrow();
    });

    it('forgets the names of services gone from the window as they pass through', () => {
      // 4,000 services, ten a pane, pass through a 3-pane window: names held stay few.
      const state = SlidingPanesState.create(SHAPE);
      for (let p = 0; p < 400; p++) {
        const events = Array.from({ length: 10 }, (_, i) => ({
          service: `s${p * 10 + i}`,
          status: i % 2 === 0 ? 500 : 200,
        }));
        state.add(batchOf(events)).closePane(p + 1);
        if (p >= 2) expect(state.record()).toMatchObject({ failures: 15, total: 30 });
      }
      const encoded = state.encode();
      expect((encoded.state as { names: string[] }).names).toHaveLength(30);
      expectSameState(SlidingPanesState.decode(encoded), state);
      expect(state.record().services.map((s) => s.service)).toEqual(
        Array.from({ length: 30 }, (_, i) => `s${3970 + i}`).sort(),
      );
    });
  });
});
