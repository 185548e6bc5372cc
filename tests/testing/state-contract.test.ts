import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import { BloomFilter } from '../../operators/bloom-filter.js';
import { BloomState } from '../../operators/bloom-forward.js';
import { KeyedWindowsState } from '../../operators/keyed-windows.js';
import { LazyGroupsState } from '../../operators/lazy-groups/lazy-groups.js';
import type { KeyedWindowRecord } from '../../operators/records.js';
import { ReservoirState } from '../../operators/reservoir-sample.js';
import { RunningAverageState } from '../../operators/running-average.js';
import { SlidingWindowState } from '../../operators/sliding-window.js';
import type { EncodedState } from '../../operators/task-state.js';
import {
  ContractViolation,
  checkStateContract,
  firstDifference,
  type Law,
  type StateContract,
  stateLaws,
  unordered,
} from '../../operators/testing/index.js';

/** Each law of `contract` as one test: what a third-party author writes in their own suite. */
function describeLaws<S>(contract: StateContract<S>): void {
  describe(`${contract.name} keeps the state laws`, () => {
    for (const law of stateLaws(contract)) it(law.name, () => law.check());
  });
}

// Task 1: sums and min/max, so every split merges exactly, records and encoding alike.
describeLaws({
  name: 'running-average',
  create: () => RunningAverageState.create(),
  decode: (encoded) => RunningAverageState.decode(encoded),
  splits: ['any', 'ordered', 'services'],
});

// Task 2 (SPEC): exact when one part precedes the other in time, or when the parts hold
// disjoint services and nothing is late; in any other split each part judges lateness alone.
describeLaws({
  name: 'sliding-window',
  create: () => SlidingWindowState.create({ windowSeconds: 30 }),
  decode: (encoded) => SlidingWindowState.decode(encoded),
  splits: ['ordered', 'services'],
});

// Task 3: a merge draws a new uniform sample of the union, so two merges agree on how many
// events were seen and kept, not on which; a small capacity makes samples fill and replace.
describeLaws({
  name: 'reservoir',
  create: () => ReservoirState.create({ capacity: 8, seed: 7 }),
  decode: (encoded) => ReservoirState.decode(encoded),
  project: (state) => ({ seen: state.seen, size: state.size, capacity: state.capacity }),
  splits: ['any', 'ordered', 'services'],
});

// Task 4: counts add up however split; the batch fields are the last merged part's, so they
// are the single run's only when the parts are consecutive and merged in order; and a split
// by service cuts batches, so the batch count is not the single run's either.
const FILTER = BloomFilter.withSize(64, 2);
for (const message of ['HTTP Status Code: 500', 'cache miss']) FILTER.add(message);
describeLaws({
  name: 'bloom',
  create: () => BloomState.create({ filter: FILTER }),
  decode: (encoded) => BloomState.decode(encoded),
  splits: [
    'ordered',
    {
      kind: 'any',
      project: (state) => ({
        checked: state.checked,
        forwarded: state.forwarded,
        batches: state.batches,
      }),
    },
    {
      kind: 'services',
      project: (state) => ({ checked: state.checked, forwarded: state.forwarded }),
    },
  ],
});

// Task 5: the final totals are exact however split; the running totals are not (a merge
// fills a batch with other events than one run would), hence the projection.
describeLaws({
  name: 'lazy-groups',
  create: () => LazyGroupsState.create({ batchSize: 7, groupEverySeconds: 30 }),
  decode: (encoded) => LazyGroupsState.decode(encoded),
  project: (state) => state.finalRecords(),
  splits: ['any', 'ordered', 'services'],
});

/** The encoding without the baselines' mean and variance: pooled, so only approximately associative. */
function withoutPooledMoments(state: KeyedWindowsState): EncodedState {
  const encoded = state.encode();
  const { mean, variance, ...exact } = encoded.state as Record<string, unknown>;
  return { ...encoded, state: exact };
}

function windowRecords(state: KeyedWindowsState, emitted: readonly unknown[]): KeyedWindowRecord[] {
  return [...(emitted as KeyedWindowRecord[]), ...state.finalRecords()];
}

/** Late events per service, those with any. */
function lateOf(state: KeyedWindowsState) {
  return state.lateCounts().filter(({ late }) => late > 0);
}

