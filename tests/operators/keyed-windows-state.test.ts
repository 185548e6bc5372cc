import fc from 'fast-check';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch, NO_STATUS } from '../../operators/batch.js';
import { FailureRateBaseline } from '../../operators/ewma.js';
import {
  type KeyedWindowsOptions,
  KeyedWindowsState,
  keyedWindows,
} from '../../operators/keyed-windows.js';
import type { KeyedWindowRecord, LateEvent } from '../../operators/records.js';
import {
  columnField,
  type EncodedState,
  encodeColumn,
  StateError,
} from '../../operators/task-state.js';
import { BASE_TIME } from '../support/events.js';
import { expectIdentity } from '../support/state-laws.js';

interface Ev {
  readonly service: string;
  /** Seconds after BASE_TIME. */
  readonly offset: number;
  readonly status: number | null;
}

type Batches = readonly (readonly Ev[])[];

function batchOf(events: readonly Ev[]): EventBatch {
  return EventBatch.fromColumns(
    events.map((e) => e.service),
    Float64Array.from(events, (e) => BASE_TIME + e.offset),
    Uint16Array.from(events, (e) => e.status ?? NO_STATUS),
    events.map((e) => (e.status === null ? 'no code' : `HTTP Status Code: ${e.status}`)),
  );
}

/**
 * The records emitted while adding `batches` to `state`, in order; with `idle[j]`, an idle
 * flush follows batch j.
 */
function addAll(
  state: KeyedWindowsState,
  batches: Batches,
  idle: readonly boolean[] = [],
): KeyedWindowRecord[] {
  return batches.flatMap((batch, j) => [
    ...state.add(batchOf(batch)),
    ...(idle[j] === true ? state.flushIdle() : []),
  ]);
}

/** Emissions plus final records of one state over the whole stream. */
function singleRun(options: KeyedWindowsOptions, batches: Batches) {
  const state = KeyedWindowsState.create(options);
  const records = [...addAll(state, batches), ...state.finalRecords()];
  return { state, records };
}

function stateOver(
  options: KeyedWindowsOptions,
  batches: Batches,
  idle: readonly boolean[] = [],
): KeyedWindowsState {
  const state = KeyedWindowsState.create(options);
  addAll(state, batches, idle);
  return state;
}

const byKey = (a: KeyedWindowRecord, b: KeyedWindowRecord) =>
  (a.service < b.service ? -1 : a.service > b.service ? 1 : 0) || a.windowStart - b.windowStart;

const sorted = (records: readonly KeyedWindowRecord[]) => [...records].sort(byKey);

