import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import fc from 'fast-check';
import {
  asyncScheduler,
  defer,
  from,
  lastValueFrom,
  type Observable,
  Subject,
  scheduled,
  throwError,
  toArray,
} from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { EventBatch, NO_STATUS, type OperatorInput } from '../../operators/batch.js';
import { type LogEvent, validateEvent } from '../../operators/event.js';
import {
  type BatchedLazyGroupsRecord,
  type LazyGroupsOptions,
  lazyGroups,
} from '../../operators/lazy-groups/lazy-groups.js';
import { createRandom } from '../../operators/random.js';
import { runningAverage } from '../../operators/running-average.js';
import { poolReducer } from '../../src/threads/batch-reducer.js';
import { poolWorkerScript, WorkerPool } from '../../src/threads/worker-pool.js';
import { BASE_TIME as base, event, eventBuilder, testScheduler } from '../support/events.js';

const SEED = 20_240_605;

/** Every value a source emits, for sources that complete synchronously. */
function valuesOf<T>(source: Observable<T>): T[] {
  const values: T[] = [];
  source.subscribe((value) => values.push(value));
  return values;
}

describe('lazyGroups (marble tests, in the calling thread)', () => {
  const inThread = (options: LazyGroupsOptions = {}) => lazyGroups(options);

  it('emits the totals each time a batch is complete, and the final totals at the end', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-e-f-|', {
        a: event('api', 1, 200),
        b: event('api', 2, 500),
        c: event('web', 3, 204),
        d: event('web', 4, 404),
        e: event('api', 5, null),
        f: event('web', 6, 301),
      });
      const afterTwoBatches = {
        task: 'lazy-groups',
        events: 6,
        successes: 2,
        total: 5,
        rate: 0.4,
        services: [
          { service: 'api', successes: 1, total: 2, rate: 0.5 },
          { service: 'web', successes: 1, total: 3, rate: 1 / 3 },
        ],
        batches: 2,
      };
      expectObservable(source.pipe(inThread({ batchSize: 3 }))).toBe('-----x-----y-(z|)', {
        x: {
          task: 'lazy-groups',
          events: 3,
          successes: 2,
          total: 3,
          rate: 2 / 3,
          services: [
            { service: 'api', successes: 1, total: 2, rate: 0.5 },
            { service: 'web', successes: 1, total: 1, rate: 1 },
          ],
          batches: 1,
        },
        y: afterTwoBatches,
        z: afterTwoBatches,
      });
    });
  });

  it('behaves as its JSDoc diagram shows', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d----------|', {
        a: event('api', 1, 200),
        b: event('api', 2, 500),
        c: event('api', 3, 200),
        d: event('api', 4, 200),
      });
      const groups = source.pipe(inThread({ batchSize: 3, idleMs: 10 }));
      expectObservable(groups).toBe('-----x-----------y(z|)', {
        x: expect.objectContaining({ events: 3, successes: 2, batches: 1 }),
        y: expect.objectContaining({ events: 4, successes: 3, batches: 2 }),
        z: expect.objectContaining({ events: 4, successes: 3, batches: 2 }),
      });
    });
  });

  it('cuts one large input value into several batches, skipping invalid events', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = [
        event('api', 1, 200),
        { service: 'api' } as unknown as LogEvent,
        event('api', 2, 200),
        event('api', 3, 500),
        event('api', 4, 500),
        event('api', 5, 200),
        event('api', 6, null),
        event('api', 7, 200),
      ];
      const source = cold('a 9ms |', { a: values });
      expectObservable(source.pipe(inThread({ batchSize: 3 }))).toBe('(xy) 6ms (z|)', {
        x: expect.objectContaining({ events: 3, successes: 2, total: 3, batches: 1 }),
        y: expect.objectContaining({ events: 6, successes: 3, total: 5, batches: 2 }),
        z: expect.objectContaining({ events: 7, successes: 4, total: 6, batches: 3 }),
      });
    });
  });

  it('flushes the partial batch after idleMs without input, timed from the last input', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 699ms b 2000ms |', {
        a: event('api', 1, 200),
        b: event('api', 2, 503),
      });
      const flushed = {
        task: 'lazy-groups',
        events: 2,
        successes: 1,
        total: 2,
        rate: 0.5,
        services: [{ service: 'api', successes: 1, total: 2, rate: 0.5 }],
        batches: 1,
      };
      // b arrives at 700 ms: the idle flush comes 1000 ms later, not 1000 ms after a.
      expectObservable(source.pipe(inThread({ batchSize: 10 }))).toBe('1700ms x 1000ms (z|)', {
        x: flushed,
        z: flushed,
      });
    });
  });

  it('leaves the partial batch in place on idle: the batches are cut by the input alone', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // a waits through an idle flush; b and c then complete the batch a started.
      const source = cold('a 1999ms bc 9ms |', {
        a: event('api', 1, 200),
        b: event('api', 2, 503),
        c: event('api', 3, 200),
      });
      expectObservable(source.pipe(inThread({ batchSize: 3 }))).toBe('1000ms x 999ms -y 9ms (z|)', {
        x: expect.objectContaining({ events: 1, total: 1, batches: 1 }),
        y: expect.objectContaining({ events: 3, successes: 2, total: 3, batches: 1 }),
        z: expect.objectContaining({ events: 3, batches: 1 }),
      });
    });
  });

  it('does not emit on idle when nothing arrived since the last record', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // The batch completes at 1 ms: nothing waits, so 3 s of silence emit nothing.
      const completed = cold('ab 3000ms |', { a: event('api', 1, 200), b: event('api', 2, 200) });
      expectObservable(completed.pipe(inThread({ batchSize: 2 }))).toBe('-x 3000ms (z|)', {
        x: expect.objectContaining({ events: 2, batches: 1 }),
        z: expect.objectContaining({ events: 2, batches: 1 }),
      });
      // One idle flush at 1000 ms, none at 2000 ms or later.
      const quiet = cold('a 3000ms |', { a: event('api', 1, 200) });
      expectObservable(quiet.pipe(inThread({ batchSize: 10 }))).toBe('1000ms x 2000ms (z|)', {
        x: expect.objectContaining({ events: 1, batches: 1 }),
        z: expect.objectContaining({ events: 1, batches: 1 }),
      });
      // Input values without a valid event are nothing new either.
      const invalid = cold('a 3000ms |', { a: [{ service: '' } as unknown as LogEvent] });
      expectObservable(invalid.pipe(inThread({ batchSize: 10, idleMs: 5 }))).toBe('3001ms (z|)', {
        z: expect.objectContaining({ events: 0, total: 0, rate: null, services: [], batches: 0 }),
      });
    });
  });

  it('takes its idle time and scheduler from the options', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 99ms |', { a: event('api', 1, 200) });
      expectObservable(source.pipe(inThread({ batchSize: 10, idleMs: 20 }))).toBe(
        '20ms x 79ms (z|)',
        {
          x: expect.objectContaining({ events: 1, batches: 1 }),
          z: expect.objectContaining({ events: 1, batches: 1 }),
        },
      );
      const never = source.pipe(inThread({ batchSize: 10, idleMs: Infinity }));
      expectObservable(never).toBe('100ms (z|)', {
        z: expect.objectContaining({ events: 1, batches: 1 }),
      });
    });
  });

  it('reads nothing before subscription and starts from zero for each subscription', () => {
    let subscriptions = 0;
    testScheduler().run(({ cold, expectObservable }) => {
      const source = defer(() => {
        subscriptions += 1;
        return cold('-a-|', { a: [event('api', 1, 200), event('web', 2, 500)] });
      });
      const groups = source.pipe(inThread({ batchSize: 5 }));
      const once = {
        z: expect.objectContaining({ events: 2, successes: 1, total: 2, batches: 1 }),
      };
      expectObservable(groups).toBe('---(z|)', once);
      expectObservable(groups).toBe('---(z|)', once);
      // Subscriptions happen when the scheduler runs, after this callback.
      expect(subscriptions).toBe(0);
    });
    expect(subscriptions).toBe(2);
  });

  it('groups per service per time bucket, merging buckets across batches', () => {
    const start = 1_699_999_980; // a multiple of 60
    const at = eventBuilder({ start });
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-|', {
        a: [at('api', 0, 200), at('api', 59.9, 500)],
        b: [at('web', 125, null), at('api', 60, 200), at('api', 30, 201)],
      });
      const groups = source.pipe(inThread({ batchSize: 2, groupEverySeconds: 60 }));
      expectObservable(groups).toBe('x-y-(z|)', {
        x: expect.objectContaining({
          batches: 1,
          buckets: [{ service: 'api', start, successes: 1, total: 2, rate: 0.5 }],
        }),
        y: expect.objectContaining({
          batches: 2,
          buckets: [
            { service: 'api', start, successes: 1, total: 2, rate: 0.5 },
            { service: 'api', start: start + 60, successes: 1, total: 1, rate: 1 },
            { service: 'web', start: start + 120, successes: 0, total: 0, rate: null },
          ],
        }),
        z: expect.objectContaining({
          batches: 3,
          events: 5,
          buckets: [
            { service: 'api', start, successes: 2, total: 3, rate: 2 / 3 },
            { service: 'api', start: start + 60, successes: 1, total: 1, rate: 1 },
            { service: 'web', start: start + 120, successes: 0, total: 0, rate: null },
          ],
        }),
      });
    });
  });

  it('accepts columnar batches and keeps services such as __proto__ as plain keys', () => {
    const batch = EventBatch.fromColumns(
      ['constructor', '__proto__', 'constructor'],
      Float64Array.of(base, base + 1, base + 2),
      Uint16Array.of(200, 404, NO_STATUS),
      ['', '', ''],
    );
    const [record] = valuesOf(from([batch]).pipe(inThread()));
    expect(record).toEqual({
      task: 'lazy-groups',
      events: 3,
      successes: 1,
      total: 2,
      rate: 0.5,
      services: [
        { service: '__proto__', successes: 0, total: 1, rate: 0 },
        { service: 'constructor', successes: 1, total: 1, rate: 1 },
      ],
      batches: 1,
    });
  });

  it('emits the zero totals at the end of an empty input', () => {
    expect(valuesOf(from([]).pipe(inThread()))).toEqual([
      {
        task: 'lazy-groups',
        events: 0,
        successes: 0,
        total: 0,
        rate: null,
        services: [],
        batches: 0,
      },
    ]);
  });

  it('rejects options out of range when created', () => {
    expect(() => lazyGroups({ batchSize: 0 })).toThrow(RangeError);
    expect(() => lazyGroups({ batchSize: 2.5 })).toThrow(/batchSize/);
    // Worker threads are src/threads' reducer's business now: it checks their number.
    expect(() => poolReducer(undefined, -1)).toThrow(/workers/);
    expect(() => poolReducer(undefined, 1.5)).toThrow(/workers/);
    expect(() => lazyGroups({ idleMs: Number.NaN })).toThrow(/idleMs/);
    expect(() => lazyGroups({ groupEverySeconds: 0 })).toThrow(/groupEverySeconds/);
    expect(() => lazyGroups({ groupEverySeconds: Infinity })).toThrow(/groupEverySeconds/);
  });
});

