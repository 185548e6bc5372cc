import fc from 'fast-check';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch, NO_STATUS } from '../../operators/batch.js';
import { createRandom } from '../../operators/random.js';
import type { ReservoirRecord } from '../../operators/records.js';
import { ReservoirState, reservoirSample } from '../../operators/reservoir-sample.js';
import { StateError } from '../../operators/task-state.js';
import { inclusionChiSquare } from '../support/chi-square.js';

type Status = number | null;

const SERVICES = ['api', 'auth', '__proto__', 'constructor', 'db'];

/** A batch of events with these statuses (null: none), services and times varied. */
function batchOf(statuses: readonly Status[]): EventBatch {
  const length = statuses.length;
  return EventBatch.fromColumns(
    Array.from({ length }, (_, i) => SERVICES[(i * 7 + length) % SERVICES.length]!),
    Float64Array.from({ length }, (_, i) => 1_700_000_000 + ((i * 13) % 50)),
    Uint16Array.from(statuses, (status) => status ?? NO_STATUS),
    Array.from({ length }, (_, i) => `message ${i % 3}`),
  );
}

function stateOver(
  batches: readonly (readonly Status[])[],
  capacity: number,
  seed: number,
): ReservoirState {
  const state = ReservoirState.create({ capacity, seed });
  for (const batch of batches) state.add(batchOf(batch));
  return state;
}

function histogram(statuses: readonly Status[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const status of statuses) {
    if (status !== null) counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

const asCount = ([status, count]: [number, number]) => ({ status, count });

const countIn = (record: ReservoirRecord, status: number) =>
  record.sample.find((entry) => entry.status === status)?.count ?? 0;

/** A record that is a consistent sample, each count at most what `sources` hold together. */
function expectSampleOf(record: ReservoirRecord, sources: readonly ReservoirRecord[]): void {
  expect(record.size).toBe(Math.min(record.capacity, record.seen));
  expect(record.sample.reduce((sum, { count }) => sum + count, 0)).toBe(record.size);
  for (const { status, count } of record.sample) {
    expect(count).toBeGreaterThan(0);
    const available = sources.reduce((sum, source) => sum + countIn(source, status), 0);
    expect(count).toBeLessThanOrEqual(available);
  }
  const sorted = [...record.sample].sort((a, b) => b.count - a.count || a.status - b.status);
  expect(record.sample).toEqual(sorted);
  expect(record.mostCommon).toBe(record.sample[0]?.status ?? null);
}

const roundTrip = (state: ReservoirState) =>
  ReservoirState.decode(JSON.parse(JSON.stringify(state.encode())));

const status = fc.option(fc.constantFrom(0, 200, 201, 302, 404, 500, 503, 999), {
  nil: null,
  freq: 4,
});
const stream = fc.array(fc.array(status, { maxLength: 40 }), { maxLength: 8 });
const capacity = fc.integer({ min: 1, max: 16 });
const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });

