import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch, NO_STATUS } from '../../operators/batch.js';
import type { PendingBatch } from '../../operators/lazy-groups/batcher.js';
import { reduceEncodedBatch } from '../../operators/lazy-groups/kernel.js';
import {
  LazyGroupsState,
  type LazyGroupsStateOptions,
  lazyGroups,
} from '../../operators/lazy-groups/lazy-groups.js';
import { encodeColumn, StateError } from '../../operators/task-state.js';
import { BASE_TIME } from '../support/events.js';
import { anyCuts, cut } from '../support/split.js';

const SEED = 20_250_905;
const RUNS = 200;

/** One event as columns: the test builds batches with EventBatch.fromColumns. */
interface Row {
  readonly service: string;
  readonly time: number;
  readonly status: number;
}

const anyService = fc.constantFrom('api', 'web', 'db', '__proto__', 'constructor');
/** Statuses of every class, 000 (neither) and none at all. */
const anyStatus = fc.constantFrom(0, 100, 200, 204, 299, 301, 404, 500, 599, NO_STATUS);
const anyTime = fc.oneof(
  fc.integer({ min: -400, max: 4000 }).map((tick) => BASE_TIME + tick / 4),
  fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
);
const anyRow = fc.record({ service: anyService, time: anyTime, status: anyStatus });
const anyStream = fc.array(anyRow, { maxLength: 60 });
const anyOptions: fc.Arbitrary<LazyGroupsStateOptions> = fc.record(
  {
    batchSize: fc.integer({ min: 1, max: 12 }),
    groupEverySeconds: fc.constantFrom(0.25, 1, 7, 60),
  },
  { requiredKeys: ['batchSize'] },
);

function batchOf(rows: readonly Row[]): EventBatch {
  return EventBatch.fromColumns(
    rows.map((row) => row.service),
    Float64Array.from(rows, (row) => row.time),
    Uint16Array.from(rows, (row) => row.status),
    rows.map(() => ''),
  );
}

/** One state over `rows`, added in batches cut at `cuts`. */
function stateOver(
  options: LazyGroupsStateOptions,
  rows: readonly Row[],
  cuts: readonly number[] = [],
): LazyGroupsState {
  const state = LazyGroupsState.create(options);
  for (const piece of cut(rows, cuts)) state.add(batchOf(piece));
  return state;
}

/** A stream cut into three parts, each added in its own random batches. */
const anyThreeParts = fc
  .tuple(anyOptions, anyStream, fc.tuple(fc.nat(), fc.nat()), anyCuts, anyCuts, anyCuts)
  .map(([options, rows, partCuts, cutsA, cutsB, cutsC]) => {
    const [a, b, c] = cut(rows, partCuts) as [Row[], Row[], Row[]];
    return { options, rows, parts: [a, b, c], cuts: [cutsA, cutsB, cutsC] };
  });

const anyState = fc
  .tuple(anyOptions, anyStream, anyCuts)
  .map(([options, rows, cuts]) => stateOver(options, rows, cuts));

const roundTrip = (state: LazyGroupsState) =>
  LazyGroupsState.decode(JSON.parse(JSON.stringify(state.encode())));

/** Everything a state shows: both records and its encoding. */
const viewOf = (state: LazyGroupsState) => ({
  record: state.record(),
  finalRecords: state.finalRecords(),
  encoded: state.encode(),
});

