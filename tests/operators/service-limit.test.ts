import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import type { LogEvent } from '../../operators/event.js';
import { KeyedWindowsState } from '../../operators/keyed-windows.js';
import type { PendingBatch } from '../../operators/lazy-groups/batcher.js';
import { reduceEncodedBatch } from '../../operators/lazy-groups/kernel.js';
import { LazyGroupsState } from '../../operators/lazy-groups/state.js';
import { RunningAverageState } from '../../operators/running-average.js';
import { checkMaxServices, OTHER_SERVICES } from '../../operators/service-limit.js';
import { SlidingWindowState } from '../../operators/sliding-window.js';
import { StringCodes } from '../../operators/string-codes.js';
import { type EncodedState, StateError } from '../../operators/task-state.js';
import { event } from '../support/events.js';
import { anyCuts, batchesOf } from '../support/split.js';

const SEED = 20_250_917;
const RUNS = 100;
const OTHER = OTHER_SERVICES;

describe('StringCodes with a limit', () => {
  it('codes the first `limit` strings apart and every later new one as the overflow', () => {
    const codes = new StringCodes(2, OTHER);
    expect([codes.code('a'), codes.code('b'), codes.code('a')]).toEqual([0, 1, 0]);
    expect(codes.full).toBe(true);
    expect(codes.overflowed).toBe(false);
    expect([codes.code('c'), codes.code('d'), codes.code('b'), codes.code('c')]).toEqual([
      2, 2, 1, 2,
    ]);
    expect(codes.values).toEqual(['a', 'b', OTHER]);
    expect(codes.find('c')).toBeUndefined();
    expect(codes.overflowed).toBe(true);
  });

  it('gives an early overflow name a slot that does not count against the limit', () => {
    const codes = new StringCodes(2, OTHER);
    expect(codes.code(OTHER)).toBe(0);
    expect(codes.code('a')).toBe(1);
    expect(codes.full).toBe(false);
    expect(codes.code('b')).toBe(2);
    expect(codes.full).toBe(true);
    expect(codes.overflowed).toBe(false);
    expect(codes.code('c')).toBe(0);
    expect(codes.overflowed).toBe(true);
    expect(codes.values).toEqual([OTHER, 'a', 'b']);
  });

  it('codes the overflow name arriving past the limit without calling it a fold', () => {
    const codes = new StringCodes(1, OTHER);
    codes.code('a');
    expect(codes.code(OTHER)).toBe(1);
    expect(codes.overflowed).toBe(false);
  });

  it('without a limit, folds nothing', () => {
    const codes = new StringCodes();
    const names = Array.from({ length: 1000 }, (_, i) => `s${i}`);
    expect(Array.from(codes.translate(names))).toEqual(names.map((_, i) => i));
    expect(codes.full).toBe(false);
    expect(codes.overflowed).toBe(false);
  });

  it('matches a model of the limit in whatever order strings arrive, within limit + 1 values (property)', () => {
    const anyText = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', OTHER);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(anyText, { maxLength: 40 }),
        (limit, texts) => {
          const codes = new StringCodes(limit, OTHER);
          const model = new Map<string, number>();
          let kept = 0;
          let folded = false;
          const modelCode = (text: string): number => {
            const known = model.get(text);
            if (known !== undefined) return known;
            if (text !== OTHER && kept >= limit) {
              folded = true;
              return modelCode(OTHER);
            }
            if (text !== OTHER) kept += 1;
            model.set(text, model.size);
            return model.size - 1;
          };
          for (const text of texts) {
            expect(codes.code(text)).toBe(modelCode(text));
            expect(codes.size).toBeLessThanOrEqual(limit + 1);
          }
          expect(codes.values).toEqual([...model.keys()]);
          expect(codes.overflowed).toBe(folded);
          expect(codes.full).toBe(kept >= limit);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

// Ten services, first seen in this (not alphabetical) order, then twice more in rotated
// orders, so the kept services have events after the bound is reached too.
const SERVICES = [
  'kappa',
  'beta',
  'zeta',
  'alpha',
  'eta',
  'delta',
  'iota',
  'gamma',
  'theta',
  'epsilon',
];
const KEPT = SERVICES.slice(0, 3);
const STATUSES = [200, 500, 404, null, 201, 503, 302];
const ROWS = [0, 1, 2].flatMap((round) =>
  SERVICES.map((_, j) => ({
    service: SERVICES[(j + 3 * round) % SERVICES.length]!,
    // Offsets 0-9: one 10 s window, nothing late, nothing evicted or closed.
    offset: j,
    status: STATUSES[(round * SERVICES.length + j) % STATUSES.length]!,
  })),
);
const STREAM: LogEvent[] = ROWS.map(({ service, offset, status }) =>
  event(service, offset, status),
);
/** Batches of 7 events: the first already holds more services than the bound. */
const BATCHES = [0, 7, 14, 21, 28].map((start) => EventBatch.of(STREAM.slice(start, start + 7)));

interface Tally {
  total: number;
  hits: number;
}

const isSuccess = (status: number) => status >= 200 && status < 300;
const isFailure = (status: number) => status >= 400 && status < 600;

/** Per service (the kept ones and OTHER), events with a status and those `hit` picks. */
function expectedTallies(hit: (status: number) => boolean): { [service: string]: Tally } {
  const tallies: { [service: string]: Tally } = {};
  for (const { service, status } of ROWS) {
    const key = KEPT.includes(service) ? service : OTHER;
    tallies[key] ??= { total: 0, hits: 0 };
    if (status === null) continue;
    tallies[key].total += 1;
    if (hit(status)) tallies[key].hits += 1;
  }
  return tallies;
}

interface BoundedState<S> {
  add(batch: EventBatch): unknown;
  merge(other: S): S;
  finalRecords(): unknown[];
  encode(): EncodedState;
  readonly overflowed: boolean;
}

interface Subject<S> {
  readonly name: string;
  create(maxServices: number): S;
  decode(encoded: unknown, maxServices?: number): S;
  /** What the records count per service besides `total`: successes or failures. */
  readonly hit: (status: number) => boolean;
  /** The final records' counts per service, and their overall total. */
  tallies(state: S): { services: { [service: string]: Tally }; total: number };
  /** The encoding's list of services, the one bounded by maxServices. */
  names(encoded: EncodedState): string[];
}

type Counted = { service: string; total: number; successes: number };
type Failed = { service: string; total: number; failures: number };

function talliesOf<R extends { service: string; total: number }>(
  records: readonly R[],
  hits: (record: R) => number,
): { [service: string]: Tally } {
  const tallies: { [service: string]: Tally } = {};
  for (const record of records) {
    tallies[record.service] ??= { total: 0, hits: 0 };
    tallies[record.service]!.total += record.total;
    tallies[record.service]!.hits += hits(record);
  }
  return tallies;
}

const fieldOf = (encoded: EncodedState, name: string) =>
  (encoded.state as { [field: string]: string[] })[name]!;

const WINDOW = 3600;

/** A state type's create and decode, with `others` for its options besides maxServices. */
function shapedBy<S, O extends object>(
  type: {
    readonly name: string;
    create(options: O & { maxServices: number }): S;
    decode(encoded: unknown, options?: O & { maxServices: number }): S;
  },
  others: O,
): Pick<Subject<S>, 'name' | 'create' | 'decode'> {
  return {
    name: type.name,
    create: (maxServices) => type.create({ ...others, maxServices }),
    decode: (encoded, maxServices) =>
      type.decode(encoded, maxServices === undefined ? undefined : { ...others, maxServices }),
  };
}

const runningAverage: Subject<RunningAverageState> = {
  ...shapedBy(RunningAverageState, {}),
  hit: isSuccess,
  tallies: (state) => {
    const record = state.record();
    return {
      services: talliesOf<Counted>(record.services, (s) => s.successes),
      total: record.total,
    };
  },
  names: (encoded) => fieldOf(encoded, 'services'),
};

const slidingWindow: Subject<SlidingWindowState> = {
  ...shapedBy(SlidingWindowState, { windowSeconds: WINDOW }),
  hit: isFailure,
  tallies: (state) => {
    const record = state.record();
    return { services: talliesOf<Failed>(record.services, (s) => s.failures), total: record.total };
  },
  names: (encoded) => fieldOf(encoded, 'names'),
};

const lazyGroups: Subject<LazyGroupsState> = {
  ...shapedBy(LazyGroupsState, { batchSize: 4 }),
  hit: isSuccess,
  tallies: (state) => {
    const [record] = state.finalRecords();
    return {
      services: talliesOf<Counted>(record!.services, (s) => s.successes),
      total: record!.total,
    };
  },
  names: (encoded) => (encoded.state as { counts: { services: string[] } }).counts.services,
};

const keyedWindows: Subject<KeyedWindowsState> = {
  ...shapedBy(KeyedWindowsState, {}),
  hit: isSuccess,
  tallies: (state) => {
    const services = talliesOf<Counted>(state.finalRecords(), (r) => r.successes);
    const total = Object.values(services).reduce((sum, { total }) => sum + total, 0);
    return { services, total };
  },
  names: (encoded) => fieldOf(encoded, 'names'),
};

function describeBound<S extends BoundedState<S>>(subject: Subject<S>): void {
  const fed = (maxServices = 3): S => {
    const state = subject.create(maxServices);
    for (const batch of BATCHES) state.add(batch);
    return state;
  };
  const roundTrip = (state: S): unknown => JSON.parse(JSON.stringify(state.encode()));

  describe(`${subject.name} with maxServices 3`, () => {
    it('keeps the first 3 services apart and counts the rest exactly as (other)', () => {
      const state = fed();
      const { services, total } = subject.tallies(state);
      expect(Object.keys(services).sort()).toEqual([OTHER, ...KEPT].sort());
      expect(services).toEqual(expectedTallies(subject.hit));
      expect(Object.values(services).reduce((sum, tally) => sum + tally.total, 0)).toBe(total);
      expect(total).toBe(ROWS.filter((row) => row.status !== null).length);
      expect(state.overflowed).toBe(true);
    });

    it('has not overflowed while the services fit', () => {
      const state = subject.create(10);
      for (const batch of BATCHES) state.add(batch);
      expect(state.overflowed).toBe(false);
      expect(Object.keys(subject.tallies(state).services)).toHaveLength(10);
    });

    it('round-trips through JSON, and the decoded state still folds new services', () => {
      const state = fed();
      const decoded = subject.decode(roundTrip(state));
      expect(decoded.finalRecords()).toEqual(state.finalRecords());
      const more = EventBatch.of([event('newcomer', 5, 500), event('beta', 6, 200)]);
      state.add(more);
      decoded.add(more);
      expect(decoded.finalRecords()).toEqual(state.finalRecords());
      expect(Object.keys(subject.tallies(decoded).services).sort()).toEqual(
        [OTHER, ...KEPT].sort(),
      );
    });

    it('refuses to merge with, or decode as, a state of another bound', () => {
      const state = fed();
      const other = subject.create(4);
      expect(() => state.merge(other)).toThrow(StateError);
      expect(() => state.merge(other)).toThrow(/maxServices/);
      expect(() => other.merge(state)).toThrow(/maxServices/);
      const encoded = roundTrip(state);
      expect(subject.decode(encoded, 3).finalRecords()).toEqual(state.finalRecords());
      expect(() => subject.decode(encoded, 4)).toThrow(StateError);
      expect(() => subject.decode(encoded, 4)).toThrow(/maxServices/);
    });

    it('refuses an encoding listing more services than the bound allows', () => {
      const encoded = roundTrip(fed()) as EncodedState;
      const names = subject.names(encoded);
      expect(names).toHaveLength(4);
      names.push('intruder');
      expect(() => subject.decode(encoded)).toThrow(StateError);
      expect(() => subject.decode(encoded)).toThrow(/lists 5 services, more than maxServices 3/);
    });
  });
}

describeBound(runningAverage);
describeBound(slidingWindow);
describeBound(lazyGroups);
describeBound(keyedWindows);

describe('RunningAverageState merge past the bound', () => {
  const anyStream = fc
    .array(
      fc.tuple(
        fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
        fc.integer({ min: 0, max: 100 }),
        fc.option(fc.constantFrom(200, 204, 404, 500), { nil: null }),
      ),
      { maxLength: 40 },
    )
    .map((rows) => rows.map(([service, offset, status]) => event(service, offset, status)));

  const stateOf = (events: readonly LogEvent[], cuts: readonly number[]) => {
    const state = RunningAverageState.create({ maxServices: 3 });
    for (const batch of batchesOf(events, cuts)) state.add(batch);
    return state;
  };

  const parts = fc
    .tuple(anyStream, fc.nat(), anyCuts, anyCuts, anyCuts)
    .map(([events, at, wholeCuts, firstCuts, secondCuts]) => {
      const split = at % (events.length + 1);
      return {
        whole: stateOf(events, wholeCuts),
        first: stateOf(events.slice(0, split), firstCuts),
        second: stateOf(events.slice(split), secondCuts),
      };
    });

  it('keeps totals, times and the services kept apart exact; every count when b did not overflow (property)', () => {
    fc.assert(
      fc.property(parts, ({ whole, first, second }) => {
        const merged = first.merge(second).record();
        const expected = whole.record();
        const { services, ...overall } = merged;
        const { services: expectedServices, ...expectedOverall } = expected;
        expect(overall).toEqual(expectedOverall);
        expect(services.map((s) => s.service)).toEqual(expectedServices.map((s) => s.service));
        if (!second.overflowed) expect(merged).toEqual(expected);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  // Past the bound a merge cannot be exact: b counted its p under (other) before it met a,
  // and bounded memory cannot take them back out. Totals stay exact (documented).
  it('keeps what the second state folded in (other), totals exact', () => {
    const a = RunningAverageState.create({ maxServices: 3 }).add(
      EventBatch.of([event('p', 0, 200)]),
    );
    const b = RunningAverageState.create({ maxServices: 3 }).add(
      EventBatch.of(['x', 'y', 'z', 'p'].map((service, i) => event(service, i + 1, 200))),
    );
    const merged = a.merge(b);
    expect(merged.record().total).toBe(5);
    expect(merged.tally('p')).toEqual({ successes: 1, total: 1 });
    expect(merged.tally(OTHER)).toEqual({ successes: 2, total: 2 });
  });
});

describe('LazyGroupsState past the bound in its partial batch', () => {
  it('says so before the partial batch is reduced, as its final records will show', () => {
    const state = LazyGroupsState.create({ batchSize: 50, maxServices: 2 });
    state.add(EventBatch.of(['a', 'b', 'c'].map((service, i) => event(service, i, 200))));
    expect(state.pending).toBe(3);
    expect(state.overflowed).toBe(true);
    const [final] = state.finalRecords();
    expect(final!.services.map((s) => s.service)).toEqual([OTHER, 'a', 'b']);
    const within = LazyGroupsState.create({ batchSize: 50, maxServices: 3 });
    within.add(EventBatch.of(['a', 'b', 'c'].map((service, i) => event(service, i, 200))));
    expect(within.overflowed).toBe(false);
  });
});

describe('LazyGroupsState.whenSettled', () => {
  it('resolves at once with nothing out, else once the last batch handed out is absorbed', async () => {
    const state = LazyGroupsState.create({ batchSize: 1 });
    await state.whenSettled();
    const [first, second] = state.cut(EventBatch.of([event('a', 0, 200), event('b', 1, 500)])) as [
      PendingBatch,
      PendingBatch,
    ];
    let settled = false;
    const waiting = state.whenSettled().then(() => {
      settled = true;
    });
    state.absorb(reduceEncodedBatch(first.encoded), first.dictionary);
    await Promise.resolve();
    expect(settled).toBe(false);
    state.absorb(reduceEncodedBatch(second.encoded), second.dictionary);
    await waiting;
    expect(state.reducing).toBe(0);
  });
});

describe('SlidingWindowState past the bound', () => {
  const window = () => SlidingWindowState.create({ windowSeconds: 10, maxServices: 2 });
  const names = (state: SlidingWindowState) => state.record().services.map((s) => s.service);

  it('forgets services that left the window in an earlier batch before folding new ones', () => {
    const state = window().add(EventBatch.of([event('a', 0, 200), event('b', 0, 500)]));
    state.add(EventBatch.of([event('a', 100, 200)])); // evicts b (and a's first event)
    expect(names(state)).toEqual(['a']);
    state.add(EventBatch.of([event('c', 101, 500)]));
    expect(names(state)).toEqual(['a', 'c']);
    expect(state.overflowed).toBe(false);
    state.add(EventBatch.of([event('d', 102, 200)]));
    expect(names(state)).toEqual([OTHER, 'a', 'c']);
    expect(state.overflowed).toBe(true);
  });
});

describe('maxServices out of range', () => {
  const creators: [string, (maxServices: number) => unknown][] = [
    ['checkMaxServices', checkMaxServices],
    ['RunningAverageState', (maxServices) => RunningAverageState.create({ maxServices })],
    ['SlidingWindowState', (maxServices) => SlidingWindowState.create({ maxServices })],
    ['LazyGroupsState', (maxServices) => LazyGroupsState.create({ maxServices })],
    ['KeyedWindowsState', (maxServices) => KeyedWindowsState.create({ maxServices })],
  ];

  it.each([0, -1, 1.5, Number.NaN])('refuses %s with RangeError', (bad) => {
    for (const [name, create] of creators) {
      expect(() => create(bad), name).toThrow(RangeError);
    }
  });

  it('accepts 1', () => {
    expect(checkMaxServices(1)).toBe(1);
    for (const [, create] of creators) expect(() => create(1)).not.toThrow();
  });
});
