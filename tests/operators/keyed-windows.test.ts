import fc from 'fast-check';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../operators/event.js';
import { FailureRateBaseline } from '../../operators/ewma.js';
import {
  type KeyedWindowsOptions,
  KeyedWindowsState,
  keyedWindows,
} from '../../operators/keyed-windows.js';
import { createRandom } from '../../operators/random.js';
import type { KeyedWindowRecord, LateEvent } from '../../operators/records.js';
import { BASE_TIME as base, eventBuilder, testScheduler } from '../support/events.js';

const event = eventBuilder({ prefix: 'GET /x ' });

/** A closed window before any score exists. */
function closed(
  service: string,
  start: number,
  end: number,
  counts: { successes: number; failures: number; total: number; events?: number; late?: number },
): KeyedWindowRecord {
  const { successes, failures, total, events = total, late = 0 } = counts;
  return {
    task: 'keyed-windows',
    service,
    windowStart: base + start,
    windowEnd: base + end,
    events,
    total,
    successes,
    failures,
    rate: total === 0 ? null : successes / total,
    late,
    anomaly: false,
    score: null,
    update: false,
  };
}

describe('keyedWindows', () => {
  it('emits a tumbling window once the watermark reaches its end, the rest at completion', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-e|', {
        a: [event('api', 1, 200)],
        b: [event('api', 5, 500)],
        c: [event('api', 12, 200)],
        d: [event('api', 41, 200)], // watermark 11: closes [0, 10)
        e: [event('api', 55, 404)], // watermark 25: closes [10, 20)
      });
      expectObservable(source.pipe(keyedWindows())).toBe('-------x-y(zw|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 1, total: 2 }),
        y: closed('api', 10, 20, { successes: 1, failures: 0, total: 1 }),
        z: closed('api', 40, 50, { successes: 1, failures: 0, total: 1 }),
        w: closed('api', 50, 60, { successes: 0, failures: 1, total: 1 }),
      });
    });
  });

  it('closes a window when the watermark equals its end, and puts an event at an end in the next window', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b|', {
        a: [event('api', 10, 200), event('api', 9.5, 500)],
        b: [event('api', 40, 200)], // watermark exactly 10
      });
      expectObservable(source.pipe(keyedWindows())).toBe('---x(yz|)', {
        x: closed('api', 0, 10, { successes: 0, failures: 1, total: 1 }),
        y: closed('api', 10, 20, { successes: 1, failures: 0, total: 1 }),
        z: closed('api', 40, 50, { successes: 1, failures: 0, total: 1 }),
      });
    });
  });

  it('counts an event for a closed window as late, in no window, and reports it with the next window of its service', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-----c|', {
        a: [event('api', 1, 200), event('web', 2, 200)],
        b: [event('api', 41, 200)], // closes [0, 10) of api and of web
        c: [event('api', 3, 500), event('api', 44, 200), event('web', 45, 200)],
      });
      expectObservable(source.pipe(keyedWindows())).toBe('---(xy)---(zw|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('web', 0, 10, { successes: 1, failures: 0, total: 1 }),
        z: closed('api', 40, 50, { successes: 2, failures: 0, total: 2, late: 1 }),
        w: closed('web', 40, 50, { successes: 1, failures: 0, total: 1, late: 0 }),
      });
    });
  });

  it('judges a micro-batch against the watermark of the batches before it', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // t=3 arrives with t=100 but is on time: the watermark moves to 70 after the batch.
      const source = cold('-a|', { a: [event('api', 100, 200), event('api', 3, 500)] });
      expectObservable(source.pipe(keyedWindows())).toBe('-x(y|)', {
        x: closed('api', 0, 10, { successes: 0, failures: 1, total: 1 }),
        y: closed('api', 100, 110, { successes: 1, failures: 0, total: 1 }),
      });
    });
  });

  it('puts an event in every overlapping sliding window', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a|', { a: [event('api', 7, 200)] });
      const windows = source.pipe(keyedWindows({ windowSeconds: 10, slideSeconds: 5 }));
      expectObservable(windows).toBe('--(xy|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('api', 5, 15, { successes: 1, failures: 0, total: 1 }),
      });
    });
  });

  it('counts a sliding event late once when one of its windows is closed, and adds it to the open one', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c|', {
        a: [event('api', 7, 200)],
        b: [event('api', 40, 200)], // watermark 10: closes [-5, 5) (empty) and [0, 10)
        c: [event('api', 8, 500)], // [0, 10) closed, [5, 15) open
      });
      const windows = source.pipe(keyedWindows({ windowSeconds: 10, slideSeconds: 5 }));
      expectObservable(windows).toBe('---x--(yzw|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('api', 5, 15, { successes: 1, failures: 1, total: 2, late: 1 }),
        z: closed('api', 35, 45, { successes: 1, failures: 0, total: 1, late: 1 }),
        w: closed('api', 40, 50, { successes: 1, failures: 0, total: 1, late: 1 }),
      });
    });
  });

  it('flushes every open window once at completion, by window end then service name', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b|', {
        a: [event('b', 12, 200), event('a', 3, 200), event('__proto__', 15, 503)],
        b: [event('a', 14, null), event('constructor', 21, 200)],
      });
      expectObservable(source.pipe(keyedWindows())).toBe('----(vxyzw|)', {
        v: closed('a', 0, 10, { successes: 1, failures: 0, total: 1 }),
        x: closed('__proto__', 10, 20, { successes: 0, failures: 1, total: 1 }),
        // An event without a status is in the window's events, not in its total.
        y: closed('a', 10, 20, { successes: 0, failures: 0, total: 0, events: 1 }),
        z: closed('b', 10, 20, { successes: 1, failures: 0, total: 1 }),
        w: closed('constructor', 20, 30, { successes: 1, failures: 0, total: 1 }),
      });
    });
  });

  it('emits nothing for empty or invalid input, and propagates errors without a flush', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const invalid = { service: 'api', message: 'HTTP Status Code: 200' } as unknown as LogEvent;
      const source = cold('-a-b-#', { a: [], b: [invalid, event('api', 1, 200)] });
      expectObservable(source.pipe(keyedWindows())).toBe('-----#');
    });
  });

  it('starts from nothing for each subscription', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const windows = cold('a|', { a: event('api', 1, 200) }).pipe(keyedWindows());
      const only = { x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }) };
      expectObservable(windows).toBe('-(x|)', only);
      expectObservable(windows).toBe('-(x|)', only);
    });
  });

  it('rejects options that would lose events or make no sense', () => {
    expect(() => keyedWindows({ windowSeconds: 10, slideSeconds: 11 })).toThrow(RangeError);
    expect(() => keyedWindows({ slideSeconds: 20 })).toThrow(/slideSeconds/);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => keyedWindows({ windowSeconds: bad })).toThrow(RangeError);
      expect(() => keyedWindows({ slideSeconds: bad })).toThrow(RangeError);
      expect(() => keyedWindows({ anomalyThreshold: bad })).toThrow(RangeError);
      expect(() => keyedWindows({ minDeviation: bad })).toThrow(RangeError);
    }
    expect(() => keyedWindows({ watermarkSeconds: -1 })).toThrow(RangeError);
    expect(() => keyedWindows({ ewmaAlpha: 0 })).toThrow(RangeError);
    expect(() => keyedWindows({ ewmaAlpha: 1.5 })).toThrow(RangeError);
    expect(() => keyedWindows({ minHistory: 0 })).toThrow(RangeError);
    expect(() => keyedWindows({ minHistory: 2.5 })).toThrow(RangeError);
    expect(() =>
      keyedWindows({ watermarkSeconds: 0, windowSeconds: 7, slideSeconds: 3 }),
    ).not.toThrow();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => keyedWindows({ allowedLatenessSeconds: bad })).toThrow(/allowedLatenessSeconds/);
      expect(() => keyedWindows({ idleFlushSeconds: bad })).toThrow(/idleFlushSeconds/);
    }
    expect(() => keyedWindows({ allowedLatenessSeconds: 0, idleFlushSeconds: 0 })).not.toThrow();
    // Not part of the state: given with a state, they need not match anything.
    const state = KeyedWindowsState.create({ allowedLatenessSeconds: 60 });
    expect(() => keyedWindows({ state, idleFlushSeconds: 5, late: () => {} })).not.toThrow();
    expect(() => keyedWindows({ state, allowedLatenessSeconds: 0 })).toThrow(
      /differ in allowedLatenessSeconds/,
    );
  });
});