describe('LazyGroupsState merge: split invariance', () => {
  it('gives exactly the final records of one state over all, however the input was split (property)', () => {
    fc.assert(
      fc.property(anyOptions, anyStream, anyCuts, anyCuts, (options, rows, partCuts, cuts) => {
        const whole = stateOver(options, rows, cuts);
        const merged = cut(rows, partCuts)
          .map((part, i) => stateOver(options, part, cuts.slice(i)))
          .reduce((acc, part) => acc.merge(part));
        // Every field, `batches` and `buckets` included.
        expect(merged.finalRecords()).toStrictEqual(whole.finalRecords());
        const [last] = merged.finalRecords();
        expect(last!.batches).toBe(Math.ceil(rows.length / options.batchSize!));
        // The running totals have a single run's events and batches whatever the split.
        expect(merged.record().events).toBe(whole.record().events);
        expect(merged.record().batches).toBe(Math.floor(rows.length / options.batchSize!));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("gives exactly one state's running totals whenever one state could have them (property)", () => {
    fc.assert(
      fc.property(anyOptions, anyStream, fc.nat(), anyCuts, (options, rows, at, cuts) => {
        const n = options.batchSize!;
        const [a, b] = cut(rows, [at]) as [Row[], Row[]];
        const merged = stateOver(options, a, cuts).merge(stateOver(options, b, cuts));
        const whole = stateOver(options, rows);
        const [ra, rb] = [a.length % n, b.length % n];
        if (ra === 0 || ra + rb >= n || b.length < n) {
          expect(viewOf(merged)).toStrictEqual(viewOf(whole));
        }
        // Always: one state over a's reduced events, b's, then a's partial and b's partial.
        const reordered = [
          ...a.slice(0, a.length - ra),
          ...b.slice(0, b.length - rb),
          ...a.slice(a.length - ra),
          ...b.slice(b.length - rb),
        ];
        expect(viewOf(merged)).toStrictEqual(viewOf(stateOver(options, reordered)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('cuts the batch that two partial batches fill, and reduces it into the totals', () => {
    const options = { batchSize: 3 };
    const row = (service: string, status: number): Row => ({ service, time: BASE_TIME, status });
    const a = stateOver(options, [row('api', 200), row('api', 500)]);
    const b = stateOver(options, [row('web', 200), row('db', NO_STATUS)]);
    const merged = a.merge(b);
    expect(merged.batches).toBe(1);
    expect(merged.pending).toBe(1);
    expect(merged.record()).toEqual({
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
    });
    // The partial batch holds only db's event: db is listed once it is reduced, not before.
    expect(merged.finalRecords()[0]).toMatchObject({ events: 4, batches: 2, total: 3 });
    expect(merged.finalRecords()[0]!.services.map((s) => s.service)).toEqual(['api', 'db', 'web']);
  });
});

describe('LazyGroupsState merge: algebra', () => {
  it('is associative in the final records always, and in everything when no merge fills a batch (property)', () => {
    fc.assert(
      fc.property(anyThreeParts, ({ options, parts, cuts }) => {
        const [a, b, c] = parts.map((part, i) => stateOver(options, part, cuts[i]));
        const left = a!.merge(b!).merge(c!);
        const right = a!.merge(b!.merge(c!));
        expect(left.finalRecords()).toStrictEqual(right.finalRecords());
        const n = options.batchSize!;
        const [ra, rb, rc] = parts.map((part) => part.length % n) as [number, number, number];
        // Otherwise the two groupings cut different events into the batch the merge fills.
        if (ra === 0 || rb + rc < n) expect(viewOf(left)).toStrictEqual(viewOf(right));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('has the empty state as identity on both sides (property)', () => {
    fc.assert(
      fc.property(anyOptions, anyStream, anyCuts, (options, rows, cuts) => {
        const state = stateOver(options, rows, cuts);
        const empty = LazyGroupsState.create(options);
        expect(viewOf(state.merge(empty))).toStrictEqual(viewOf(state));
        expect(viewOf(empty.merge(state))).toStrictEqual(viewOf(state));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('changes neither input, and finalRecords changes nothing', () => {
    fc.assert(
      fc.property(anyState, anyStream, (a, rows) => {
        const b = stateOver(
          { batchSize: a.batchSize, groupEverySeconds: a.groupEverySeconds },
          rows,
        );
        const [before, other] = [JSON.stringify(a.encode()), JSON.stringify(b.encode())];
        a.finalRecords();
        a.merge(b).add(batchOf(rows));
        b.merge(a).finalRecords();
        expect(JSON.stringify(a.encode())).toBe(before);
        expect(JSON.stringify(b.encode())).toBe(other);
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('refuses states of other options, naming the option', () => {
    const a = LazyGroupsState.create({ batchSize: 10 });
    expect(() => a.merge(LazyGroupsState.create({ batchSize: 11 }))).toThrow(StateError);
    expect(() => a.merge(LazyGroupsState.create({ batchSize: 11 }))).toThrow(
      'lazy-groups states differ in batchSize: 10 and 11',
    );
    expect(() => a.merge(LazyGroupsState.create({ batchSize: 10, groupEverySeconds: 60 }))).toThrow(
      'lazy-groups states differ in groupEverySeconds: null and 60',
    );
  });
});

describe('LazyGroupsState: cut and absorb (how the operator drives it)', () => {
  it('cut then absorb in order is add, with the batches in flight counted', () => {
    fc.assert(
      fc.property(anyOptions, anyStream, anyCuts, (options, rows, cuts) => {
        const driven = LazyGroupsState.create(options);
        for (const piece of cut(rows, cuts)) {
          const batches = driven.cut(batchOf(piece));
          expect(driven.reducing).toBe(batches.length);
          if (batches.length > 0) expect(() => driven.encode()).toThrow(/still being reduced/);
          for (const { encoded, dictionary } of batches) {
            // The kernel's input: a dictionary naming exactly the services of the batch.
            expect(new Set(Array.from(encoded.serviceIds.subarray(0, encoded.length))).size).toBe(
              dictionary.length,
            );
          }
          for (const batch of batches) absorbHere(driven, batch);
          expect(driven.reducing).toBe(0);
        }
        expect(viewOf(driven)).toStrictEqual(viewOf(stateOver(options, rows, cuts)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

/** Reduces a handed-out batch in the calling thread, as the default reducer does, and absorbs it. */
function absorbHere(state: LazyGroupsState, { encoded, dictionary }: PendingBatch): void {
  state.absorb(reduceEncodedBatch(encoded), dictionary);
}

describe('LazyGroupsState encoding', () => {
  it('round-trips through JSON: same records, same encoding (property)', () => {
    fc.assert(
      fc.property(anyState, (state) => {
        expect(viewOf(roundTrip(state))).toStrictEqual(viewOf(state));
        const options = { batchSize: state.batchSize, groupEverySeconds: state.groupEverySeconds };
        expect(viewOf(LazyGroupsState.decode(state.encode(), options))).toStrictEqual(
          viewOf(state),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('decodes into a state that goes on, partial batch included (property)', () => {
    fc.assert(
      fc.property(anyOptions, anyStream, fc.nat(), (options, rows, at) => {
        const [a, b] = cut(rows, [at]) as [Row[], Row[]];
        const resumed = roundTrip(stateOver(options, a));
        resumed.add(batchOf(b));
        expect(viewOf(resumed)).toStrictEqual(viewOf(stateOver(options, rows)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('is versioned JSON with the options that shape it', () => {
    const encoded = LazyGroupsState.create({ batchSize: 3, groupEverySeconds: 60 }).encode();
    expect(encoded).toMatchObject({
      task: 'lazy-groups',
      version: 2,
      options: { batchSize: 3, groupEverySeconds: 60, maxServices: 10_000 },
      state: { batches: 0, pendingServices: [], bucketServices: [] },
    });
    expect(LazyGroupsState.create().encode().options).toEqual({
      batchSize: 50_000,
      groupEverySeconds: null,
      maxServices: 10_000,
    });
  });

  const saved = () =>
    stateOver({ batchSize: 2, groupEverySeconds: 60 }, [
      { service: 'api', time: BASE_TIME, status: 200 },
      { service: 'db', time: BASE_TIME + 61, status: NO_STATUS },
      { service: 'api', time: BASE_TIME + 5, status: 500 },
    ]).encode();
  const withState = (fields: object) => {
    const encoded = saved();
    return { ...encoded, state: { ...(encoded.state as object), ...fields } };
  };
  const withOptions = (options: object) => ({
    ...saved(),
    options: { ...saved().options, ...options },
  });

  it.each([
    [
      'another version',
      () => ({ ...saved(), version: 1 }),
      /format version 1, this build reads version 2/,
    ],
    ['another task', () => ({ ...saved(), task: 'bloom' }), /holds the state of "bloom"/],
    ['not an object', () => 'lazy-groups', /not a JSON object/],
    ['null', () => null, /not a JSON object/],
    ['no fields', () => ({ ...saved(), state: undefined }), /fields missing/],
    [
      'a batch size out of range',
      () => withOptions({ batchSize: 0 }),
      /batchSize 0 is out of range/,
    ],
    ['no batch size', () => withOptions({ batchSize: undefined }), /batchSize missing/],
    [
      'a bucket width out of range',
      () => withOptions({ groupEverySeconds: -1 }),
      /groupEverySeconds -1/,
    ],
    ['no counts', () => withState({ counts: undefined }), /counts missing/],
    ['corrupt counts', () => withState({ counts: { services: 3 } }), /services is not a list/],
    ['corrupt base64', () => withState({ pendingTimes: '***' }), /pendingTimes is not base64/],
    [
      'a partial double',
      () => withState({ pendingTimes: btoa('abc') }),
      /pendingTimes has a partial value/,
    ],
    [
      'pending columns of different lengths',
      () => withState({ pendingStatuses: encodeColumn(new Uint16Array(0)) }),
      /pending columns differ in length/,
    ],
    [
      'a pending service without a name',
      () => withState({ pendingServices: [] }),
      /pending service id 0 has no name/,
    ],
    [
      'a pending time that is not a number',
      () => withState({ pendingTimes: encodeColumn(Float64Array.of(Number.NaN)) }),
      /pending time NaN/,
    ],
    [
      'a full batch left pending',
      () =>
        withState({
          pendingServices: ['api'],
          pendingServiceIds: encodeColumn(Uint32Array.of(0, 0)),
          pendingStatuses: encodeColumn(Uint16Array.of(200, 200)),
          pendingTimes: encodeColumn(Float64Array.of(1, 2)),
        }),
      /2 pending events, a batch holds 2/,
    ],
    [
      'batches that cannot hold the events',
      () => withState({ batches: 0 }),
      /0 batches cannot hold 2 events/,
    ],
    ['a fractional batch count', () => withState({ batches: 1.5 }), /1.5 batches/],
    ['no batch count', () => withState({ batches: undefined }), /batches is missing/],
    [
      'bucket columns of different lengths',
      () => withState({ bucketIndexes: encodeColumn(new Float64Array(0)) }),
      /bucket columns differ in length/,
    ],
    [
      'a bucket service without a name',
      () => withState({ bucketServices: [] }),
      /bucket service 0 has no name/,
    ],
    [
      'a bucket index that is not an integer',
      () => withState({ bucketIndexes: encodeColumn(Float64Array.of(0.5, 1)) }),
      /bucket index 0.5/,
    ],
    [
      'bucket successes above the total',
      () => withState({ bucketSuccesses: encodeColumn(Float64Array.of(5, 0)) }),
      /bucket counts 5 of 1/,
    ],
    [
      'a bucket twice',
      () =>
        withState({
          bucketServiceIds: encodeColumn(Uint32Array.of(0, 0)),
          bucketIndexes: encodeColumn(Float64Array.of(1, 1)),
        }),
      /appears twice/,
    ],
  ])('refuses %s with a StateError', (_name, make, message) => {
    const attempt = () => LazyGroupsState.decode(make());
    expect(attempt).toThrow(StateError);
    expect(attempt).toThrow(message);
  });

  it('refuses buckets in a state without groupEverySeconds', () => {
    const buckets = saved().state as object;
    const plain = LazyGroupsState.create({ batchSize: 2 }).encode();
    expect(() =>
      LazyGroupsState.decode({ ...plain, state: { ...(plain.state as object), ...pick(buckets) } }),
    ).toThrow(/buckets without groupEverySeconds/);
  });

  it('refuses other options when told which to expect, naming the option', () => {
    expect(() => LazyGroupsState.decode(saved(), { batchSize: 3, groupEverySeconds: 60 })).toThrow(
      'lazy-groups states differ in batchSize: 2 and 3',
    );
    expect(() => LazyGroupsState.decode(saved(), { batchSize: 2 })).toThrow(
      'lazy-groups states differ in groupEverySeconds: 60 and null',
    );
    expect(
      LazyGroupsState.decode(saved(), { batchSize: 2, groupEverySeconds: 60 }).record(),
    ).toMatchObject({ events: 2, batches: 1 });
  });

  it('refuses any corrupted field with a StateError, never another error (property)', () => {
    const anyJson = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(undefined, '', '////', 'AAAA', 'AAAAAAAAAAA=', -1, 2 ** 53, [], {}),
    );
    const fields = Object.keys(saved().state as object);
    fc.assert(
      fc.property(fc.constantFrom(...fields), anyJson, (field, value) => {
        try {
          LazyGroupsState.decode(withState({ [field]: value }));
        } catch (error) {
          expect(error).toBeInstanceOf(StateError);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

function pick(state: object): object {
  const { bucketServices, bucketServiceIds, bucketIndexes, bucketSuccesses, bucketTotals } =
    state as Record<string, unknown>;
  return { bucketServices, bucketServiceIds, bucketIndexes, bucketSuccesses, bucketTotals };
}

describe('lazyGroups with a state', () => {
  const records = (input: EventBatch[], options: Parameters<typeof lazyGroups>[0]) =>
    lastValueFrom(from(input).pipe(lazyGroups(options), toArray()));

  it('continues from it: the records of one run over all, the state left as saved (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyOptions,
        anyStream,
        anyCuts,
        fc.nat(),
        async (options, rows, cuts, at) => {
          const batches = cut(rows, cuts).map(batchOf);
          const split = at % (batches.length + 1);
          const oneRun = await records(batches, options);
          const state = LazyGroupsState.create(options);
          const first = await records(batches.slice(0, split), { state });
          // At its end the operator emits the final totals without changing the state, so
          // the state is still the one SPEC saves: after the last batch, before the flush.
          expect(first.at(-1)).toStrictEqual(state.finalRecords()[0]);
          const saved = roundTrip(state);
          const second = await records(batches.slice(split), { state: saved });
          expect([...first.slice(0, -1), ...second]).toStrictEqual(oneRun);
          expect(viewOf(saved)).toStrictEqual(viewOf(stateOver(options, rows, cuts)));
          expect(saved.reducing).toBe(0);
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  it("takes the state's options, and refuses others", () => {
    const state = LazyGroupsState.create({ batchSize: 2, groupEverySeconds: 60 });
    expect(() => lazyGroups({ state, batchSize: 3 })).toThrow(StateError);
    expect(() => lazyGroups({ state, batchSize: 3 })).toThrow(/batchSize is 3, the state's is 2/);
    expect(() => lazyGroups({ state, groupEverySeconds: 1 })).toThrow(/groupEverySeconds/);
    expect(() => lazyGroups({ state, batchSize: 2, groupEverySeconds: 60 })).not.toThrow();
  });

  it('adds to that very value as batches complete', () => {
    const state = LazyGroupsState.create({ batchSize: 2 });
    const seen: number[] = [];
    from([
      batchOf([
        { service: 'api', time: BASE_TIME, status: 200 },
        { service: 'api', time: BASE_TIME, status: 200 },
        { service: 'web', time: BASE_TIME, status: 404 },
      ]),
    ])
      .pipe(lazyGroups({ state }))
      .subscribe((record) => seen.push(record.events, state.record().events));
    expect(seen).toEqual([2, 2, 3, 2]);
    expect(state.pending).toBe(1);
  });
});