/** total, successes and failures summed per (service, windowStart). */
function sums(records: readonly KeyedWindowRecord[]) {
  const found = new Map<string, [number, number, number]>();
  for (const r of records) {
    const key = JSON.stringify([r.service, r.windowStart]);
    const sum = found.get(key) ?? [0, 0, 0];
    found.set(key, [sum[0] + r.total, sum[1] + r.successes, sum[2] + r.failures]);
  }
  return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Late count per service, read from the encoding (where the state keeps it). */
function lateByService(state: KeyedWindowsState): Map<string, number> {
  const fields = state.encode().state as { names: string[] };
  const late = columnField('keyed-windows', fields, 'late', Float64Array);
  return new Map(fields.names.map((name, id) => [name, late[id]!]));
}

const services = fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor');
const status = fc.constantFrom(200, 204, 302, 404, 429, 500, 503, 0, null);
const event = fc.record({
  service: services,
  offset: fc.integer({ min: 0, max: 600 }).map((half) => half / 2),
  status,
});
const rawBatches = fc.array(fc.array(event, { maxLength: 8 }), { maxLength: 12 });
// Few services over a minute: windows that span a split point hold events of both parts.
const denseBatches = fc.array(
  fc.array(
    fc.record({
      service: fc.constantFrom('a', '__proto__'),
      offset: fc.integer({ min: 0, max: 120 }).map((half) => half / 2),
      status,
    }),
    { maxLength: 8 },
  ),
  { maxLength: 12 },
);

const options: fc.Arbitrary<KeyedWindowsOptions> = fc
  .integer({ min: 1, max: 20 })
  .chain((windowSeconds) =>
    fc.record({
      windowSeconds: fc.constant(windowSeconds),
      slideSeconds: fc.integer({ min: 1, max: windowSeconds }),
      watermarkSeconds: fc.integer({ min: 0, max: 40 }),
      minHistory: fc.integer({ min: 1, max: 3 }),
      ewmaAlpha: fc.constantFrom(0.1, 0.3, 1),
      minDeviation: fc.constantFrom(0.01, 0.03),
      anomalyThreshold: fc.constantFrom(1, 3),
    }),
  );

/**
 * Options with an allowed lateness (0 included), for the laws that hold whatever it is:
 * states then hold kept windows, emitted or grown.
 */
const latenessOptions: fc.Arbitrary<KeyedWindowsOptions> = fc
  .tuple(options, fc.constantFrom(0, 3, 17, 40, 120))
  .map(([opts, allowedLatenessSeconds]) => ({ ...opts, allowedLatenessSeconds }));
const idleFlushes = fc.array(fc.boolean(), { maxLength: 12 });

/** The same events in timestamp order, cut into batches of the same sizes. */
function inTimeOrder(batches: Batches): Ev[][] {
  const events = batches.flat().sort((a, b) => a.offset - b.offset);
  let next = 0;
  return batches.map((batch) => {
    next += batch.length;
    return events.slice(next - batch.length, next);
  });
}

const SEED = 20_250_609;

describe('KeyedWindowsState split invariance', () => {
  it('parts with disjoint services give exactly the records of one run, scores included', () => {
    fc.assert(
      fc.property(
        options,
        rawBatches,
        fc.subarray(['a', 'b', 'c', '__proto__', 'constructor']),
        (opts, raw, chosen) => {
          const batches = inTimeOrder(raw);
          const inA = new Set<string>(chosen);
          const partA = batches.map((b) => b.filter((e) => inA.has(e.service)));
          const partB = batches.map((b) => b.filter((e) => !inA.has(e.service)));
          const a = KeyedWindowsState.create(opts);
          const b = KeyedWindowsState.create(opts);
          const emitted = [...addAll(a, partA), ...addAll(b, partB)];
          const merged = a.merge(b);
          const all = [...emitted, ...merged.finalRecords()];
          expect(sorted(all)).toEqual(sorted(singleRun(opts, batches).records));
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('with an allowed lateness, parts with disjoint services give the records of one run up to scores', () => {
    const withoutScores = (records: KeyedWindowRecord[]) =>
      sorted(records).map((r) => ({ ...r, score: null, anomaly: false }));
    fc.assert(
      fc.property(
        latenessOptions,
        rawBatches,
        fc.subarray(['a', 'b', 'c', '__proto__', 'constructor']),
        (opts, raw, chosen) => {
          // In time order no event is late or updates a window, in the parts or in one run.
          const batches = inTimeOrder(raw);
          const inA = new Set<string>(chosen);
          const a = KeyedWindowsState.create(opts);
          const b = KeyedWindowsState.create(opts);
          const emitted = [
            ...addAll(
              a,
              batches.map((batch) => batch.filter((e) => inA.has(e.service))),
            ),
            ...addAll(
              b,
              batches.map((batch) => batch.filter((e) => !inA.has(e.service))),
            ),
          ];
          const all = [...emitted, ...a.merge(b).finalRecords()];
          const single = singleRun(opts, batches).records;
          expect(single.every((r) => !r.update && r.late === 0)).toBe(true);
          expect(withoutScores(all)).toEqual(withoutScores(single));
        },
      ),
      { seed: SEED + 8, numRuns: 200 },
    );
  });

  it('parts split at a point in time add up per window, and late counts are the single run’s', () => {
    fc.assert(
      fc.property(options, fc.oneof(rawBatches, denseBatches), fc.nat(), (opts, raw, at) => {
        const batches = inTimeOrder(raw);
        const cut = at % (batches.flat().length + 1);
        const partA: Ev[][] = [];
        const partB: Ev[][] = [];
        let seen = 0;
        for (const batch of batches) {
          const before = batch.slice(0, Math.max(0, cut - seen));
          const after = batch.slice(before.length);
          seen += batch.length;
          if (before.length > 0) partA.push(before);
          if (after.length > 0) partB.push(after);
        }
        const a = KeyedWindowsState.create(opts);
        const b = KeyedWindowsState.create(opts);
        const emitted = [...addAll(a, partA), ...addAll(b, partB)];
        const merged = a.merge(b);
        const all = [...emitted, ...merged.finalRecords()];
        const single = singleRun(opts, batches);
        expect(sums(all)).toEqual(sums(single.records));
        expect(lateByService(merged)).toEqual(lateByService(single.state));
      }),
      { seed: SEED + 1, numRuns: 200 },
    );
  });

  it('parts in any order: window totals plus late counts add up to every event (tumbling)', () => {
    const withStatus = fc.record({
      service: services,
      offset: fc.integer({ min: 0, max: 600 }).map((half) => half / 2),
      status: fc.constantFrom(200, 404, 500, 302),
      toA: fc.boolean(),
    });
    fc.assert(
      fc.property(
        options,
        fc.array(fc.array(withStatus, { maxLength: 8 }), { maxLength: 12 }),
        (opts, raw) => {
          const tumbling = { ...opts, slideSeconds: opts.windowSeconds };
          const partA = raw.map((b) => b.filter((e) => e.toA));
          const partB = raw.map((b) => b.filter((e) => !e.toA));
          const a = KeyedWindowsState.create(tumbling);
          const b = KeyedWindowsState.create(tumbling);
          const emitted = [...addAll(a, partA), ...addAll(b, partB)];
          const merged = a.merge(b);
          const counted = new Map<string, number>();
          for (const r of [...emitted, ...merged.finalRecords()]) {
            counted.set(r.service, (counted.get(r.service) ?? 0) + r.total);
          }
          for (const [service, late] of lateByService(merged)) {
            counted.set(service, (counted.get(service) ?? 0) + late);
          }
          const expected = new Map<string, number>();
          for (const e of raw.flat()) expected.set(e.service, (expected.get(e.service) ?? 0) + 1);
          expect(new Map([...counted].filter(([, n]) => n > 0))).toEqual(expected);
        },
      ),
      { seed: SEED + 2, numRuns: 200 },
    );
  });

  it('keeps windows the merged watermark passed until the next add or the final records', () => {
    const opts = { windowSeconds: 10, watermarkSeconds: 30 };
    const a = stateOver(opts, [[{ service: 'api', offset: 1, status: 500 }]]);
    const b = stateOver(opts, [[{ service: 'api', offset: 100, status: 200 }]]);
    const merged = a.merge(b); // watermark 70: [0, 10) is due but not yet emitted
    expect(merged.finalRecords().map((r) => r.windowStart - BASE_TIME)).toEqual([0, 100]);
    const emitted = merged.add(batchOf([{ service: 'api', offset: 5, status: 200 }]));
    expect(emitted).toEqual([
      {
        task: 'keyed-windows',
        service: 'api',
        windowStart: BASE_TIME,
        windowEnd: BASE_TIME + 10,
        events: 1,
        total: 1,
        successes: 0,
        failures: 1,
        rate: 0,
        late: 1, // the event at 5 came after the watermark passed its window
        anomaly: false,
        score: null,
        update: false,
      },
    ]);
    expect(merged.finalRecords().map((r) => r.windowStart - BASE_TIME)).toEqual([100]);
  });
});

/** Encodings equal, the pooled baselines' means and variances up to rounding. */
function expectSameEncoding(actual: EncodedState, expected: EncodedState): void {
  const floats = ['mean', 'variance'] as const;
  const rest = (encoded: EncodedState) => {
    const { mean: _m, variance: _v, ...others } = encoded.state as Record<string, unknown>;
    return { ...encoded, state: others };
  };
  expect(rest(actual)).toEqual(rest(expected));
  for (const name of floats) {
    const a = columnField('keyed-windows', actual.state as object, name, Float64Array);
    const e = columnField('keyed-windows', expected.state as object, name, Float64Array);
    expect(a.length).toBe(e.length);
    a.forEach((value, i) => {
      expect(value).toBeCloseTo(e[i]!, 12);
    });
  }
}

function expectSameRecords(actual: KeyedWindowRecord[], expected: KeyedWindowRecord[]): void {
  expect(actual.map((r) => ({ ...r, score: null }))).toEqual(
    expected.map((r) => ({ ...r, score: null })),
  );
  actual.forEach((r, i) => {
    const score = expected[i]!.score;
    if (score === null) expect(r.score).toBeNull();
    else expect(r.score).toBeCloseTo(score, 9);
  });
}

describe('KeyedWindowsState merge', () => {
  it('is associative', () => {
    fc.assert(
      fc.property(
        latenessOptions,
        rawBatches,
        rawBatches,
        rawBatches,
        idleFlushes,
        (opts, x, y, z, idle) => {
          const [a, b, c] = [x, y, z].map((batches) => stateOver(opts, batches, idle)) as [
            KeyedWindowsState,
            KeyedWindowsState,
            KeyedWindowsState,
          ];
          const left = a.merge(b).merge(c);
          const right = a.merge(b.merge(c));
          expectSameEncoding(left.encode(), right.encode());
          expectSameRecords(left.finalRecords(), right.finalRecords());
        },
      ),
      { seed: SEED + 3, numRuns: 150 },
    );
  });

  it('has the empty state as identity on both sides, and changes neither input', () => {
    fc.assert(
      fc.property(latenessOptions, rawBatches, rawBatches, idleFlushes, (opts, x, y, idle) => {
        const s = stateOver(opts, x, idle);
        const other = stateOver(opts, y);
        const encoded = s.encode();
        const otherEncoded = other.encode();
        const empty = KeyedWindowsState.create(opts);
        expect(s.merge(empty).encode()).toEqual(encoded);
        expect(empty.merge(s).encode()).toEqual(encoded);
        expect(empty.merge(s).finalRecords()).toEqual(s.finalRecords());
        expectIdentity(s, empty);
        s.merge(other);
        expect(s.encode()).toEqual(encoded);
        expect(other.encode()).toEqual(otherEncoded);
      }),
      { seed: SEED + 4, numRuns: 150 },
    );
  });

  it('holds the sum of both parts’ held counts and late counts, whatever the lateness', () => {
    /** windowEvents by (service, window index), from the encoding. */
    const held = (state: KeyedWindowsState) => {
      const fields = state.encode().state as { names: string[] };
      const column = (name: string) => columnField('keyed-windows', fields, name, Float64Array);
      const services = columnField('keyed-windows', fields, 'windowService', Uint32Array);
      const [indexes, events] = [column('windowIndex'), column('windowEvents')];
      const found = new Map<string, number>();
      indexes.forEach((index, w) => {
        found.set(JSON.stringify([fields.names[services[w]!], index]), events[w]!);
      });
      return found;
    };
    fc.assert(
      fc.property(latenessOptions, rawBatches, rawBatches, idleFlushes, (opts, x, y, idle) => {
        const a = stateOver(opts, x, idle);
        const b = stateOver(opts, y);
        const sum = held(a);
        for (const [key, events] of held(b)) sum.set(key, (sum.get(key) ?? 0) + events);
        const merged = a.merge(b);
        expect(held(merged)).toEqual(sum);
        const late = lateByService(a);
        for (const [service, n] of lateByService(b))
          late.set(service, (late.get(service) ?? 0) + n);
        expect(lateByService(merged)).toEqual(late);
      }),
      { seed: SEED + 9, numRuns: 150 },
    );
  });

  it('pools the baselines of a service on both sides, keeps those of one side exactly', () => {
    const opts = { windowSeconds: 10, watermarkSeconds: 0, minHistory: 1 };
    // Windows of 10 events from window `first` on, `failures[w]` of them failing.
    const windows = (service: string, first: number, failures: number[]) =>
      failures.map((f, w) =>
        Array.from({ length: 10 }, (_, i) => ({
          service,
          offset: (first + w) * 10 + i,
          status: i < f ? 500 : 200,
        })),
      );
    const closer = (service: string) => [{ service, offset: 100, status: 200 }];
    const a = stateOver(opts, [...windows('api', 0, [1, 3]), closer('x')]);
    const b = stateOver(opts, [
      ...windows('api', 0, [5, 5, 5]),
      ...windows('web', 3, [2]),
      closer('z'),
    ]);
    const fields = (state: KeyedWindowsState) => {
      const s = state.encode().state as { names: string[] };
      const column = (name: string) => columnField('keyed-windows', s, name, Float64Array);
      const [learned, mean, variance] = ['learned', 'mean', 'variance'].map(column) as [
        Float64Array,
        Float64Array,
        Float64Array,
      ];
      return new Map(s.names.map((name, id) => [name, [learned[id], mean[id], variance[id]]]));
    };
    const merged = fields(a.merge(b));
    // api: 2 windows at mean 0.2, variance 0.01 (Welford) and 3 at mean 0.5, variance 0.
    const [learned, mean, variance] = merged.get('api')!;
    expect(learned).toBe(5);
    expect(mean).toBeCloseTo((2 * 0.2 + 3 * 0.5) / 5, 12);
    expect(variance).toBeCloseTo((2 * (0.01 + (0.2 - 0.38) ** 2) + 3 * (0.5 - 0.38) ** 2) / 5, 12);
    expect(merged.get('web')).toEqual(fields(b).get('web'));
    expect(merged.get('x')).toEqual(fields(a).get('x'));
    // A service of both parts that learned on one side only keeps that side's exactly.
    const learnedThree = stateOver(opts, [...windows('api', 0, [1, 2, 4]), closer('x')]);
    const openOnly = stateOver(opts, [[{ service: 'api', offset: 200, status: 500 }]]);
    for (const pooled of [learnedThree.merge(openOnly), openOnly.merge(learnedThree)]) {
      expect(fields(pooled).get('api')).toEqual(fields(learnedThree).get('api'));
    }
  });

  it('refuses states of other options, naming the option', () => {
    const a = KeyedWindowsState.create({ windowSeconds: 10 });
    expect(() => a.merge(KeyedWindowsState.create({ windowSeconds: 20 }))).toThrow(StateError);
    for (const [name, value] of Object.entries({
      windowSeconds: 20,
      slideSeconds: 5,
      watermarkSeconds: 1,
      allowedLatenessSeconds: 5,
      anomalyThreshold: 2,
      minHistory: 2,
      ewmaAlpha: 0.5,
      minDeviation: 0.1,
    })) {
      const other = KeyedWindowsState.create({ windowSeconds: 10, [name]: value });
      expect(() => a.merge(other)).toThrow(new RegExp(`differ in ${name}`));
    }
  });
});

describe('KeyedWindowsState encoding', () => {
  it('round-trips, also through JSON text, and the decoded state continues like the original', () => {
    fc.assert(
      fc.property(
        latenessOptions,
        rawBatches,
        rawBatches,
        idleFlushes,
        (opts, first, more, idle) => {
          const s = stateOver(opts, first, idle);
          const encoded = s.encode();
          const final = s.finalRecords();
          expect(s.encode()).toEqual(encoded); // finalRecords changed nothing
          for (const copy of [
            KeyedWindowsState.decode(encoded),
            KeyedWindowsState.decode(JSON.parse(JSON.stringify(encoded)), opts),
          ]) {
            expect(copy.encode()).toEqual(encoded);
            expect(copy.finalRecords()).toEqual(final);
            expect(addAll(copy, more, idle)).toEqual(
              addAll(stateOver(opts, first, idle), more, idle),
            );
          }
        },
      ),
      { seed: SEED + 5, numRuns: 150 },
    );
  });

  it('writes JSON-safe values only', () => {
    const empty = KeyedWindowsState.create().encode();
    expect(JSON.parse(JSON.stringify(empty))).toEqual(empty);
    expect(empty.state).toMatchObject({ newest: null, watermark: null, names: [] });
    expect(empty.options).toEqual({
      windowSeconds: 10,
      slideSeconds: 10,
      watermarkSeconds: 30,
      allowedLatenessSeconds: 0,
      anomalyThreshold: 3,
      minHistory: 5,
      ewmaAlpha: 0.1,
      minDeviation: 0.03,
      maxServices: 10_000,
    });
  });

  const sample = () =>
    stateOver({ windowSeconds: 10, watermarkSeconds: 5, minHistory: 1 }, [
      [
        { service: 'api', offset: 1, status: 500 },
        { service: 'web', offset: 2, status: null },
      ],
      [{ service: 'api', offset: 30, status: 200 }],
      [{ service: 'api', offset: 3, status: 200 }],
    ]).encode();
  const withState = (fields: Record<string, unknown>): unknown => {
    const encoded = sample();
    return { ...encoded, state: { ...(encoded.state as object), ...fields } };
  };
  const refuses = (encoded: unknown, message: RegExp, options?: KeyedWindowsOptions) => {
    let thrown: unknown;
    try {
      KeyedWindowsState.decode(encoded, options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StateError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  };

  /** [0, 10) of api (grown once) and of web emitted and kept, [30, 40) of api open. */
  const keptOptions = {
    windowSeconds: 10,
    watermarkSeconds: 5,
    allowedLatenessSeconds: 20,
    minHistory: 1,
  };
  const kept = () =>
    stateOver(keptOptions, [
      [
        { service: 'api', offset: 1, status: 500 },
        { service: 'web', offset: 2, status: null },
      ],
      [{ service: 'api', offset: 30, status: 200 }], // watermark 25: [0, 10) emitted, kept
      [{ service: 'api', offset: 3, status: 200 }], // an update of [0, 10)
    ]);
  const withKept = (fields: Record<string, unknown>): unknown => {
    const encoded = kept().encode();
    return { ...encoded, state: { ...(encoded.state as object), ...fields } };
  };

  it('round-trips kept windows with their emitted flags, and the copy goes on alike', () => {
    const state = kept();
    const encoded = state.encode();
    const fields = encoded.state as Record<string, unknown>;
    const floats = (name: string) => [...columnField('keyed-windows', fields, name, Float64Array)];
    expect(floats('windowIndex')).toEqual([0, 0, 3].map((k) => BASE_TIME / 10 + k));
    expect(floats('windowEvents')).toEqual([2, 1, 1]);
    // api's and web's [0, 10) emitted (api's update too), [30, 40) not.
    const emitted = columnField('keyed-windows', fields, 'windowEmitted', Uint8Array);
    expect([...emitted]).toEqual([1, 1, 0]);
    expect(fields.watermark).toBe(BASE_TIME + 25);
    const copy = KeyedWindowsState.decode(JSON.parse(JSON.stringify(encoded)), keptOptions);
    expect(copy.encode()).toEqual(encoded);
    expect(copy.finalRecords()).toEqual(state.finalRecords());
    expect(copy.finalRecords().map((r) => r.windowStart - BASE_TIME)).toEqual([30]);
    const next: Ev[][] = [
      [{ service: 'web', offset: 4, status: 200 }], // an update of web's [0, 10)
      [{ service: 'api', offset: 50, status: 200 }], // watermark 45: drops [0, 10)
      [{ service: 'api', offset: 5, status: 200 }], // late
    ];
    expect(addAll(copy, next)).toEqual(addAll(state, next));
    expect(copy.encode()).toEqual(state.encode());
  });

  it('refuses other tasks, other versions and other options, naming the difference', () => {
    refuses({ ...sample(), task: 'bloom' }, /holds the state of "bloom"/);
    refuses({ ...sample(), version: 1 }, /version 1/);
    // Version 2 had no allowed lateness and no emitted flags.
    refuses({ ...sample(), version: 2 }, /format version 2, this build reads version 3/);
    refuses(kept().encode(), /differ in allowedLatenessSeconds/, {
      ...keptOptions,
      allowedLatenessSeconds: 0,
    });
    refuses(sample(), /differ in windowSeconds/, { windowSeconds: 20 });
    refuses(sample(), /differ in watermarkSeconds/, { windowSeconds: 10 });
    refuses(sample(), /differ in minHistory/, { windowSeconds: 10, watermarkSeconds: 5 });
    expect(() =>
      KeyedWindowsState.decode(sample(), { windowSeconds: 10, watermarkSeconds: 5, minHistory: 1 }),
    ).not.toThrow();
  });

  it('refuses corrupt options and fields with a StateError', () => {
    const encoded = sample();
    refuses(null, /not a JSON object/);
    refuses([], /not a JSON object/);
    refuses({ ...encoded, options: { ...encoded.options, windowSeconds: -1 } }, /windowSeconds/);
    refuses({ ...encoded, options: { ...encoded.options, minHistory: '5' } }, /minHistory/);
    refuses({ ...encoded, options: { ...encoded.options, extra: 1 } }, /unknown option "extra"/);
    const { slideSeconds: _, ...withoutSlide } = encoded.options;
    refuses({ ...encoded, options: withoutSlide }, /slideSeconds/);
    refuses(withState({ names: ['api', 'api'] }), /duplicate/);
    refuses(withState({ names: 'api' }), /names/);
    refuses(withState({ newest: 'soon' }), /newest/);
    refuses(withState({ watermark: null }), /both be null/);
    refuses(withState({ watermark: 0 }), /watermark/);
    refuses(withState({ late: '%%%' }), /late is not base64/);
    refuses(withState({ late: encodeColumn(new Float64Array(1)) }), /late has 1 values for 2/);
    refuses(withState({ late: encodeColumn(Float64Array.of(-1, 0)) }), /late holds -1/);
    refuses(withState({ learned: encodeColumn(Float64Array.of(1.5, 0)) }), /learned/);
    refuses(withState({ mean: encodeColumn(Float64Array.of(Number.NaN, 0)) }), /mean/);
    refuses(withState({ variance: encodeColumn(Float64Array.of(-1, 0)) }), /variance/);
    refuses(withState({ windowIndex: undefined }), /windowIndex missing/);
    refuses(withState({ windowIndex: encodeColumn(Float64Array.of(0.5)) }), /windowIndex/);
    refuses(withState({ windowService: encodeColumn(Uint32Array.of(7)) }), /names no service/);
    refuses(withState({ windowTotal: encodeColumn(new Float64Array(0)) }), /windowTotal has 0/);
    refuses(withState({ windowTotal: encodeColumn(Float64Array.of(5)) }), /inconsistent/);
    refuses(withState({ windowEvents: encodeColumn(Float64Array.of(0)) }), /inconsistent/);
    refuses(
      { ...encoded, options: { ...encoded.options, allowedLatenessSeconds: -1 } },
      /allowedLatenessSeconds must be a finite number >= 0/,
    );
    const { allowedLatenessSeconds: _l, ...withoutLateness } = encoded.options;
    refuses({ ...encoded, options: withoutLateness }, /allowedLatenessSeconds/);
  });

  it('refuses corrupt emitted flags and a watermark out of its bounds', () => {
    refuses(withKept({ windowEmitted: undefined }), /windowEmitted missing/);
    refuses(
      withKept({ windowEmitted: encodeColumn(Uint8Array.of(1)) }),
      /windowEmitted has 1 values for 3 windows/,
    );
    refuses(
      withKept({ windowEmitted: encodeColumn(Uint8Array.of(1, 1, 3)) }),
      /windowEmitted holds 3/,
    );
    // [30, 40) cannot have been emitted: the watermark (25) has not reached its end.
    refuses(
      withKept({ windowEmitted: encodeColumn(Uint8Array.of(1, 2, 1)) }),
      /window \d+ of service 0 is emitted before the watermark reached it/,
    );
    expect(() =>
      KeyedWindowsState.decode(withKept({ windowEmitted: encodeColumn(Uint8Array.of(2, 0, 0)) })),
    ).not.toThrow();
    // newest 30, watermarkSeconds 5: the watermark is in [25, 30] (30 after an idle flush).
    expect(() => KeyedWindowsState.decode(withKept({ watermark: BASE_TIME + 30 }))).not.toThrow();
    refuses(withKept({ watermark: BASE_TIME + 30.5 }), /watermark .* is not between newest/);
    refuses(withKept({ watermark: BASE_TIME + 24 }), /watermark .* is not between newest/);
  });

  it('refuses duplicate windows', () => {
    const two = stateOver({ windowSeconds: 10 }, [
      [
        { service: 'api', offset: 1, status: 200 },
        { service: 'api', offset: 11, status: 200 },
      ],
    ]).encode();
    const fields = two.state as Record<string, string>;
    const index = columnField('keyed-windows', fields, 'windowIndex', Float64Array);
    const same = encodeColumn(Float64Array.of(index[0]!, index[0]!));
    refuses({ ...two, state: { ...fields, windowIndex: same } }, /appears twice/);
  });

  it('refuses any hostile value with a StateError, never another error', () => {
    const fieldNames = Object.keys(sample().state as object);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc
            .record({ name: fc.constantFrom(...fieldNames), value: fc.jsonValue() })
            .map(({ name, value }) => withState({ [name]: value })),
          fc
            .record({ name: fc.constantFrom(...fieldNames), value: fc.jsonValue() })
            .map(({ name, value }) => withKept({ [name]: value })),
        ),
        (hostile) => {
          try {
            KeyedWindowsState.decode(hostile);
          } catch (error) {
            expect(error).toBeInstanceOf(StateError);
          }
        },
      ),
      { seed: SEED + 6, numRuns: 300 },
    );
  });
});

describe('keyedWindows with a state', () => {
  it('continues from the state: the records of one run over all', async () => {
    await fc.assert(
      fc.asyncProperty(latenessOptions, rawBatches, fc.nat(), async (opts, batches, at) => {
        const cut = batches.length === 0 ? 0 : at % (batches.length + 1);
        const inputs = batches.map(batchOf);
        const oneRun = await lastValueFrom(from(inputs).pipe(keyedWindows(opts), toArray()));

        // The first part through the operator, left before its completion (no flush)...
        const state = KeyedWindowsState.create(opts);
        const first: KeyedWindowRecord[] = [];
        const input = new Subject<EventBatch>();
        const subscription = input
          .pipe(keyedWindows({ ...opts, state }))
          .subscribe((r) => first.push(r));
        for (const batch of inputs.slice(0, cut)) input.next(batch);
        subscription.unsubscribe();
        // ...the rest continues from a saved copy.
        const saved = KeyedWindowsState.decode(JSON.parse(JSON.stringify(state.encode())));
        const rest = await lastValueFrom(
          from(inputs.slice(cut)).pipe(keyedWindows({ ...opts, state: saved }), toArray()),
        );
        expect([...first, ...rest]).toEqual(oneRun);
        // The completion flush left the state as it was after its last batch.
        expect(saved.encode()).toEqual(stateOver(opts, batches).encode());
      }),
      { seed: SEED + 7, numRuns: 100 },
    );
  });

  it('refuses options that are not the state’s own', () => {
    const state = KeyedWindowsState.create({ windowSeconds: 60 });
    expect(() => keyedWindows({ windowSeconds: 60, state })).not.toThrow();
    expect(() => keyedWindows({ state })).not.toThrow();
    expect(() => keyedWindows({ windowSeconds: 10, state })).toThrow(/differ in windowSeconds/);
    expect(() => keyedWindows({ windowSeconds: 60, slideSeconds: 30, state })).toThrow(StateError);
  });
});

/** A window record of `service`, times after BASE_TIME, before any score exists. */
function windowOf(
  service: string,
  start: number,
  counts: { events?: number; total: number; successes: number; failures: number },
  more: Partial<KeyedWindowRecord> = {},
): KeyedWindowRecord {
  const { total, events = total, successes, failures } = counts;
  return {
    task: 'keyed-windows',
    service,
    windowStart: BASE_TIME + start,
    windowEnd: BASE_TIME + start + 10,
    events,
    total,
    successes,
    failures,
    rate: total === 0 ? null : successes / total,
    late: 0,
    anomaly: false,
    score: null,
    update: false,
    ...more,
  };
}

const one = (service: string, offset: number, status: number | null = 200): Ev[] => [
  { service, offset, status },
];

describe('KeyedWindowsState allowed lateness and idle flush', () => {
  it('keeps an emitted window for the lateness, re-emits it on an update, then drops it', () => {
    const state = KeyedWindowsState.create({
      windowSeconds: 10,
      watermarkSeconds: 0,
      allowedLatenessSeconds: 10,
    });
    const late: LateEvent[] = [];
    const add = (events: Ev[]) => state.add(batchOf(events), (event) => late.push(event));
    const held = () =>
      columnField('keyed-windows', state.encode().state as object, 'windowIndex', Float64Array)
        .length;
    expect(add(one('api', 1, 500))).toEqual([]);
    expect(add(one('api', 12))).toEqual([
      windowOf('api', 0, { total: 1, successes: 0, failures: 1 }),
    ]);
    expect(held()).toBe(2); // [0, 10) kept: 12 < 10 + 10
    expect(add(one('api', 3))).toEqual([
      windowOf('api', 0, { total: 2, successes: 1, failures: 1 }, { update: true }),
    ]);
    // web's first event in [0, 10) is its first version, though api's is an update.
    expect(add([...one('web', 4), ...one('api', 5)])).toEqual([
      windowOf('api', 0, { total: 3, successes: 2, failures: 1 }, { update: true }),
      windowOf('web', 0, { total: 1, successes: 1, failures: 0 }),
    ]);
    // Watermark 20 drops [0, 10) (10 + 10 <= 20) and emits [10, 20).
    expect(add(one('api', 20))).toEqual([
      windowOf('api', 10, { total: 1, successes: 1, failures: 0 }),
    ]);
    expect(late).toEqual([]);
    // Past the lateness: late, to the side output, and in no window.
    const batch = batchOf(one('api', 6));
    expect(state.add(batch, (event) => late.push(event))).toEqual([]);
    expect(late).toEqual([
      {
        task: 'keyed-windows',
        reason: `window [${BASE_TIME}, ${BASE_TIME + 10}) of its service closed: watermark ${BASE_TIME + 20} reached its end plus the allowed lateness 10`,
        event: batch.eventAt(0),
      },
    ]);
    expect(held()).toBe(2); // [10, 20) kept, [20, 30) open
    expect(state.finalRecords()).toEqual([
      windowOf('api', 20, { total: 1, successes: 1, failures: 0 }, { late: 1 }),
    ]);
  });

  it('re-emits a window updated and dropped by the same batch, its final version', () => {
    const opts = { windowSeconds: 10, watermarkSeconds: 0, allowedLatenessSeconds: 5 };
    const state = stateOver(opts, [one('api', 1), one('api', 11)]); // [0, 10) kept until 15
    expect(state.add(batchOf([...one('api', 2, 503), ...one('api', 30)]))).toEqual([
      windowOf('api', 0, { total: 2, successes: 1, failures: 1 }, { update: true }),
      windowOf('api', 10, { total: 1, successes: 1, failures: 0 }),
    ]);
    expect(state.finalRecords().map((r) => r.windowStart - BASE_TIME)).toEqual([30]);
  });

  it('scores every version without learning, and learns a window when it is dropped', () => {
    const state = KeyedWindowsState.create({
      windowSeconds: 10,
      watermarkSeconds: 0,
      allowedLatenessSeconds: 10,
      minHistory: 1,
    });
    addAll(state, [one('api', 1, 500), one('api', 12)]);
    const [update] = state.add(batchOf(one('api', 3)));
    expect(update).toMatchObject({ total: 2, failures: 1, update: true, score: null });
    // [0, 10) is dropped, and learned (1 failure in 2), before [10, 20) is scored.
    const [next] = state.add(batchOf(one('api', 25)));
    const baseline = new FailureRateBaseline({
      alpha: 0.1,
      threshold: 3,
      minHistory: 1,
      minDeviation: 0.03,
    });
    baseline.learn(1, 2);
    expect(next).toMatchObject({ windowStart: BASE_TIME + 10, total: 1, update: false });
    expect(next!.score).toBeCloseTo(baseline.peek(0, 1).score!, 12);
    const fields = state.encode().state as object;
    expect([...columnField('keyed-windows', fields, 'learned', Float64Array)]).toEqual([1]);
    expect([...columnField('keyed-windows', fields, 'mean', Float64Array)]).toEqual([0.5]);
  });

  it('flushIdle moves the watermark up to the newest time, and batches never take it back', () => {
    const opts = { windowSeconds: 10, watermarkSeconds: 30 };
    const state = KeyedWindowsState.create(opts);
    expect(state.flushIdle()).toEqual([]); // nothing seen: nothing moves
    expect(state.encode().state).toMatchObject({ newest: null, watermark: null });
    expect(state.add(batchOf([...one('api', 1), ...one('api', 12)]))).toEqual([]);
    expect(state.flushIdle()).toEqual([
      windowOf('api', 0, { total: 1, successes: 1, failures: 0 }),
    ]);
    expect(state.flushIdle()).toEqual([]);
    expect(state.encode().state).toMatchObject({
      newest: BASE_TIME + 12,
      watermark: BASE_TIME + 12,
    });
    // newest - delay is -10: the watermark stays at 12, and an event at 5 is late.
    expect(state.add(batchOf([...one('api', 20), ...one('api', 5)]))).toEqual([]);
    expect(state.encode().state).toMatchObject({
      newest: BASE_TIME + 20,
      watermark: BASE_TIME + 12,
    });
    expect(lateByService(state)).toEqual(new Map([['api', 1]]));
    const copy = KeyedWindowsState.decode(JSON.parse(JSON.stringify(state.encode())), opts);
    expect(copy.encode()).toEqual(state.encode());
    const atTwenty = state.flushIdle();
    expect(atTwenty.map((r) => r.windowStart - BASE_TIME)).toEqual([10]);
    expect(copy.flushIdle()).toEqual(atTwenty);
  });
});

describe('KeyedWindowsState merge with allowed lateness', () => {
  const opts = { windowSeconds: 10, watermarkSeconds: 0, allowedLatenessSeconds: 30 };
  /** [0, 10) of api emitted (1 event, kept until 40), [10, 20) open. */
  const emittedPart = () => stateOver(opts, [one('api', 1), one('api', 15)]);

  it('re-emits, as an update of both parts’ counts, a window one part emitted and the other held', () => {
    const openPart = stateOver(opts, [one('api', 2, 500)]); // watermark 2: [0, 10) open
    const both = windowOf('api', 0, { total: 2, successes: 1, failures: 1 }, { update: true });
    const open = windowOf('api', 10, { total: 1, successes: 1, failures: 0 });
    for (const merged of [emittedPart().merge(openPart), openPart.merge(emittedPart())]) {
      expect(merged.finalRecords()).toEqual([both, open]);
      expect(merged.add(batchOf([]))).toEqual([both]);
      expect(merged.add(batchOf([]))).toEqual([]);
      expect(merged.finalRecords()).toEqual([open]);
    }
  });

  it('re-emits a window both parts emitted, with the sum, as an update', () => {
    const other = stateOver(opts, [one('api', 2, 500), one('api', 12)]);
    expect(emittedPart().merge(other).add(batchOf([]))).toEqual([
      windowOf('api', 0, { total: 2, successes: 1, failures: 1 }, { update: true }),
    ]);
  });

  it('drops without a record a kept window that the merged watermark passed by the lateness', () => {
    const far = stateOver(opts, [one('web', 100)]); // watermark 100: past 10 + 30
    const merged = emittedPart().merge(far);
    expect(merged.finalRecords().map((r) => [r.service, r.windowStart - BASE_TIME])).toEqual([
      ['api', 10],
      ['web', 100],
    ]);
    // api's [10, 20), never emitted, is emitted once and dropped; [0, 10) only dropped.
    expect(merged.add(batchOf(one('api', 3)))).toEqual([
      windowOf('api', 10, { total: 1, successes: 1, failures: 0 }, { late: 1 }),
    ]);
    const fields = merged.encode().state as object;
    expect([...columnField('keyed-windows', fields, 'windowIndex', Float64Array)]).toEqual([
      BASE_TIME / 10 + 10,
    ]);
  });
});