/** What the late side output receives for `event`, late for [start, end) at `watermark`. */
function lateFor(
  event: LogEvent,
  start: number,
  end: number,
  watermark: number,
  lateness = 0,
): LateEvent {
  const closed = `window [${base + start}, ${base + end}) of its service closed: watermark ${base + watermark}`;
  return {
    task: 'keyed-windows',
    reason:
      lateness === 0 ? closed : `${closed} reached its end plus the allowed lateness ${lateness}`,
    event,
  };
}

describe('keyedWindows late side output', () => {
  it('passes each late event once, naming its window and the watermark, and completes with the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const lateApi = event('api', 3, 500);
      const lateWeb = event('web', 5, 200);
      const source = cold('-a-b-c---|', {
        a: [event('api', 1, 200), event('web', 2, 200)],
        b: [event('api', 41, 200)], // watermark 11: closes [0, 10) of api and of web
        c: [lateApi, event('api', 44, 200), lateWeb],
      });
      const late = new Subject<LateEvent>();
      expectObservable(source.pipe(keyedWindows({ late }))).toBe('---(xy)--(z|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('web', 0, 10, { successes: 1, failures: 0, total: 1 }),
        z: closed('api', 40, 50, { successes: 2, failures: 0, total: 2, late: 1 }),
      });
      expectObservable(late).toBe('-----(lm)|', {
        l: lateFor(lateApi, 0, 10, 11),
        m: lateFor(lateWeb, 0, 10, 11),
      });
      expectSubscriptions(source.subscriptions).toBe('^--------!');
    });
  });

  it('calls a function side output with the event object the source gave', () => {
    const lateOne = event('api', 3, 500);
    const seen: LateEvent[] = [];
    const input = new Subject<LogEvent[]>();
    input.pipe(keyedWindows({ late: (late) => seen.push(late) })).subscribe();
    input.next([event('api', 41, 200)]);
    input.next([lateOne, event('api', 42, 200)]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.event).toBe(lateOne);
  });

  it('passes a sliding event late for one window and counted in a newer one once', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const eight = event('api', 8, 500);
      const source = cold('-a-b-c|', {
        a: [event('api', 7, 200)],
        b: [event('api', 40, 200)], // watermark 10: [0, 10) closed, [5, 15) open
        c: [eight],
      });
      const late = new Subject<LateEvent>();
      source.pipe(keyedWindows({ windowSeconds: 10, slideSeconds: 5, late })).subscribe();
      expectObservable(late).toBe('-----l|', { l: lateFor(eight, 0, 10, 10) });
    });
  });

  it('errors the side output with the source, after the late events before the error', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const two = event('api', 2, 200);
      const source = cold('-a-b-#', { a: [event('api', 1, 200), event('api', 41, 200)], b: [two] });
      const late = new Subject<LateEvent>();
      expectObservable(source.pipe(keyedWindows({ late }))).toBe('-x---#', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
      });
      expectObservable(late).toBe('---l-#', { l: lateFor(two, 0, 10, 11) });
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });
});

