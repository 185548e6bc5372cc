import fc from 'fast-check';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch, NO_STATUS, type OperatorInput } from '../../operators/batch.js';
import type { LogEvent } from '../../operators/event.js';
import { createRandom } from '../../operators/random.js';
import type { ReservoirRecord } from '../../operators/records.js';
import { reservoirSample } from '../../operators/reservoir-sample.js';
import { inclusionChiSquare } from '../support/chi-square.js';
import { eventBuilder, testScheduler } from '../support/events.js';

const requestEvent = eventBuilder({ prefix: 'GET /x ' });
const event = (status: number | null, service = 'api') => requestEvent(service, 0, status);
const events = (statuses: readonly (number | null)[]): LogEvent[] => statuses.map((s) => event(s));

/** Every record emitted for `inputs`, synchronously. */
function records(
  inputs: readonly OperatorInput[],
  options: Parameters<typeof reservoirSample>[0],
): ReservoirRecord[] {
  const emitted: ReservoirRecord[] = [];
  from(inputs)
    .pipe(reservoirSample(options))
    .subscribe((record) => emitted.push(record));
  return emitted;
}

const last = (inputs: readonly OperatorInput[], options: Parameters<typeof reservoirSample>[0]) =>
  records(inputs, options).at(-1)!;

const countOf = (record: ReservoirRecord, status: number) =>
  record.sample.find((entry) => entry.status === status)?.count ?? 0;