describe('ReservoirState', () => {
  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => ReservoirState.create({ capacity: bad })).toThrow(RangeError);
    }
  });

  it('is created empty, with the default capacity of the operator', () => {
    const state = ReservoirState.create({ seed: 1 });
    expect(state.task).toBe('reservoir');
    expect(state.record()).toEqual({
      task: 'reservoir',
      seen: 0,
      capacity: 1000,
      size: 0,
      mostCommon: null,
      sample: [],
    });
    expect(state.finalRecords()).toEqual([state.record()]);
  });

  it('finalRecords is the record and leaves the state as it was', () => {
    const state = stateOver([[200, 500, null, 200]], 3, 4);
    const before = state.encode();
    expect(state.finalRecords()).toEqual([state.record()]);
    expect(state.encode()).toEqual(before);
  });

  describe('encode and decode', () => {
    it('round-trips and the decoded state continues exactly as the original', () => {
      fc.assert(
        fc.property(stream, stream, capacity, seed, (before, after, k, s) => {
          const original = stateOver(before, k, s);
          const decoded = roundTrip(original);
          expect(decoded.record()).toEqual(original.record());
          expect(decoded.encode()).toEqual(original.encode());
          expect(ReservoirState.decode(original.encode(), { capacity: k }).encode()).toEqual(
            original.encode(),
          );
          for (const batch of after) {
            expect(decoded.add(batchOf(batch)).record()).toEqual(
              original.add(batchOf(batch)).record(),
            );
          }
          expect(decoded.encode()).toEqual(original.encode());
        }),
        { seed: 31, numRuns: 150 },
      );
    });

    it('continues exactly over a long stream that keeps replacing', () => {
      const statuses = (offset: number) =>
        Array.from({ length: 5000 }, (_, i) => 100 + ((i * 31 + offset) % 800));
      const original = stateOver([statuses(0)], 20, 9);
      const decoded = roundTrip(original);
      for (let b = 1; b <= 5; b++) {
        const batch = batchOf(statuses(b));
        expect(decoded.add(batch).record()).toEqual(original.add(batch).record());
      }
      expect(decoded.encode()).toEqual(original.encode());
    });

    it('writes JSON-safe fields: the sample as base64, the generator as four words', () => {
      const encoded = stateOver([[200, 404, 500, 200]], 2, 5).encode();
      expect(encoded).toMatchObject({ task: 'reservoir', version: 1, options: { capacity: 2 } });
      const fields = encoded.state as { [name: string]: unknown };
      expect(typeof fields.sample).toBe('string');
      expect(fields.seen).toBe(4);
      expect(fields.generator).toHaveLength(4);
      expect(JSON.parse(JSON.stringify(encoded))).toEqual(encoded);
    });

    it('refuses to encode a state that draws from a user-supplied function', () => {
      const state = ReservoirState.create({ capacity: 3, random: createRandom(1) });
      state.add(batchOf([200, 201, 202, 203]));
      expect(() => state.encode()).toThrow(StateError);
      expect(() => state.encode()).toThrow(/random function/);
    });

    const valid = () => stateOver([[200, 404, 500, 200, 201]], 3, 7).encode();
    const withState = (fields: { [name: string]: unknown }) => {
      const encoded = valid();
      return { ...encoded, state: { ...(encoded.state as object), ...fields } };
    };

    it('refuses another task, another version and another capacity, naming it', () => {
      expect(() => ReservoirState.decode({ ...valid(), task: 'bloom' })).toThrow(/bloom/);
      expect(() => ReservoirState.decode({ ...valid(), version: 2 })).toThrow(/version 2/);
      expect(() => ReservoirState.decode(valid(), { capacity: 4 })).toThrow(StateError);
      expect(() => ReservoirState.decode(valid(), { capacity: 4 })).toThrow(/capacity: 3 and 4/);
      // No capacity given means the default one, which this state was not made with.
      expect(() => ReservoirState.decode(valid(), {})).toThrow(/capacity/);
      // The seed is not an option of the state: the state continues with its own generator.
      expect(ReservoirState.decode(valid(), { capacity: 3, seed: 99 }).encode()).toEqual(valid());
    });

    it('refuses corrupt fields with a StateError', () => {
      const sample = (values: number[]) =>
        Buffer.from(Uint16Array.from(values).buffer).toString('base64');
      const corrupt: unknown[] = [
        null,
        [],
        'state',
        { ...valid(), options: { capacity: 0 } },
        { ...valid(), options: { capacity: 'three' } },
        { ...valid(), options: {} },
        { ...valid(), state: null },
        withState({ seen: -1 }),
        withState({ seen: 2.5 }),
        withState({ seen: '5' }),
        withState({ seen: 2 }),
        withState({ sample: 42 }),
        withState({ sample: '%%%' }),
        withState({ sample: 'AAA=' }),
        withState({ sample: sample([200, 404]) }),
        withState({ sample: sample([200, 404, NO_STATUS]) }),
        withState({ weight: 0 }),
        withState({ weight: 1.5 }),
        withState({ weight: -0.1 }),
        withState({ weight: null }),
        withState({ skip: -1 }),
        withState({ skip: 0.5 }),
        withState({ skip: 'many' }),
        withState({ generator: undefined }),
        withState({ generator: [1, 2, 3] }),
        withState({ generator: [1, 2, 3, -4] }),
        withState({ generator: [1, 2, 3, 2 ** 32] }),
        withState({ generator: [1, 2, 3, 0.5] }),
        withState({ generator: { 0: 1, 1: 2, 2: 3, 3: 4, length: 4 } }),
      ];
      for (const encoded of corrupt) {
        expect(() => ReservoirState.decode(encoded), JSON.stringify(encoded)).toThrow(StateError);
      }
    });
  });

  describe('merge', () => {
    it('refuses another capacity, naming it', () => {
      const a = ReservoirState.create({ capacity: 3, seed: 1 });
      const b = ReservoirState.create({ capacity: 4, seed: 1 });
      expect(() => a.merge(b)).toThrow(StateError);
      expect(() => a.merge(b)).toThrow(/capacity: 3 and 4/);
    });

    it('is associative: the same seen and size, and a sample of the union', () => {
      fc.assert(
        fc.property(stream, stream, stream, capacity, seed, (sa, sb, sc, k, s) => {
          const a = stateOver(sa, k, s);
          const b = stateOver(sb, k, s + 1);
          const c = stateOver(sc, k, s + 2);
          const left = a.merge(b).merge(c).record();
          const right = a.merge(b.merge(c)).record();
          const seen = a.seen + b.seen + c.seen;
          for (const record of [left, right]) {
            expect(record).toMatchObject({ seen, capacity: k, size: Math.min(k, seen) });
            expectSampleOf(record, [a.record(), b.record(), c.record()]);
          }
        }),
        { seed: 32, numRuns: 150 },
      );
    });

    it('has the empty state as identity on both sides: an exact copy of the other', () => {
      fc.assert(
        fc.property(stream, capacity, seed, seed, (batches, k, s, emptySeed) => {
          const state = stateOver(batches, k, s);
          const empty = ReservoirState.create({ capacity: k, seed: emptySeed });
          for (const merged of [state.merge(empty), empty.merge(state)]) {
            expect(merged.record()).toEqual(state.record());
            // Of two empty states, the merge is a copy of the first.
            if (state.seen > 0) expect(merged.encode()).toEqual(state.encode());
          }
          expect(state.merge(empty).encode()).toEqual(state.encode());
          expect(empty.merge(empty.merge(empty)).record()).toEqual(empty.record());
        }),
        { seed: 33, numRuns: 100 },
      );
    });

    it('over parts of a stream: seen adds up, and a sample of what the stream holds', () => {
      fc.assert(
        fc.property(
          stream,
          fc.array(fc.nat(), { maxLength: 3 }),
          capacity,
          seed,
          (batches, cuts, k, s) => {
            const all = batches.flat();
            // Cut the stream, inside batches too, into parts sampled by separate states.
            const points = [...new Set(cuts.map((cut) => cut % (all.length + 1)))].sort(
              (x, y) => x - y,
            );
            const parts: Status[][] = [];
            let start = 0;
            for (const point of [...points, all.length]) {
              parts.push(all.slice(start, point));
              start = point;
            }
            const merged = parts
              .map((part, p) => stateOver([part.slice(0, 3), part.slice(3)], k, s + p))
              .reduce((x, y) => x.merge(y));
            const whole = stateOver(batches, k, s).record();
            const record = merged.record();
            expect(record).toMatchObject({ seen: whole.seen, size: whole.size, capacity: k });
            const input = histogram(all);
            for (const entry of record.sample) {
              expect(entry.count).toBeLessThanOrEqual(input.get(entry.status)!);
            }
            // A sample that holds every event is the same however it was reached.
            if (whole.seen <= k) expect(merged.finalRecords()).toEqual([whole]);
            expectSampleOf(record, [{ ...whole, sample: [...input].map(asCount) }]);
          },
        ),
        { seed: 34, numRuns: 150 },
      );
    });

    it('changes neither input and repeats for the same two states', () => {
      fc.assert(
        fc.property(stream, stream, capacity, seed, (sa, sb, k, s) => {
          const a = stateOver(sa, k, s);
          const b = stateOver(sb, k, s ^ 0x5bd1e995);
          const [encodedA, encodedB] = [a.encode(), b.encode()];
          const first = a.merge(b);
          expect(a.encode()).toEqual(encodedA);
          expect(b.encode()).toEqual(encodedB);
          expect(a.merge(b).encode()).toEqual(first.encode());
          expect(roundTrip(a).merge(roundTrip(b)).encode()).toEqual(first.encode());
          // The merged state continues the same way each time, too.
          const later = batchOf([200, 500, 404, 200, 302, 201, 503, 200, 0, 999]);
          const second = a.merge(b);
          for (let i = 0; i < 5; i++) {
            expect(second.add(later).record()).toEqual(first.add(later).record());
          }
          expect(a.encode()).toEqual(encodedA);
        }),
        { seed: 35, numRuns: 100 },
      );
    });

    it('with a state drawing from a user-supplied function, draws from it', () => {
      let calls = 0;
      const seeded = createRandom(3);
      const random = () => {
        calls += 1;
        return seeded();
      };
      const a = ReservoirState.create({ capacity: 4, random });
      a.add(batchOf([200, 201, 202, 203, 204, 205]));
      const b = stateOver([[500, 501, 502, 503, 504]], 4, 1);
      const before = calls;
      const merged = b.merge(a);
      expect(calls).toBeGreaterThan(before);
      expect(merged.record()).toMatchObject({ seen: 11, size: 4 });
      expectSampleOf(merged.record(), [a.record(), b.record()]);
      expect(() => merged.encode()).toThrow(StateError);
    });
  });

  describe('reservoirSample with a state', () => {
    const records = (batches: readonly (readonly Status[])[], options: object) => {
      const emitted: ReservoirRecord[] = [];
      from(batches.map(batchOf))
        .pipe(reservoirSample(options))
        .subscribe((record) => emitted.push(record));
      return emitted;
    };

    it('continues from it, also after encoding: the records of one run over all', () => {
      fc.assert(
        fc.property(stream, stream, capacity, seed, (first, second, k, s) => {
          const one = records([...first, ...second], { capacity: k, seed: s });
          const state = ReservoirState.create({ capacity: k, seed: s });
          const part1 = records(first, { state });
          expect(part1).toEqual(one.slice(0, first.length));
          const saved = roundTrip(state);
          expect(records(second, { state })).toEqual(one.slice(first.length));
          expect(records(second, { state: saved, capacity: k })).toEqual(one.slice(first.length));
          expect(saved.encode()).toEqual(state.encode());
        }),
        { seed: 36, numRuns: 100 },
      );
    });

    it('refuses a capacity other than the state`s', () => {
      const state = ReservoirState.create({ capacity: 5, seed: 1 });
      expect(() => reservoirSample({ state, capacity: 6 })).toThrow(StateError);
      expect(() => reservoirSample({ state, capacity: 6 })).toThrow(/capacity/);
    });
  });

  describe('merged samples are uniform (chi-square, p = 0.001)', () => {
    const n = 100;
    const k = 10;
    // Item i carries status 100 + i, so a sample's statuses say which items it kept.
    const items = Array.from({ length: n }, (_, i) => 100 + i);
    // scipy.stats.chi2.ppf(0.999, 99).
    const CRITICAL_99_DF = 148.23;

    /**
     * Each run keeps exactly k of the n items, so the inclusion counts are negatively
     * correlated: scaled by runs·p(1-p)·n/(n-1), their squared deviations sum to a
     * chi-square with n-1 degrees of freedom (see reservoir-sample.test.ts).
     */
    function chiSquare(runs: number, sampleOf: (run: number) => ReservoirRecord): number {
      const kept = new Array<number>(n).fill(0);
      for (let run = 1; run <= runs; run++) {
        const record = sampleOf(run);
        expect(record).toMatchObject({ seen: n, size: k });
        for (const { status, count } of record.sample) {
          expect(count).toBe(1);
          kept[status - 100]! += 1;
        }
      }
      return inclusionChiSquare(kept, runs, k);
    }

    // Checked locally against biased merges, which these tests fail by far (each test's
    // statistic is about 100 as it stands): drawing each slot from A by the sample sizes,
    // (|SA| - taken from A) / (|SA| + |SB| - j), instead of by what each side has seen gives
    // chi-square 4230 (split 30/70) and 34662 (split 4/96); for the W draw, keeping the first
    // input's W gives 1515, drawing W as if only the first input's events had been seen 1458,
    // and as if only k had been seen 3953 (the events added after the merge are then
    // over-sampled).
    for (const split of [30, 4]) {
      it(`when merging samples of ${split} and ${n - split} items`, () => {
        const statistic = chiSquare(2000, (run) => {
          const a = stateOver([items.slice(0, split)], k, run);
          const b = stateOver([items.slice(split)], k, 1_000_000 + run);
          return a.merge(b).record();
        });
        expect(statistic).toBeLessThan(CRITICAL_99_DF);
      });
    }

    it('when adding events after merging two full samples (the drawn W)', () => {
      const statistic = chiSquare(1000, (run) => {
        const a = stateOver([items.slice(0, 20)], k, run);
        const b = stateOver([items.slice(20, 45)], k, 1_000_000 + run);
        const merged = a.merge(b);
        merged.add(batchOf(items.slice(45, 60)));
        merged.add(batchOf(items.slice(60)));
        return merged.record();
      });
      expect(statistic).toBeLessThan(CRITICAL_99_DF);
    });
  });
});