describe('keyedWindows allowed lateness', () => {
  it('re-emits a kept window with update: true, then drops it: later events for it are late', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const three = event('api', 3, 200);
      const source = cold('-a--b--c--d--e--|', {
        a: [event('api', 1, 200), event('api', 5, 500)],
        b: [event('api', 41, 200)], // watermark 11: [0, 10) emitted, kept until 30
        c: [event('api', 8, 500)], // 11 < 10 + 20: an update
        d: [event('api', 62, 200)], // watermark 32: [0, 10) dropped
        e: [three], // late
      });
      const late = new Subject<LateEvent>();
      const windows = source.pipe(keyedWindows({ allowedLatenessSeconds: 20, late }));
      expectObservable(windows).toBe('----x--y--------(zw|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 1, total: 2 }),
        y: { ...closed('api', 0, 10, { successes: 1, failures: 2, total: 3 }), update: true },
        z: closed('api', 40, 50, { successes: 1, failures: 0, total: 1, late: 1 }),
        w: closed('api', 60, 70, { successes: 1, failures: 0, total: 1, late: 1 }),
      });
      expectObservable(late).toBe('-------------l--|', { l: lateFor(three, 0, 10, 32, 20) });
      expectSubscriptions(source.subscriptions).toBe('^---------------!');
    });
  });

  it('with zero lateness, an event for an emitted window is late, never an update', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const three = event('api', 3, 200);
      const source = cold('-a-b-c|', {
        a: [event('api', 1, 200)],
        b: [event('api', 41, 200)],
        c: [three, event('api', 42, 200)],
      });
      const late = new Subject<LateEvent>();
      const windows = source.pipe(keyedWindows({ allowedLatenessSeconds: 0, late }));
      expectObservable(windows).toBe('---x--(y|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('api', 40, 50, { successes: 2, failures: 0, total: 2, late: 1 }),
      });
      expectObservable(late).toBe('-----l|', { l: lateFor(three, 0, 10, 11) });
    });
  });

  it('gives a window a first version when its first event comes within the lateness', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b|', {
        a: [event('api', 41, 200)], // watermark 11
        b: [event('web', 4, 500)], // [0, 10) of web: past its end, within the lateness
      });
      expectObservable(source.pipe(keyedWindows({ allowedLatenessSeconds: 5 }))).toBe('---x(y|)', {
        x: closed('web', 0, 10, { successes: 0, failures: 1, total: 1 }),
        y: closed('api', 40, 50, { successes: 1, failures: 0, total: 1 }),
      });
    });
  });
});