/** Status counts of the input, sorted as the SPEC sorts a sample. */
function histogram(statuses: readonly (number | null)[]) {
  const counts = new Map<number, number>();
  for (const status of statuses) {
    if (status !== null) counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return [...counts]
    .map(([status, count]) => ({ status, count }))
    .sort((a, b) => b.count - a.count || a.status - b.status);
}

// Two-sided 99.9% normal quantile: z such that P(|Z| > z) = 0.001.
const Z_999 = 3.2905;

describe('reservoirSample', () => {
  it('emits the sample after each input, unchanged for an input with nothing to sample', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c|', {
        a: events([200, 500]),
        b: event(null),
        c: [event(200)],
      });
      const first = {
        task: 'reservoir',
        seen: 2,
        capacity: 5,
        size: 2,
        mostCommon: 200,
        sample: [
          { status: 200, count: 1 },
          { status: 500, count: 1 },
        ],
      };
      expectObservable(source.pipe(reservoirSample({ capacity: 5, seed: 1 }))).toBe('-x-y-z|', {
        x: first,
        y: first,
        z: {
          task: 'reservoir',
          seen: 3,
          capacity: 5,
          size: 3,
          mostCommon: 200,
          sample: [
            { status: 200, count: 2 },
            { status: 500, count: 1 },
          ],
        },
      });
    });
  });

  it('emits nothing for an empty source', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<OperatorInput>('|').pipe(reservoirSample({ seed: 1 }))).toBe('|');
    });
  });

  it('reports an empty sample for empty batches and fills once data arrives', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab-c|', {
        a: [],
        b: [event(null), { service: 'api' } as unknown as LogEvent],
        c: events([404, 200, 404]),
      });
      const empty = {
        task: 'reservoir',
        seen: 0,
        capacity: 1000,
        size: 0,
        mostCommon: null,
        sample: [],
      };
      expectObservable(source.pipe(reservoirSample())).toBe('xy-z|', {
        x: empty,
        y: empty,
        z: {
          task: 'reservoir',
          seen: 3,
          capacity: 1000,
          size: 3,
          mostCommon: 404,
          sample: [
            { status: 404, count: 2 },
            { status: 200, count: 1 },
          ],
        },
      });
    });
  });

  it('breaks a tie for the most common status by the lowest code', () => {
    const record = last([events([503, 500, 201, 503, 500])], { capacity: 10, seed: 1 });
    expect(record.mostCommon).toBe(500);
    expect(record.sample).toEqual([
      { status: 500, count: 2 },
      { status: 503, count: 2 },
      { status: 201, count: 1 },
    ]);
  });

  it('keeps every event when the capacity exceeds the event count', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }))),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (batches, seed) => {
          const all = batches.flat();
          const withStatus = all.filter((status) => status !== null).length;
          const record = records(batches.map(events), { capacity: withStatus + 1, seed }).at(-1);
          if (batches.length === 0) {
            expect(record).toBeUndefined();
            return;
          }
          expect(record?.seen).toBe(withStatus);
          expect(record?.size).toBe(withStatus);
          expect(record?.sample).toEqual(histogram(all));
        },
      ),
    );
  });

  it('keeps a consistent sample of what was seen, whatever the batches and capacity', () => {
    const statusOrNone = fc.option(fc.constantFrom(200, 201, 302, 404, 500, 503), { nil: null });
    fc.assert(
      fc.property(
        fc.array(fc.array(statusOrNone, { maxLength: 30 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (batches, capacity, seed) => {
          const emitted = records(batches.map(events), { capacity, seed });
          expect(emitted).toHaveLength(batches.length);
          const soFar: (number | null)[] = [];
          emitted.forEach((record, i) => {
            soFar.push(...batches[i]!);
            const input = histogram(soFar);
            const seen = input.reduce((sum, { count }) => sum + count, 0);
            expect(record.seen).toBe(seen);
            expect(record.capacity).toBe(capacity);
            expect(record.size).toBe(Math.min(seen, capacity));
            expect(record.sample.reduce((sum, { count }) => sum + count, 0)).toBe(record.size);
            for (const { status, count } of record.sample) {
              expect(count).toBeGreaterThan(0);
              expect(count).toBeLessThanOrEqual(input.find((e) => e.status === status)!.count);
            }
            const sorted = [...record.sample].sort(
              (a, b) => b.count - a.count || a.status - b.status,
            );
            expect(record.sample).toEqual(sorted);
            expect(record.mostCommon).toBe(record.sample[0]?.status ?? null);
          });
        },
      ),
    );
  });

  describe('samples every position with the same probability (chi-square, p = 0.001)', () => {
    const n = 50;
    const k = 10;
    const runs = 4000;
    // Position i carries status 100 + i, so a sample's statuses say which positions it kept.
    const positions = Array.from({ length: n }, (_, i) => 100 + i);

    /**
     * Inclusion counts are Binomial(runs, k/n) each, but a run keeps exactly k positions, so
     * they are negatively correlated: Cov = -p(1-p)/(n-1) per run. Scaled by
     * runs·p(1-p)·n/(n-1), the sum of squared deviations is chi-square with n-1 degrees of
     * freedom (the plain Σ(O-E)²/E would be smaller by (1-p)·n/(n-1) and the test lax).
     */
    function chiSquare(inputsOf: () => OperatorInput[]): number {
      const inputs = inputsOf();
      const kept = new Array<number>(n).fill(0);
      for (let seed = 1; seed <= runs; seed++) {
        const record = last(inputs, { capacity: k, seed });
        expect(record.size).toBe(k);
        for (const { status, count } of record.sample) {
          expect(count).toBe(1);
          kept[status - 100]! += 1;
        }
      }
      return inclusionChiSquare(kept, runs, k);
    }

    // The 0.999 quantile of chi-square with 49 degrees of freedom (scipy.stats.chi2.ppf(0.999, 49)).
    const CRITICAL_49_DF = 85.351;

    it('over one array of events', () => {
      expect(chiSquare(() => [EventBatch.of(events(positions))])).toBeLessThan(CRITICAL_49_DF);
    });

    it('over batches of different sizes, single events and events without a status', () => {
      const sizes = [1, 4, 9, 2, 17, 3, 1, 13];
      const inputs = (): OperatorInput[] => {
        const result: OperatorInput[] = [];
        let start = 0;
        sizes.forEach((size, b) => {
          const slice: (number | null)[] = positions.slice(start, start + size);
          start += size;
          // Every other batch interleaves events without a status, which must not count.
          if (b % 2 === 1) for (let j = slice.length; j >= 0; j -= 2) slice.splice(j, 0, null);
          result.push(size === 1 && b > 0 ? event(slice[0]!) : EventBatch.of(events(slice)));
        });
        expect(start).toBe(n);
        return result;
      };
      expect(last(inputs(), { capacity: k, seed: 1 }).seen).toBe(n);
      expect(chiSquare(inputs)).toBeLessThan(CRITICAL_49_DF);
    });
  });

  it('finds the majority status: 80 of 200 and 20 of 500 with capacity 20', () => {
    const inputs = [
      events(Array(50).fill(200)),
      events([...Array(30).fill(200), ...Array(20).fill(500)]),
    ];
    // With a fixed seed each run is deterministic; several seeds show it is not one lucky draw
    // (500 outnumbering 200 in a sample of 20 has a hypergeometric probability below 0.001).
    for (let seed = 1; seed <= 20; seed++) {
      const record = last(inputs, { capacity: 20, seed });
      expect(record).toMatchObject({ seen: 100, size: 20, mostCommon: 200 });
    }
  });

  it('with capacity 1 keeps each of two events about half the time', () => {
    const seeds = 1000;
    const bound = Z_999 * Math.sqrt(seeds * 0.25);
    for (const inputs of [[events([200, 500])], [event(200), event(500)]]) {
      let kept200 = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const record = last(inputs, { capacity: 1, seed });
        expect(record.size).toBe(1);
        if (record.mostCommon === 200) kept200 += 1;
      }
      expect(Math.abs(kept200 - seeds / 2)).toBeLessThan(bound);
    }
  });

  it('gives the same records for the same seed and input, on every subscription', () => {
    const inputs = [0, 1, 2, 3].map((b) =>
      events(Array.from({ length: 250 }, (_, i) => 100 + (((b * 250 + i) * 37) % 900))),
    );
    const sampled = from(inputs).pipe(reservoirSample({ capacity: 10, seed: 3 }));
    const first: ReservoirRecord[] = [];
    const second: ReservoirRecord[] = [];
    sampled.subscribe((record) => first.push(record));
    sampled.subscribe((record) => second.push(record));
    expect(first).toHaveLength(4);
    expect(second).toEqual(first);
    expect(records(inputs, { capacity: 10, seed: 3 })).toEqual(first);

    const others = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((seed) =>
      last(inputs, { capacity: 10, seed }),
    );
    const differing = others.filter((record) => !isEqual(record, first.at(-1)!));
    expect(differing.length).toBeGreaterThanOrEqual(9);
  });

  it('uses a given generator instead of the seed', () => {
    const inputs = [events([200, 201, 202, 203, 204, 205, 206, 207])];
    expect(last(inputs, { capacity: 3, random: createRandom(42), seed: 1 })).toEqual(
      last(inputs, { capacity: 3, seed: 42 }),
    );
  });

  it('defaults to a capacity of 1000', () => {
    const record = last([events(Array.from({ length: 1500 }, (_, i) => 100 + (i % 900)))], {
      seed: 1,
    });
    expect(record).toMatchObject({ seen: 1500, capacity: 1000, size: 1000 });
  });

  it('rejects a capacity that is not a positive integer when created', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => reservoirSample({ capacity })).toThrow(RangeError);
    }
  });

  it('draws random numbers in proportion to k·log(n/k), not n, and still samples late events', () => {
    const k = 100;
    const half = 500_000;
    // The first half is 200 in batches where every event has a status; the second half is
    // 500 in batches where every other event has none, which seen must not count.
    const dense = columnar(Array(100_000).fill(200));
    const sparse = columnar(
      Array.from({ length: 200_000 }, (_, i) => (i % 2 === 0 ? 500 : NO_STATUS)),
    );
    const inputs = [...Array(5).fill(dense), ...Array(5).fill(sparse)];
    const seeded = createRandom(11);
    let calls = 0;
    const counting = () => {
      calls += 1;
      return seeded();
    };

    const record = last(inputs, { capacity: k, random: counting });

    const n = 2 * half;
    expect(record).toMatchObject({ seen: n, size: k });
    expect(calls).toBeLessThan(20 * k * Math.log(n / k) + 3 * k);
    // Replacements go on all along the stream (about k·ln(n/k) of them)...
    expect(calls).toBeGreaterThan(k * Math.log(n / k));
    // ...so the late half is in the sample about as often as the early half: the count of 500
    // is hypergeometric with mean k/2, within its 99.9% normal bound.
    const bound = Z_999 * Math.sqrt((k / 4) * ((n - k) / (n - 1)));
    expect(Math.abs(countOf(record, 500) - k / 2)).toBeLessThan(bound);
  });
});

/** A batch built straight from statuses (0 = none), for inputs too large to parse. */
function columnar(statuses: readonly number[]): EventBatch {
  const length = statuses.length;
  return EventBatch.fromColumns(
    Array<string>(length).fill('api'),
    new Float64Array(length),
    Uint16Array.from(statuses),
    Array<string>(length).fill(''),
    [],
  );
}

function isEqual(a: ReservoirRecord, b: ReservoirRecord): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