describe('lazyGroups (property: equal to the per-event reduction)', () => {
  const anyService = fc.constantFrom('api', 'web', 'db', '__proto__', 'constructor');
  const anyStatus = fc.option(fc.constantFrom(0, 100, 200, 204, 299, 301, 404, 500, 599, 600));
  const anyValidEvent = fc
    .record({ service: anyService, tick: fc.integer({ min: -400, max: 4000 }), status: anyStatus })
    .map(({ service, tick, status }) => ({
      service,
      timestamp: base + tick / 4,
      message: status === null ? 'done' : `HTTP Status Code: ${String(status).padStart(3, '0')}`,
    }));
  const anyInvalidEvent = fc.constantFrom<unknown>(
    null,
    42,
    { service: '', timestamp: base, message: '' },
    { service: 'api', timestamp: 'yesterday', message: '' },
  );
  const anyValue = fc.oneof(
    { weight: 9, arbitrary: anyValidEvent },
    { weight: 1, arbitrary: anyInvalidEvent },
  );
  /** Input values of every kind: single events, arrays, and columnar batches. */
  const anyInputs = fc
    .array(
      fc.tuple(fc.constantFrom('single', 'array', 'batch'), fc.array(anyValue, { maxLength: 12 })),
      { maxLength: 12 },
    )
    .map((chunks) =>
      chunks.flatMap<OperatorInput>(([kind, values]) => {
        const events = values as LogEvent[];
        if (kind === 'single') return events;
        return kind === 'array' ? [events] : [EventBatch.of(events)];
      }),
    );
  const validEventsOf = (inputs: ReturnType<typeof EventBatch.of>[]) =>
    inputs.flatMap((batch) => Array.from({ length: batch.length }, (_, i) => batch.eventAt(i)));

  it("emits after every batchSize events, each record equal to runningAverage's over that prefix", () => {
    fc.assert(
      fc.property(anyInputs, fc.integer({ min: 1, max: 20 }), (inputs, batchSize) => {
        const valid = validEventsOf(inputs.map((input) => EventBatch.of(input)));
        const records = valuesOf(from(inputs).pipe(lazyGroups({ batchSize })));
        const completeBatches = Math.floor(valid.length / batchSize);
        expect(records).toHaveLength(completeBatches + 1);
        records.forEach((record, k) => {
          const events = k < completeBatches ? (k + 1) * batchSize : valid.length;
          expect(record.events).toBe(events);
          expect(record.batches).toBe(Math.min(k + 1, Math.ceil(events / batchSize)));
          const [expected] = valuesOf(from([valid.slice(0, events)]).pipe(runningAverage()));
          expect({
            successes: record.successes,
            total: record.total,
            rate: record.rate,
            services: record.services,
          }).toEqual({
            successes: expected!.successes,
            total: expected!.total,
            rate: expected!.rate,
            services: expected!.services,
          });
        });
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('counts every (service, floor(t / every)) bucket like a brute-force group-by', () => {
    const anyEvery = fc.constantFrom(0.25, 1, 7, 60, 1e-3);
    fc.assert(
      fc.property(
        anyInputs,
        fc.integer({ min: 1, max: 20 }),
        anyEvery,
        (inputs, batchSize, every) => {
          const records = valuesOf(
            from(inputs).pipe(lazyGroups({ batchSize, groupEverySeconds: every })),
          );
          const brute = new Map<string, { successes: number; total: number }>();
          for (const input of inputs) {
            const batch = EventBatch.of(input);
            for (let i = 0; i < batch.length; i++) {
              const status = batch.statuses[i]!;
              const key = `${batch.services[i]}\u0000${Math.floor(batch.times[i]! / every)}`;
              const tally = brute.get(key) ?? { successes: 0, total: 0 };
              tally.total += status === NO_STATUS ? 0 : 1;
              tally.successes += status >= 200 && status <= 299 ? 1 : 0;
              brute.set(key, tally);
            }
          }
          const expected = [...brute]
            .map(([key, { successes, total }]) => {
              const [service, index] = key.split('\u0000') as [string, string];
              const start = Number(index) * every;
              return {
                service,
                start,
                successes,
                total,
                rate: total === 0 ? null : successes / total,
              };
            })
            .sort((a, b) =>
              a.service < b.service ? -1 : a.service > b.service ? 1 : a.start - b.start,
            );
          expect(records.at(-1)!.buckets).toEqual(expected);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('counts the same valid events as the event model accepts', () => {
    fc.assert(
      fc.property(fc.array(anyValue, { maxLength: 40 }), (values) => {
        const [record] = valuesOf(from([values as LogEvent[]]).pipe(lazyGroups()));
        expect(record!.events).toBe(values.filter((value) => validateEvent(value).ok).length);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});

/** `events` synthetic events in columnar batches of `chunk`, from a seeded generator. */
function syntheticBatches(events: number, chunk: number, seed = SEED): EventBatch[] {
  const random = createRandom(seed);
  const services = ['api', 'auth', 'billing', 'search', '__proto__'];
  const codes = [200, 201, 204, 301, 404, 500, 503, NO_STATUS];
  const batches: EventBatch[] = [];
  for (let offset = 0; offset < events; offset += chunk) {
    const n = Math.min(chunk, events - offset);
    const names = new Array<string>(n);
    const times = new Float64Array(n);
    const statuses = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      names[i] = services[Math.floor(random() * services.length)]!;
      times[i] = base + (offset + i) / 100 + random() * 30;
      statuses[i] = codes[Math.floor(random() * codes.length)]!;
    }
    batches.push(EventBatch.fromColumns(names, times, statuses, new Array<string>(n).fill('')));
  }
  return batches;
}

/**
 * src/threads' reducer, each subscription with a pool of its own (terminated with it), and
 * how many threads those pools have running: what the worker-lifecycle tests watch.
 */
function poolPerSubscription(size = 2) {
  const pools: WorkerPool[] = [];
  const reducer = (workers: number | 'auto' = size) =>
    poolReducer(() => {
      const pool = WorkerPool.create(size);
      if (pool !== undefined) pools.push(pool);
      return pool;
    }, workers);
  const liveWorkers = () => pools.reduce((sum, pool) => sum + pool.liveWorkers, 0);
  const noLiveWorkers = () => vi.waitFor(() => expect(liveWorkers()).toBe(0), { timeout: 5000 });
  return { reducer, liveWorkers, noLiveWorkers };
}

// The pool's threads run the compiled worker script (npm test builds dist/ first).
describe.runIf(poolWorkerScript() !== undefined)('lazyGroups (worker threads)', () => {
  it('reduces batches in worker threads, with the records of the in-thread reduction', async () => {
    const { reducer, noLiveWorkers } = poolPerSubscription(2);
    const batches = syntheticBatches(400_000, 10_000);
    const reducedIn: (number | undefined)[] = [];
    const options = { batchSize: 20_000, groupEverySeconds: 60 };
    // Batches arrive on later ticks, as files do, so worker results come back in between.
    const parallel = await lastValueFrom(
      scheduled(batches, asyncScheduler).pipe(
        lazyGroups({
          ...options,
          reducer: reducer(2),
          onBatchReduced: (info) => reducedIn.push(info.threadId),
        }),
        toArray(),
      ),
    );
    const sequential = valuesOf(from(batches).pipe(lazyGroups(options)));

    expect(parallel).toEqual(sequential);
    expect(parallel).toHaveLength(21);
    expect(parallel.at(-1)).toMatchObject({ events: 400_000, batches: 20 });
    expect(reducedIn).toHaveLength(20);
    // The first two batches go to the two idle workers; later ones wherever there is room.
    const workerThreads = reducedIn.filter((id) => id !== threadId);
    expect(new Set(workerThreads).size).toBe(2);
    expect(new Set(reducedIn.slice(0, 2)).size).toBe(2);
    expect(reducedIn.slice(0, 2)).not.toContain(threadId);
    await noLiveWorkers();
  });

  it('starts no worker before subscription, nor before the first batch', async () => {
    const { reducer, liveWorkers, noLiveWorkers } = poolPerSubscription(2);
    const input = new Subject<EventBatch>();
    const groups = input.pipe(lazyGroups({ batchSize: 1000, reducer: reducer(2) }));
    expect(liveWorkers()).toBe(0);
    const subscription = groups.subscribe();
    input.next(syntheticBatches(999, 999)[0]!);
    expect(liveWorkers()).toBe(0);
    input.next(syntheticBatches(1, 1)[0]!);
    expect(liveWorkers()).toBe(2);
    subscription.unsubscribe();
    await noLiveWorkers();
  });

  it('terminates its workers when unsubscribed while they work', async () => {
    const { reducer, liveWorkers, noLiveWorkers } = poolPerSubscription(2);
    const input = new Subject<EventBatch>();
    let reportFirst: (threadId: number | undefined) => void = () => {};
    const firstReduced = new Promise<number | undefined>((resolve) => {
      reportFirst = resolve;
    });
    const subscription = input
      .pipe(
        lazyGroups({
          batchSize: 1000,
          reducer: reducer(2),
          onBatchReduced: (info) => reportFirst(info.threadId),
        }),
      )
      .subscribe();
    input.next(syntheticBatches(5000, 5000)[0]!);
    expect(await firstReduced).not.toBe(threadId);
    expect(liveWorkers()).toBe(2);
    subscription.unsubscribe();
    await noLiveWorkers();
  });

  it('terminates its workers when the source fails, and passes the error on', async () => {
    const { reducer, liveWorkers, noLiveWorkers } = poolPerSubscription(2);
    const failing = new Subject<EventBatch>();
    const result = lastValueFrom(
      failing.pipe(lazyGroups({ batchSize: 1000, reducer: reducer(2) })),
    );
    failing.next(syntheticBatches(3000, 3000)[0]!);
    expect(liveWorkers()).toBe(2);
    failing.error(new Error('disk gone'));
    await expect(result).rejects.toThrow('disk gone');
    await noLiveWorkers();
    await expect(
      lastValueFrom(throwError(() => new Error('early')).pipe(lazyGroups({ reducer: reducer(2) }))),
    ).rejects.toThrow('early');
  });

  it("in 'auto' mode, keeps small batches in the calling thread", async () => {
    const { reducer, liveWorkers } = poolPerSubscription(availableParallelism());
    const reducedIn: (number | undefined)[] = [];
    const records = valuesOf(
      from(syntheticBatches(3000, 500)).pipe(
        lazyGroups({
          batchSize: 100,
          reducer: reducer('auto'),
          onBatchReduced: (info) => reducedIn.push(info.threadId),
        }),
      ),
    );
    expect(records).toHaveLength(31);
    expect(reducedIn).toEqual(new Array(30).fill(threadId));
    expect(liveWorkers()).toBe(0);
  });

  it.skipIf(availableParallelism() < 2)(
    "in 'auto' mode, moves to workers once 4 full batches prove the input large",
    async () => {
      const { reducer, noLiveWorkers } = poolPerSubscription(availableParallelism());
      const reducedIn: (number | undefined)[] = [];
      const records = await lastValueFrom(
        from(syntheticBatches(100_000, 10_000)).pipe(
          lazyGroups({
            batchSize: 10_000,
            reducer: reducer('auto'),
            onBatchReduced: (info) => reducedIn.push(info.threadId),
          }),
          toArray(),
        ),
      );
      expect(records.at(-1)).toMatchObject({ events: 100_000, batches: 10 });
      expect(reducedIn.slice(0, 4)).toEqual(new Array(4).fill(threadId));
      expect(reducedIn[4]).not.toBe(threadId);
      await noLiveWorkers();
    },
  );

  it('uses a shared pool without terminating it, beside the files it scans', async () => {
    const pool = WorkerPool.create(2)!;
    try {
      const reducer = poolReducer(pool, 2);
      const batches = syntheticBatches(40_000, 10_000);
      const sequential = valuesOf(from(batches).pipe(lazyGroups({ batchSize: 10_000 })));
      for (let run = 0; run < 2; run++) {
        const reducedIn: (number | undefined)[] = [];
        const records = await lastValueFrom(
          scheduled(syntheticBatches(40_000, 10_000), asyncScheduler).pipe(
            lazyGroups({
              batchSize: 10_000,
              reducer,
              onBatchReduced: (info) => reducedIn.push(info.threadId),
            }),
            toArray(),
          ),
        );
        expect(records).toEqual(sequential);
        expect(reducedIn.some((id) => id !== threadId)).toBe(true);
        // Each subscription closed its reducer; the pool's owner has not terminated it.
        expect(pool.liveWorkers).toBe(2);
      }
      await expect(pool.scan(resolve(REPO, 'missing.json'), 0)).rejects.toMatchObject({
        code: 'ENOENT',
      });
    } finally {
      pool.terminate();
    }
    await vi.waitFor(() => expect(pool.liveWorkers).toBe(0), { timeout: 5000 });
  });
});

const REPO = resolve(import.meta.dirname, '../..');
const COMPILED = [
  resolve(REPO, 'dist/operators/lazy-groups/lazy-groups.js'),
  resolve(REPO, 'dist/src/threads/batch-reducer.js'),
  resolve(REPO, 'dist/src/threads/pool-worker.js'),
];

describe('lazyGroups from the compiled dist/ files (npm test builds them first)', () => {
  it.skipIf(!COMPILED.every((file) => existsSync(file)))(
    'runs its workers from compiled JavaScript and lets the process exit',
    async () => {
      // The same events as syntheticFlat below, built in the child from the same formula.
      // The pool is never terminated: its idle threads must not hold the process open.
      const script = `
        import { from } from 'rxjs';
        import { lazyGroups } from './dist/operators/lazy-groups/lazy-groups.js';
        import { poolReducer } from './dist/src/threads/batch-reducer.js';
        import { WorkerPool } from './dist/src/threads/worker-pool.js';
        const events = ${syntheticFlat.toString()}(50_000);
        const threads = new Set();
        const reducer = poolReducer(WorkerPool.create(2), 2);
        let last;
        from(events).pipe(lazyGroups({ batchSize: 5000, reducer, groupEverySeconds: 10,
            onBatchReduced: (info) => threads.add(info.threadId) }))
          .subscribe({ next: (record) => { last = record; },
            complete: () => console.log(JSON.stringify({ last, threads: [...threads] })) });
      `;
      const stdout = await new Promise<string>((done, fail) => {
        execFile(
          process.execPath,
          ['--input-type=module', '-e', script],
          { cwd: REPO, timeout: 20_000 },
          (error, out) => (error ? fail(error) : done(out)),
        );
      });
      const { last, threads } = JSON.parse(stdout) as {
        last: BatchedLazyGroupsRecord;
        threads: number[];
      };
      expect(threads.some((id) => id !== 0)).toBe(true);
      const [expected] = valuesOf(
        from([syntheticFlat(50_000).flat()]).pipe(
          lazyGroups({ batchSize: 50_000, groupEverySeconds: 10 }),
        ),
      );
      expect(last).toEqual({ ...expected, batches: 10 });
    },
  );
});

/** Self-contained (it is also run in a child process): `n` events as an array of arrays. */
function syntheticFlat(n: number) {
  const chunks = [];
  for (let offset = 0; offset < n; offset += 2500) {
    const chunk = [];
    for (let i = offset; i < offset + 2500 && i < n; i++) {
      const status = [200, 404, 503, 201, 301][(i * 7) % 5];
      chunk.push({
        service: `service-${(i * 13) % 7}`,
        timestamp: 1_700_000_000 + i / 50,
        message: i % 11 === 0 ? 'no status' : `HTTP Status Code: ${status}`,
      });
    }
    chunks.push(chunk);
  }
  return chunks;
}