describe('keyedWindows with a zero watermark', () => {
  it('emits a window as soon as an event at or past its end arrives', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c|', {
        a: [event('api', 1, 200)],
        b: [event('api', 10, 500)], // watermark 10: [0, 10) closes at once
        c: [event('api', 15, 200), event('api', 9, 200)], // 9 is late
      });
      expectObservable(source.pipe(keyedWindows({ watermarkSeconds: 0 }))).toBe('---x--(y|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('api', 10, 20, { successes: 1, failures: 1, total: 2, late: 1 }),
      });
    });
  });
});

describe('keyedWindows idle flush (virtual time)', () => {
  // 5 ms of scheduler time: 5 frames.
  const idleFlushSeconds = 0.005;

  it('does not flush while input values keep coming', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a---b---c---|', {
        a: [event('api', 1, 200)],
        b: [event('api', 12, 200)],
        c: [], // an input value without events restarts the timer too
      });
      expectObservable(source.pipe(keyedWindows({ idleFlushSeconds }))).toBe('-------------(xy|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('api', 10, 20, { successes: 1, failures: 0, total: 1 }),
      });
      expectSubscriptions(source.subscriptions).toBe('^------------!');
    });
  });

  it('after the idle span, moves the watermark to the newest time and emits what it reached', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--------b|', {
        a: [event('api', 1, 200), event('api', 12, 500)],
        b: [event('api', 13, 200)], // newest - 30 is below 12: the watermark stays
      });
      expectObservable(source.pipe(keyedWindows({ idleFlushSeconds }))).toBe('------x----(y|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('api', 10, 20, { successes: 1, failures: 1, total: 2 }),
      });
      expectSubscriptions(source.subscriptions).toBe('^----------!');
    });
  });

  it('flushes once per idle span, on the given scheduler', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a------b------|', {
        a: [event('api', 1, 200), event('api', 12, 200)],
        b: [event('api', 25, 200)],
      });
      const windows = source.pipe(keyedWindows({ idleFlushSeconds, scheduler }));
      expectObservable(windows).toBe('------x------y-(z|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('api', 10, 20, { successes: 1, failures: 0, total: 1 }),
        z: closed('api', 20, 30, { successes: 1, failures: 0, total: 1 }),
      });
    });
  });

  it('stops the timer at completion: the final records see the state of the last batch', () => {
    const state = KeyedWindowsState.create();
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-|', { a: [event('api', 1, 200), event('api', 12, 200)] });
      expectObservable(source.pipe(keyedWindows({ idleFlushSeconds, state }))).toBe('---(xy|)', {
        x: closed('api', 0, 10, { successes: 1, failures: 0, total: 1 }),
        y: closed('api', 10, 20, { successes: 1, failures: 0, total: 1 }),
      });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    // No flush ran after the completion (the run went on to frame 6 and beyond for none).
    expect(state.encode().state).toMatchObject({ newest: base + 12, watermark: base + 12 - 30 });
  });

  it('stops the timer at an error, without a flush', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#', { a: [event('api', 1, 200), event('api', 12, 200)] });
      expectObservable(source.pipe(keyedWindows({ idleFlushSeconds }))).toBe('---#');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});