/** Counts summed per (service, window) over every record. */
function windowSums(records: readonly KeyedWindowRecord[]) {
  const sums = new Map<string, number[]>();
  for (const r of records) {
    const key = JSON.stringify([r.service, r.windowStart]);
    const sum = sums.get(key) ?? [0, 0, 0, 0];
    sums.set(key, [
      sum[0]! + r.events,
      sum[1]! + r.total,
      sum[2]! + r.successes,
      sum[3]! + r.failures,
    ]);
  }
  return [...sums].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Per service: events in windows plus late events, which tumbling windows make every event. */
function eventsPerService(state: KeyedWindowsState, emitted: readonly unknown[]) {
  const counted = new Map<string, number>();
  const count = (service: string, n: number) =>
    counted.set(service, (counted.get(service) ?? 0) + n);
  for (const r of windowRecords(state, emitted)) count(r.service, r.events);
  for (const { service, late } of state.lateCounts()) count(service, late);
  return [...counted].filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1));
}

// Task 6 (SPEC, and the class's doc): emitted windows leave the state, so the splits compare
// what was emitted plus the final records; exactly, scores included, for disjoint services
// in time order; per window sums and late counts when one part precedes the other; and every
// event counted once, in a window or as late, for any split (tumbling windows).
describeLaws({
  name: 'keyed-windows',
  create: () => KeyedWindowsState.create({ windowSeconds: 10, watermarkSeconds: 5, minHistory: 2 }),
  decode: (encoded) => KeyedWindowsState.decode(encoded),
  project: withoutPooledMoments,
  splits: [
    { kind: 'services', project: (state, emitted) => unordered(windowRecords(state, emitted)) },
    {
      kind: 'ordered',
      project: (state, emitted) => ({
        windows: windowSums(windowRecords(state, emitted)),
        late: lateOf(state),
      }),
    },
    { kind: 'any', project: eventsPerService },
  ],
});

/** A third party's state type: events counted per service; every split merges exactly. */
class ServiceCounts {
  constructor(readonly counts = new Map<string, number>()) {}

  add(batch: EventBatch): this {
    for (const service of batch.services) this.bump(service, 1);
    return this;
  }

  merge(other: ServiceCounts): ServiceCounts {
    const merged = new ServiceCounts(new Map(this.counts));
    for (const [service, n] of other.counts) merged.bump(service, n);
    return merged;
  }

  encode(): { counts: [string, number][] } {
    return { counts: [...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  }

  static decode(encoded: unknown): ServiceCounts {
    return new ServiceCounts(new Map((encoded as { counts: [string, number][] }).counts));
  }

  protected bump(service: string, n: number): void {
    this.counts.set(service, (this.counts.get(service) ?? 0) + n);
  }
}

/** The bug the kit is for: a merge that counts the other state twice. */
class DoubleCounting extends ServiceCounts {
  override merge(other: ServiceCounts): DoubleCounting {
    const merged = new DoubleCounting(new Map(this.counts));
    for (let twice = 0; twice < 2; twice++) {
      for (const [service, n] of other.counts) merged.bump(service, n);
    }
    return merged;
  }
}

const counts: StateContract<ServiceCounts> = {
  name: 'service-counts',
  create: () => new ServiceCounts(),
  decode: (encoded) => ServiceCounts.decode(encoded),
  splits: ['any', 'ordered', 'services'],
};

/** The names of the laws of `contract` that fail. */
function failing<S>(contract: StateContract<S>): string[] {
  return stateLaws(contract)
    .filter((law) => {
      try {
        law.check();
        return false;
      } catch (error) {
        expect(error).toBeInstanceOf(ContractViolation);
        expect((error as ContractViolation).law).toBe(law.name);
        return true;
      }
    })
    .map((law) => law.name);
}

function lawOf<S>(contract: StateContract<S>, name: string): Law {
  const found = stateLaws(contract).find((law) => law.name === name);
  if (found === undefined) throw new Error(`no law ${name}`);
  return found;
}

/** The violation `check` throws. */
function violationOf(check: () => void): ContractViolation {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractViolation);
    return error as ContractViolation;
  }
  throw new Error('expected a ContractViolation');
}

describeLaws(counts);

