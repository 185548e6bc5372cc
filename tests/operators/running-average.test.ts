import { describe, expect, it } from 'vitest';
import { type LogEvent, runningAverage } from '../../operators/index.js';
import { BASE_TIME as base, event, testScheduler } from '../support/events.js';

describe('runningAverage', () => {
  it('updates the success rate batch by batch (the seed test)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b|', {
        a: [event('monitoring', 48, 200), event('monitoring', 96, 500)],
        b: [event('monitoring', 144, 200)],
      });
      expectObservable(source.pipe(runningAverage())).toBe('-x-y|', {
        x: {
          task: 'running-average',
          oldest: base + 48,
          newest: base + 96,
          successes: 1,
          total: 2,
          rate: 0.5,
          services: [{ service: 'monitoring', successes: 1, total: 2, rate: 0.5 }],
        },
        y: {
          task: 'running-average',
          oldest: base + 48,
          newest: base + 144,
          successes: 2,
          total: 3,
          rate: 2 / 3,
          services: [{ service: 'monitoring', successes: 2, total: 3, rate: 2 / 3 }],
        },
      });
    });
  });

  it('emits once per single event and counts only events with a status in rates', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab|', { a: event('api', 5, null), b: event('api', 1, 301) });
      const rates = source.pipe(runningAverage());
      expectObservable(rates).toBe('xy|', {
        x: expect.objectContaining({ oldest: base + 5, newest: base + 5, total: 0, rate: null }),
        y: expect.objectContaining({
          oldest: base + 1,
          total: 1,
          rate: 0,
          services: [{ service: 'api', successes: 0, total: 1, rate: 0 }],
        }),
      });
    });
  });

  it('keeps services such as __proto__ and constructor as plain keys, sorted by name', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a|', {
        a: [event('constructor', 1, 200), event('__proto__', 2, 404), event('\u200b', 3, 204)],
      });
      expectObservable(source.pipe(runningAverage())).toBe('x|', {
        x: expect.objectContaining({
          services: [
            { service: '__proto__', successes: 0, total: 1, rate: 0 },
            { service: 'constructor', successes: 1, total: 1, rate: 1 },
            { service: '\u200b', successes: 1, total: 1, rate: 1 },
          ],
        }),
      });
    });
  });

  it('skips invalid events and reports nulls before any valid one', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a|', { a: [{ service: 'x' } as unknown as LogEvent] });
      expectObservable(source.pipe(runningAverage())).toBe('x|', {
        x: {
          task: 'running-average',
          oldest: null,
          newest: null,
          successes: 0,
          total: 0,
          rate: null,
          services: [],
        },
      });
    });
  });

  it('starts from zero for each subscription', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const averaged = cold('a|', { a: event('api', 1, 200) }).pipe(runningAverage());
      const first = { a: expect.objectContaining({ successes: 1, total: 1 }) };
      expectObservable(averaged).toBe('a|', first);
      expectObservable(averaged).toBe('a|', first);
    });
  });
});