interface GeneratedEvent {
  readonly service: string;
  readonly time: number;
  readonly status: number | null;
}

interface Emission {
  /** The input value after which it was emitted; the batch count for the final flush. */
  readonly after: number;
  readonly record: KeyedWindowRecord;
}

function runThrough(batches: readonly (readonly GeneratedEvent[])[], options: KeyedWindowsOptions) {
  const input = new Subject<LogEvent[]>();
  const emitted: Emission[] = [];
  let after = 0;
  input.pipe(keyedWindows(options)).subscribe((record) => emitted.push({ after, record }));
  for (const batch of batches) {
    input.next(
      batch.map(({ service, time, status }) => ({
        service,
        timestamp: time,
        message: status === null ? '-' : `HTTP Status Code: ${status}`,
      })),
    );
    after += 1;
  }
  input.complete();
  return emitted;
}

/**
 * The documented semantics, recounted from the raw events without any incremental state:
 * the watermark before batch j is the newest time of batches < j minus the delay; window k of
 * a service exists once an event of batch j falls in it with end > that watermark; it is
 * emitted after the first batch whose watermark reaches its end (or at the flush), holding
 * every on-time event of that service in it from batches up to that one.
 */
function bruteForce(
  batches: readonly (readonly GeneratedEvent[])[],
  window: number,
  slide: number,
  delay: number,
): Emission[] {
  const watermarkAfter: number[] = [];
  let newest = Number.NEGATIVE_INFINITY;
  for (const batch of batches) {
    for (const { time } of batch) newest = Math.max(newest, time);
    watermarkAfter.push(newest - delay);
  }
  const watermarkBefore = (j: number) =>
    j === 0 ? Number.NEGATIVE_INFINITY : watermarkAfter[j - 1]!;
  const windowsOf = (time: number) => {
    const found: number[] = [];
    for (let k = Math.floor((time - window) / slide) - 1; k * slide <= time + slide; k++) {
      if (k * slide <= time && time < k * slide + window) found.push(k);
    }
    return found;
  };
  const emittedAfter = (end: number) => {
    const i = watermarkAfter.findIndex((mark) => mark >= end);
    return i === -1 ? batches.length : i;
  };
  const lateUntil = (service: string, i: number) => {
    let late = 0;
    for (let j = 0; j <= Math.min(i, batches.length - 1); j++) {
      for (const e of batches[j]!) {
        if (e.service !== service) continue;
        if (windowsOf(e.time).some((k) => k * slide + window <= watermarkBefore(j))) late += 1;
      }
    }
    return late;
  };

  const keys = new Map<string, { service: string; k: number }>();
  batches.forEach((batch, j) => {
    for (const e of batch) {
      for (const k of windowsOf(e.time)) {
        if (k * slide + window > watermarkBefore(j))
          keys.set(`${e.service}\u0000${k}`, { service: e.service, k });
      }
    }
  });
  const expected: Emission[] = [];
  for (const { service, k } of keys.values()) {
    const start = k * slide;
    const end = start + window;
    const after = emittedAfter(end);
    let successes = 0;
    let failures = 0;
    let total = 0;
    let events = 0;
    for (let j = 0; j <= Math.min(after, batches.length - 1); j++) {
      if (end <= watermarkBefore(j)) continue;
      for (const e of batches[j]!) {
        if (e.service !== service || e.time < start || e.time >= end) continue;
        events += 1;
        if (e.status === null) continue;
        total += 1;
        if (e.status >= 200 && e.status < 300) successes += 1;
        if (e.status >= 400) failures += 1;
      }
    }
    expected.push({
      after,
      record: {
        task: 'keyed-windows',
        service,
        windowStart: start,
        windowEnd: end,
        events,
        total,
        successes,
        failures,
        rate: total === 0 ? null : successes / total,
        late: lateUntil(service, after),
        anomaly: false,
        score: null,
        update: false,
      },
    });
  }
  const order = (a: Emission, b: Emission) =>
    a.after - b.after ||
    a.record.windowEnd - b.record.windowEnd ||
    (a.record.service < b.record.service ? -1 : a.record.service > b.record.service ? 1 : 0);
  return expected.sort(order);
}