const doubleCounting: StateContract<DoubleCounting> = {
  ...counts,
  name: 'double-counting',
  create: () => new DoubleCounting(),
  decode: (encoded) => new DoubleCounting(ServiceCounts.decode(encoded).counts),
};

// The status of the last event added: consecutive parts merged in order agree with one
// run, but batches dealt to parts in any order do not.
interface LastStatus {
  last: number | null;
}
const lastStatus: StateContract<LastStatus> = {
  name: 'last-status',
  create: () => ({ last: null }),
  add: (state, batch) => {
    if (batch.length > 0) state.last = batch.statuses[batch.length - 1]!;
  },
  merge: (a, b) => ({ last: b.last ?? a.last }),
  encode: (state) => ({ last: state.last }),
  decode: (encoded) => ({ ...(encoded as LastStatus) }),
  splits: ['ordered', 'any'],
};

describe('the kit rejects broken state types', () => {
  it('a merge that double counts: identity, associativity and split invariance fail', () => {
    expect(failing(doubleCounting)).toEqual([
      'identity',
      'associativity',
      'split invariance (any)',
      'split invariance (ordered)',
      'split invariance (services)',
    ]);
    const violation = violationOf(() => checkStateContract(doubleCounting));
    expect(violation.law).toBe('identity');
    expect(violation.message).toMatch(
      /^double-counting: identity fails on run \d+ \(seed \d+; \{ seed: \d+, runs: 1 \} repeats it alone\): fresh\.merge\(a\) against a: differ at \.counts\[\d+\]\[1\]: \d+ and \d+$/,
    );
    // a.merge(fresh) adds nothing twice: only the other side shows the bug.
    expect(violation.message).not.toMatch(/a\.merge\(fresh\)/);
  });

  // A merge wrong only for some inputs: two parts that sum to a multiple of 5 gain an event.
  const sometimesWrong: StateContract<{ n: number }> = {
    name: 'sometimes-wrong',
    create: () => ({ n: 0 }),
    add: (state, batch) => {
      state.n += batch.length;
    },
    merge: (a, b) => ({ n: a.n + b.n + (a.n > 0 && b.n > 0 && (a.n + b.n) % 5 === 0 ? 1 : 0) }),
    encode: (state) => ({ n: state.n }),
  };
  it.each([
    { contract: lastStatus as StateContract<unknown>, name: 'split invariance (any)' },
    { contract: sometimesWrong as StateContract<unknown>, name: 'associativity' },
  ])(
    'names a seed that repeats the failing run alone ($contract.name, $name)',
    ({ contract, name }) => {
      const alone = (seed: number): ContractViolation | undefined => {
        try {
          lawOf({ ...contract, seed, runs: 1 }, name).check();
          return undefined;
        } catch (error) {
          return error as ContractViolation;
        }
      };
      // A run that passes, then the next one that fails: the failure must be found at its
      // place in a longer series, the same as alone.
      let start = 0;
      while (alone(start) !== undefined && start < 100) start++;
      let failing = start + 1;
      while (alone(failing) === undefined && failing < 200) failing++;
      const expected = alone(failing)!;
      const runs = failing - start + 1;
      const found = violationOf(() => lawOf({ ...contract, seed: start, runs }, name).check());
      expect([found.run, found.seed, found.detail]).toEqual([runs - 1, failing, expected.detail]);
      expect(found.message).toContain(`{ seed: ${failing}, runs: 1 } repeats it alone`);
    },
  );

  it('an add that depends on order, declared order free: only split invariance (any) fails', () => {
    expect(failing(lastStatus)).toEqual(['split invariance (any)']);
    expect(violationOf(() => checkStateContract(lastStatus)).message).toMatch(
      /split invariance \(any\) fails on run \d+ .*: \d+ \w+ batches split into p0: batches \[.*\]; merged as .*, against one state over all: differ at \.last: /,
    );
  });

  it('a merge that changes an input, or shares its data with the result', () => {
    const mutating = {
      ...counts,
      name: 'mutating',
      merge: (a: ServiceCounts, b: ServiceCounts) => {
        for (const [service, n] of b.counts)
          a.counts.set(service, (a.counts.get(service) ?? 0) + n);
        return a;
      },
    };
    // Associativity cannot see it: both groupings hand back the same object, `a`.
    expect(failing(mutating)).toEqual(['merge leaves its inputs unchanged']);
    expect(
      violationOf(() => lawOf(mutating, 'merge leaves its inputs unchanged').check()).detail,
    ).toMatch(/^a after a\.merge\(b\): differ at /);
    // A shortcut that hands back an input: right until someone adds to the merged state.
    const sharing = {
      ...counts,
      name: 'sharing',
      merge: (a: ServiceCounts, b: ServiceCounts) => (b.counts.size === 0 ? a : a.merge(b)),
    };
    expect(failing(sharing)).toEqual(['merge leaves its inputs unchanged']);
    expect(violationOf(() => checkStateContract(sharing)).detail).toMatch(
      /^a after adding to a\.merge\(b\) \(shared data\): differ at /,
    );
  });

  it('a state drawing from Math.random fails seeded determinism', () => {
    // One status picked uniformly from those seen; the projection leaves the pick out, as a
    // sample's would, so only determinism can see the unseeded generator.
    interface Pick {
      seen: number;
      pick: number | null;
    }
    const unseeded: StateContract<Pick> = {
      name: 'unseeded-pick',
      create: () => ({ seen: 0, pick: null }),
      add: (state, batch) => {
        for (const status of batch.statuses) {
          state.seen += 1;
          if (Math.random() * state.seen < 1) state.pick = status;
        }
      },
      merge: (a, b) => ({ seen: a.seen + b.seen, pick: Math.random() < 0.5 ? a.pick : b.pick }),
      encode: (state) => ({ ...state }),
      project: (state) => state.seen,
      splits: ['any'],
    };
    expect(failing(unseeded)).toEqual(['seeded determinism']);
  });

  it('a decode that loses a service named like a field of Object.prototype fails the round trip', () => {
    const lossy = {
      ...counts,
      name: 'lossy-decode',
      encode: (state: ServiceCounts) => ({ counts: Object.fromEntries(state.counts) }),
      // Object.assign sets `__proto__` rather than copying it: that service is lost.
      decode: (encoded: unknown) =>
        new ServiceCounts(
          new Map(Object.entries(Object.assign({}, (encoded as { counts: object }).counts))),
        ),
    };
    expect(failing(lossy)).toEqual(['encode/decode round trip']);
    expect(violationOf(() => checkStateContract(lossy)).detail).toMatch(
      /^the decoded state, encoded again: differ at \.counts\.__proto__: missing and \d+$/,
    );
  });

  it('an encoding with an infinity (JSON writes null) is not JSON-safe', () => {
    interface Newest {
      newest: number;
    }
    const infinite: StateContract<Newest> = {
      name: 'newest',
      create: () => ({ newest: Number.NEGATIVE_INFINITY }),
      add: (state, batch) => {
        for (const time of batch.times) state.newest = Math.max(state.newest, time);
      },
      merge: (a, b) => ({ newest: Math.max(a.newest, b.newest) }),
      encode: (state) => ({ newest: state.newest }),
      splits: ['any', 'ordered', 'services'],
    };
    expect(failing(infinite)).toEqual(['JSON-safe encoding']);
    expect(violationOf(() => checkStateContract(infinite)).detail).toBe(
      'the encoding of a fresh state read back from JSON text: differ at .newest: null and -Infinity',
    );
  });

  it('a method that throws is a violation of the law that called it, with the error as cause', () => {
    const throwing = {
      ...counts,
      name: 'throwing',
      merge: (a: ServiceCounts, b: ServiceCounts) => {
        if (a.counts.size === 0) throw new RangeError('cannot merge into an empty state');
        return a.merge(b);
      },
    };
    const violation = violationOf(() => checkStateContract(throwing));
    expect(violation.law).toBe('identity');
    expect(violation.detail).toBe('threw RangeError: cannot merge into an empty state');
    expect(violation.cause).toBeInstanceOf(RangeError);
  });
});