describe('keyedWindows against a brute-force recount', () => {
  const generated = fc.record({
    service: fc.constantFrom('a', 'b', '__proto__'),
    jitter: fc.integer({ min: -60, max: 20 }),
    status: fc.constantFrom(200, 204, 302, 404, 500, 503, null),
  });
  const scenario = fc
    .record({
      window: fc.integer({ min: 1, max: 20 }),
      slideFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      delay: fc.integer({ min: 0, max: 40 }),
      minHistory: fc.integer({ min: 1, max: 4 }),
      step: fc.integer({ min: 0, max: 15 }),
      raw: fc.array(fc.array(generated, { maxLength: 10 }), { maxLength: 14 }),
    })
    .map(({ window, slideFraction, delay, minHistory, step, raw }) => ({
      window,
      slide: Math.max(1, Math.ceil(window * slideFraction)),
      delay,
      minHistory,
      // Time drifts forward batch by batch, with events up to a minute out of order.
      batches: raw.map((batch, i) =>
        batch.map(({ service, jitter, status }) => ({
          service,
          time: Math.max(0, 60 + i * step + jitter / 2),
          status,
        })),
      ),
    }));

  it('emits each window once, after the right batch, with the counts and late counts of the semantics', () => {
    fc.assert(
      fc.property(scenario, ({ window, slide, delay, minHistory, batches }) => {
        const emitted = runThrough(batches, {
          windowSeconds: window,
          slideSeconds: slide,
          watermarkSeconds: delay,
          minHistory,
        });
        const expected = bruteForce(batches, window, slide, delay);
        const withoutScores = emitted.map(({ after, record }) => ({
          after,
          record: { ...record, anomaly: false, score: null },
        }));
        expect(withoutScores).toEqual(expected);

        const names = emitted.map(({ record }) => `${record.service}\u0000${record.windowStart}`);
        expect(new Set(names).size).toBe(names.length);

        // A service's windows get scores only once minHistory scored windows precede them.
        const scoredBefore = new Map<string, number>();
        for (const { record } of emitted) {
          const history = scoredBefore.get(record.service) ?? 0;
          if (record.total === 0 || history < minHistory) expect(record.score).toBeNull();
          else expect(record.score).not.toBeNull();
          expect(record.anomaly).toBe(record.score !== null && record.score > 3);
          if (record.total > 0) scoredBefore.set(record.service, history + 1);
        }
      }),
      { seed: 20_240_611, numRuns: 300 },
    );
  });
});

describe('keyedWindows anomaly detection', () => {
  it('flags the burst windows of one service and no window of steady traffic', async () => {
    const random = createRandom(7);
    const services = ['auth', 'billing', 'catalog', 'search'];
    const steadyFailureRate = new Map(services.map((s) => [s, 0.05 + 0.05 * random()]));
    const burstWindows = new Set([45, 46]);
    const batches: LogEvent[][] = [];
    for (let w = 0; w < 60; w++) {
      const batch: LogEvent[] = [];
      for (const service of services) {
        const events = 90 + Math.floor(random() * 21);
        const p =
          service === 'catalog' && burstWindows.has(w) ? 0.8 : steadyFailureRate.get(service)!;
        for (let e = 0; e < events; e++) {
          const status = random() < p ? (random() < 0.7 ? 503 : 429) : 200;
          batch.push(event(service, w * 10 + random() * 10, status));
        }
      }
      batches.push(batch.sort(() => random() - 0.5)); // out of order within the batch
    }

    const records = await lastValueFrom(from(batches).pipe(keyedWindows(), toArray()));

    expect(records).toHaveLength(60 * services.length);
    const flagged = records
      .filter((r) => r.anomaly)
      .map((r) => `${r.service}@${(r.windowStart - base) / 10}`);
    expect(flagged).toEqual(['catalog@45', 'catalog@46']);
    for (const r of records) {
      const index = (r.windowStart - base) / 10;
      expect(r.score === null).toBe(index < 5); // five windows of history first
    }
  });
});

describe('FailureRateBaseline', () => {
  const options = { alpha: 0.1, threshold: 3, minHistory: 5, minDeviation: 0.03 };

  it('scores against the plain mean and population variance of the first windows', () => {
    const baseline = new FailureRateBaseline(options);
    for (const failures of [10, 20, 30, 40, 50]) {
      expect(baseline.observe(failures, 100)).toEqual({ score: null, anomaly: false });
    }
    // mean 0.3, population variance 0.02, binomial variance 0.0021 below it.
    const { score, anomaly } = baseline.observe(90, 100);
    expect(score).toBeCloseTo(0.6 / Math.sqrt(0.02 + 0.03 ** 2), 12);
    expect(anomaly).toBe(true);
    expect(baseline.history).toBe(6);
  });

  it('does not turn the first failure of a service that never failed into an anomaly', () => {
    const baseline = new FailureRateBaseline(options);
    for (let i = 0; i < 10; i++) baseline.observe(0, 100);
    const { score, anomaly } = baseline.observe(1, 100);
    expect(score).toBeCloseTo(1 / 3, 12);
    expect(anomaly).toBe(false);
  });

  it('expects small windows to be noisy (binomial variance at the baseline rate)', () => {
    const steady = () => {
      const baseline = new FailureRateBaseline(options);
      for (let i = 0; i < 5; i++) baseline.observe(10, 100);
      return baseline;
    };
    // Half of 4 events failing, against a steady 10 %: within the noise of 4 events...
    const small = steady().observe(2, 4);
    expect(small.score).toBeCloseTo(0.4 / Math.sqrt((0.1 * 0.9) / 4 + 0.03 ** 2), 12);
    expect(small.anomaly).toBe(false);
    // ...but not half of 100.
    expect(steady().observe(50, 100).anomaly).toBe(true);
  });

  it('keeps a two-window burst flagged and learns a lasting change of level', () => {
    const baseline = new FailureRateBaseline(options);
    for (let i = 0; i < 20; i++) baseline.observe(i % 2 === 0 ? 8 : 12, 100);
    expect(baseline.observe(80, 100).anomaly).toBe(true);
    expect(baseline.observe(80, 100).anomaly).toBe(true);
    expect(baseline.observe(10, 100).anomaly).toBe(false);

    const shifted = new FailureRateBaseline(options);
    for (let i = 0; i < 20; i++) shifted.observe(i % 2 === 0 ? 8 : 12, 100);
    const flags = Array.from({ length: 30 }, () => shifted.observe(30, 100).anomaly);
    expect(flags[0]).toBe(true);
    expect(flags.slice(-10)).toEqual(Array(10).fill(false));
  });
});