describe('stateLaws', () => {
  it('lists the laws in order, one per declared split, the round trip only with decode', () => {
    expect(stateLaws(counts).map((law) => law.name)).toEqual([
      'identity',
      'associativity',
      'split invariance (any)',
      'split invariance (ordered)',
      'split invariance (services)',
      'seeded determinism',
      'merge leaves its inputs unchanged',
      'encode/decode round trip',
      'JSON-safe encoding',
    ]);
    const { decode, splits, ...bare } = counts;
    expect(stateLaws(bare).map((law) => law.name)).toEqual([
      'identity',
      'associativity',
      'seeded determinism',
      'merge leaves its inputs unchanged',
      'JSON-safe encoding',
    ]);
  });

  it('feeds the laws from the given generator, in the order each split needs', () => {
    const asked = new Set<string>();
    const one = (random: () => number, order: string) => {
      asked.add(order);
      const time = 1_700_000_000 + Math.floor(random() * 100);
      return [EventBatch.fromColumns(['api'], Float64Array.of(time), Uint16Array.of(200), ['ok'])];
    };
    const seen: number[] = [];
    checkStateContract({
      ...counts,
      runs: 3,
      batches: one,
      project: (state) => {
        seen.push(state.counts.get('api') ?? 0);
        return state.encode();
      },
    });
    expect([...asked].sort()).toEqual(['any', 'ordered', 'sorted']);
    // Only its one-event batches: no state counts another service, nor more events.
    expect(Math.max(...seen)).toBeLessThanOrEqual(4);
  });

  it('refuses a run count that is not an integer >= 1', () => {
    expect(() => stateLaws({ ...counts, runs: 0 })).toThrow(RangeError);
    expect(() => stateLaws({ ...counts, runs: 1.5 })).toThrow('runs must be an integer >= 1');
  });
});

describe('firstDifference', () => {
  it('is undefined for deeply equal values, typed arrays, Maps and Sets included', () => {
    const value = () => ({
      a: [1, { b: 'x' }],
      t: Float64Array.of(1.5, Number.NaN),
      m: new Map([['k', [1]]]),
      s: new Set([1, 2]),
    });
    expect(firstDifference(value(), value())).toBeUndefined();
    expect(firstDifference(Number.NaN, Number.NaN)).toBeUndefined();
  });

  it('names the first differing path and both values', () => {
    expect(firstDifference({ a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] })).toBe(
      'at .a[1].b: "x" and "y"',
    );
    expect(firstDifference({ 'odd key': 1 }, { 'odd key': 2 })).toBe('at ["odd key"]: 1 and 2');
    expect(firstDifference([1, 2], [1, 2, 3])).toBe('at the top: length 2 and 3');
    expect(firstDifference(new Map([['k', 1]]), new Map([['k', 2]]))).toBe('at .get("k"): 1 and 2');
    expect(firstDifference(new Set([1]), new Set([2]))).toBe('at the top: 1 in the first only');
    expect(firstDifference({ t: Uint8Array.of(1, 2) }, { t: Uint8Array.of(1, 3) })).toBe(
      'at .t[1]: 2 and 3',
    );
  });

  it('tells apart what JSON would blur: -0, undefined keys, other types', () => {
    expect(firstDifference(-0, 0)).toBe('at the top: -0 and 0');
    expect(firstDifference({ a: undefined }, {})).toBe('at .a: undefined and missing');
    expect(firstDifference(Uint8Array.of(1), Uint16Array.of(1))).toBe(
      'at the top: Uint8Array [1] and Uint16Array [1]',
    );
    expect(firstDifference(new Map(), {})).toBe('at the top: Map {} and {}');
    expect(firstDifference(Object.create(null), {})).toBeUndefined();
  });

  it('compares values that refer to themselves', () => {
    const a: { self?: unknown; n: number } = { n: 1 };
    const b: { self?: unknown; n: number } = { n: 1 };
    a.self = a;
    b.self = b;
    expect(firstDifference(a, b)).toBeUndefined();
    b.n = 2;
    expect(firstDifference(a, b)).toBe('at .n: 1 and 2');
  });
});

describe('unordered', () => {
  it('puts equal multisets in one order, whatever the key order of their objects', () => {
    expect(unordered([{ b: 1, a: 2 }, { a: 1 }, 3])).toEqual([3, { a: 1 }, { b: 1, a: 2 }]);
    expect(
      firstDifference(unordered([{ x: 1, y: 2 }, 'z']), unordered(['z', { y: 2, x: 1 }])),
    ).toBe(undefined);
  });
});
