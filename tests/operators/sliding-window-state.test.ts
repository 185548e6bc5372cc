import fc from 'fast-check';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch, NO_STATUS } from '../../operators/batch.js';
import type { LateEvent, SlidingWindowRecord } from '../../operators/records.js';
import { SlidingWindowState, slidingWindow } from '../../operators/sliding-window.js';
import { SlidingPanesState } from '../../operators/sliding-window-panes.js';
import { encodeColumn, StateError } from '../../operators/task-state.js';
import { BASE_TIME as base, event, testScheduler } from '../support/events.js';
import { expectAssociative, expectIdentity, expectOnlyStateErrors } from '../support/state-laws.js';

// --- Building events, and a model of what a state over them holds. ---

interface Ev {
  readonly service: string;
  readonly time: number;
  /** NO_STATUS for none. */
  readonly status: number;
}

function batchOf(events: readonly Ev[]): EventBatch {
  return EventBatch.fromColumns(
    events.map((e) => e.service),
    Float64Array.from(events, (e) => e.time),
    Uint16Array.from(events, (e) => e.status),
    events.map((e) => (e.status === NO_STATUS ? 'no code' : `HTTP Status Code: ${e.status}`)),
  );
}

function stateOver(batches: readonly (readonly Ev[])[], windowSeconds: number): SlidingWindowState {
  const state = SlidingWindowState.create({ windowSeconds });
  for (const batch of batches) state.add(batchOf(batch));
  return state;
}

/** What one state over `batches` must hold: the non-late events, the newest time, late. */
interface Model {
  readonly kept: readonly Ev[];
  readonly newest: number;
  readonly late: number;
}

function model(batches: readonly (readonly Ev[])[], windowSeconds: number): Model {
  const kept: Ev[] = [];
  let newest = -Infinity;
  let late = 0;
  for (const e of batches.flat()) {
    if (e.time < newest - windowSeconds) late += 1;
    else {
      kept.push(e);
      newest = Math.max(newest, e.time);
    }
  }
  return { kept, newest, late };
}

/** The record of a window that holds `entries` (those at or after `newest - windowSeconds`). */
function recordOf(
  entries: readonly Ev[],
  newest: number,
  late: number,
  windowSeconds: number,
): SlidingWindowRecord {
  const start = newest - windowSeconds;
  const perService = new Map<string, { failures: number; total: number }>();
  let failures = 0;
  let total = 0;
  for (const e of entries) {
    if (e.time < start) continue;
    const counts = perService.get(e.service) ?? { failures: 0, total: 0 };
    perService.set(e.service, counts);
    if (e.status === NO_STATUS) continue;
    const failure = e.status >= 400 && e.status <= 599 ? 1 : 0;
    counts.total += 1;
    counts.failures += failure;
    total += 1;
    failures += failure;
  }
  const started = newest !== -Infinity;
  return {
    task: 'sliding-window',
    windowStart: started ? start : null,
    windowEnd: started ? newest : null,
    failures,
    total,
    rate: total === 0 ? null : failures / total,
    late,
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

// --- Generators. ---

const SERVICES = ['api', 'auth', 'db', 'web', '__proto__', 'constructor'] as const;
const service = fc.constantFrom(...SERVICES);
const status = fc.constantFrom(NO_STATUS, 0, 100, 200, 204, 299, 301, 399, 400, 404, 500, 599, 600);
const windowSeconds = fc.constantFrom(0, 2.5, 10, 60);

/** Events with a flag: a batch ends after it. */
interface Cut<T> {
  readonly value: T;
  readonly cut: boolean;
}

function toBatches<T>(items: readonly Cut<T>[]): T[][] {
  const batches: T[][] = [[]];
  for (const { value, cut } of items) {
    batches[batches.length - 1]!.push(value);
    if (cut) batches.push([]);
  }
  return batches;
}

/** A stream in timestamp order (ties included), cut into random batches. */
const orderedStream = fc
  .array(
    fc.record({
      service,
      status,
      // Zero gaps give ties; quarter steps land exactly on window boundaries.
      gap: fc.oneof(
        fc.constantFrom(0, 0.25, 1, 2.5, 10),
        fc.double({ min: 0, max: 30, noNaN: true }),
      ),
      cut: fc.boolean(),
    }),
    { maxLength: 60 },
  )
  .map((items) => {
    let time = base;
    return items.map(({ service, status, gap, cut }) => {
      time += gap;
      return { value: { service, time, status }, cut };
    });
  });

/** A stream in any order: a trend plus jitter of up to a few windows either way. */
function arbitraryStream(window: number) {
  return fc
    .record({
      step: fc.constantFrom(0, 0.25, 1, 3),
      items: fc.array(
        fc.record({
          service,
          status,
          jitter: fc.oneof(
            fc.integer({ min: -6, max: 2 }).map((quarters) => quarters / 4),
            fc.double({ min: -1.5, max: 0.5, noNaN: true }),
          ),
          cut: fc.boolean(),
        }),
        { maxLength: 40 },
      ),
    })
    .map(({ step, items }) =>
      items.map(({ service, status, jitter, cut }, index) => ({
        value: { service, time: base + index * step + jitter * Math.max(window, 1), status },
        cut,
      })),
    );
}

const threeArbitraryParts = windowSeconds.chain((window) =>
  fc.record({
    window: fc.constant(window),
    parts: fc.tuple(arbitraryStream(window), arbitraryStream(window), arbitraryStream(window)),
  }),
);

const runs = { numRuns: 150 };

// --- Properties. ---

describe('SlidingWindowState (merge laws, arbitrary streams)', () => {
  it('merge is associative and commutative: equal records and equal encodings', () => {
    fc.assert(
      fc.property(threeArbitraryParts, ({ window, parts }) => {
        const [a, b, c] = parts.map((part) => stateOver(toBatches(part), window)) as [
          SlidingWindowState,
          SlidingWindowState,
          SlidingWindowState,
        ];
        expectAssociative(a, b, c);
        expect(a.merge(b).encode()).toEqual(b.merge(a).encode());
      }),
      { seed: 201, ...runs },
    );
  });

  it('the empty state is an identity on both sides, and merge changes neither input', () => {
    fc.assert(
      fc.property(threeArbitraryParts, ({ window, parts }) => {
        const s = stateOver(toBatches(parts[0]), window);
        const before = s.encode();
        const empty = SlidingWindowState.create({ windowSeconds: window });
        expectIdentity(s, empty);
        expect(s.encode()).toEqual(before);
        expect(empty.encode()).toEqual(
          SlidingWindowState.create({ windowSeconds: window }).encode(),
        );
      }),
      { seed: 202, ...runs },
    );
  });

  // What the SPEC promises beyond the exact cases: the merged window is exactly the parts'
  // window entries not older than the merged window's start, late is the sum of the parts'.
  it('holds the parts’ window entries not yet evicted by the merged window, and their late sum', () => {
    fc.assert(
      fc.property(threeArbitraryParts, ({ window, parts }) => {
        const batches = parts.map((part) => toBatches(part));
        const models = batches.map((part) => model(part, window));
        const merged = batches
          .map((part) => stateOver(part, window))
          .reduce((left, right) => left.merge(right));
        const newest = Math.max(...models.map((m) => m.newest));
        const late = models.reduce((sum, m) => sum + m.late, 0);
        // A part's non-late events at or after the merged start are in that part's window,
        // since its own window starts no later.
        const entries = models.flatMap((m) => m.kept);
        const expected = recordOf(entries, newest, late, window);
        expect(merged.record()).toEqual(expected);
        const partTotals = models.map((m) => recordOf(m.kept, newest, 0, window).total);
        expect(merged.record().total).toBe(partTotals.reduce((sum, t) => sum + t, 0));
      }),
      { seed: 203, ...runs },
    );
  });
});

describe('SlidingWindowState (SPEC: merge equals one state over the whole stream)', () => {
  it('(a) a stream in timestamp order split at any point, merged in either order', () => {
    fc.assert(
      fc.property(
        windowSeconds,
        orderedStream,
        fc.double({ min: 0, max: 1, noNaN: true }),
        (window, items, at) => {
          const split = Math.floor(at * items.length);
          const whole = stateOver(toBatches(items), window);
          const first = stateOver(toBatches(items.slice(0, split)), window);
          const second = stateOver(toBatches(items.slice(split)), window);
          const { kept, newest, late } = model(toBatches(items), window);
          expect(whole.record()).toEqual(recordOf(kept, newest, late, window));
          for (const merged of [first.merge(second), second.merge(first)]) {
            expect(merged.record()).toEqual(whole.record());
            expect(merged.finalRecords()).toEqual(whole.finalRecords());
            expect(merged.encode()).toEqual(whole.encode());
          }
        },
      ),
      { seed: 204, ...runs },
    );
  });

  it('(a) also when the parts are in any order inside, the second wholly newer than the first', () => {
    fc.assert(
      fc.property(threeArbitraryParts, ({ window, parts: [first, second] }) => {
        const newestOfFirst = Math.max(base, ...first.map((i) => i.value.time));
        const oldestOfSecond = Math.min(...second.map((i) => i.value.time));
        const shift = newestOfFirst - oldestOfSecond + (second.length % 3) * window;
        const later = second.map(({ value, cut }) => ({
          value: { ...value, time: value.time + shift },
          cut,
        }));
        fc.pre(later.every((i) => i.value.time >= newestOfFirst));
        const a = toBatches(first);
        const b = toBatches(later);
        const whole = stateOver([...a, ...b], window);
        const { kept, newest, late } = model([...a, ...b], window);
        expect(whole.record()).toEqual(recordOf(kept, newest, late, window));
        const partA = stateOver(a, window);
        const partB = stateOver(b, window);
        for (const merged of [partA.merge(partB), partB.merge(partA)]) {
          expect(merged.record()).toEqual(whole.record());
          expect(merged.encode()).toEqual(whole.encode());
        }
      }),
      { seed: 209, ...runs },
    );
  });

  it('(b) a stream in timestamp order split by service (no event is late)', () => {
    fc.assert(
      fc.property(
        windowSeconds,
        orderedStream,
        fc.subarray([...SERVICES]),
        (window, items, ours) => {
          const inA = new Set<string>(ours);
          const whole = stateOver(toBatches(items), window);
          // Each part keeps the batch cuts of its own events.
          const a = stateOver(toBatches(items.filter((i) => inA.has(i.value.service))), window);
          const b = stateOver(toBatches(items.filter((i) => !inA.has(i.value.service))), window);
          expect(whole.record().late).toBe(0);
          for (const merged of [a.merge(b), b.merge(a)]) {
            expect(merged.record()).toEqual(whole.record());
            expect(merged.finalRecords()).toEqual(whole.finalRecords());
            expect(merged.encode()).toEqual(whole.encode());
          }
        },
      ),
      { seed: 205, ...runs },
    );
  });
});

describe('SlidingWindowState (encode and decode)', () => {
  it('round-trips: same record and same encoding, also through JSON text', () => {
    fc.assert(
      fc.property(threeArbitraryParts, ({ window, parts }) => {
        const first = toBatches(parts[0]);
        const s = stateOver(first, window);
        const encoded = s.encode();
        const more = toBatches(parts[1]);
        const continued = stateOver([...first, ...more], window);
        for (const copy of [
          SlidingWindowState.decode(encoded),
          SlidingWindowState.decode(JSON.parse(JSON.stringify(encoded))),
          SlidingWindowState.decode(encoded, { windowSeconds: window }),
        ]) {
          expect(copy.record()).toEqual(s.record());
          expect(copy.encode()).toEqual(encoded);
          // A decoded state goes on like the original.
          for (const batch of more) copy.add(batchOf(batch));
          expect(copy.record()).toEqual(continued.record());
          expect(copy.encode()).toEqual(continued.encode());
        }
      }),
      { seed: 206, numRuns: 80 },
    );
  });

  it('encodes the options, newest, late and the window as columns', () => {
    const s = stateOver(
      [
        [{ service: 'api', time: 100, status: 500 }],
        [{ service: '__proto__', time: 30, status: NO_STATUS }],
      ],
      60,
    );
    s.add(batchOf([{ service: 'db', time: 101.5, status: 200 }]));
    expect(JSON.parse(JSON.stringify(s.encode()))).toEqual({
      task: 'sliding-window',
      version: 2,
      options: { windowSeconds: 60, clock: 'event', maxServices: 10_000 },
      state: {
        newest: 101.5,
        late: 1,
        times: encodeColumn(Float64Array.of(100, 101.5)),
        serviceIds: encodeColumn(Uint32Array.of(0, 1)),
        classes: encodeColumn(Uint8Array.of(2, 1)),
        names: ['api', 'db'],
      },
    });
    expect(SlidingWindowState.create().encode().state).toMatchObject({ newest: null, late: 0 });
  });

  it('decodes entries in any order', () => {
    const encoded = {
      task: 'sliding-window',
      version: 2,
      options: { windowSeconds: 10, clock: 'event', maxServices: 10_000 },
      state: {
        newest: 20,
        late: 2,
        times: encodeColumn(Float64Array.of(20, 10, 15, 12, 20)),
        serviceIds: encodeColumn(Uint32Array.of(1, 0, 1, 0, 0)),
        classes: encodeColumn(Uint8Array.of(2, 0, 1, 2, 1)),
        names: ['web', 'api'],
      },
    };
    const s = SlidingWindowState.decode(encoded);
    expect(s.record()).toEqual({
      task: 'sliding-window',
      windowStart: 10,
      windowEnd: 20,
      failures: 2,
      total: 4,
      rate: 0.5,
      late: 2,
      services: [
        { service: 'api', failures: 1, total: 2, rate: 0.5 },
        { service: 'web', failures: 1, total: 2, rate: 0.5 },
      ],
    });
    // The oldest leave first, whatever order they were decoded in.
    s.add(batchOf([{ service: 'api', time: 22.5, status: 200 }]));
    expect(s.record()).toMatchObject({ windowStart: 12.5, failures: 1, total: 4 });
    expect(s.record().services).toEqual([
      { service: 'api', failures: 1, total: 3, rate: 1 / 3 },
      { service: 'web', failures: 0, total: 1, rate: 0 },
    ]);
  });

  const valid = () =>
    stateOver(
      [
        [
          { service: 'api', time: 100, status: 500 },
          { service: 'db', time: 90, status: 200 },
        ],
      ],
      60,
    ).encode() as unknown as { state: Record<string, unknown>; options: Record<string, unknown> };
  const withState = (fields: Record<string, unknown>) => {
    const encoded = valid();
    return { ...encoded, state: { ...encoded.state, ...fields } };
  };
  const withOptions = (options: Record<string, unknown>) => ({ ...valid(), options });

  function refusal(encoded: unknown, options?: { windowSeconds?: number }) {
    try {
      SlidingWindowState.decode(encoded, options);
    } catch (error) {
      expect(error).toBeInstanceOf(StateError);
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      return message;
    }
    throw new Error('decoded');
  }

  it('refuses another task, another version and other options, naming the option', () => {
    expect(refusal({ ...valid(), task: 'running-average' })).toMatch(/running-average/);
    expect(refusal({ ...valid(), version: 1 })).toMatch(/version 1/);
    expect(refusal(valid(), { windowSeconds: 30 })).toMatch(/windowSeconds: 60 and 30/);
    // A version 2 state of the processing clock (it held arrivals) is not an event clock's.
    expect(
      refusal(withOptions({ windowSeconds: 60, clock: 'processing', maxServices: 10_000 })),
    ).toMatch(/clock is "processing", not "event"/);
    expect(refusal(withOptions({ windowSeconds: 60 }))).toMatch(/clock/);
    expect(refusal(withOptions({ windowSeconds: -1, clock: 'event' }))).toMatch(/windowSeconds/);
    expect(refusal(withOptions({ windowSeconds: '60', clock: 'event' }))).toMatch(/windowSeconds/);
    expect(refusal(withOptions({ windowSeconds: 60, clock: 'wall' }))).toMatch(/clock/);
    // Defaults apply to the options a caller expects.
    expect(() => SlidingWindowState.decode(valid(), {})).not.toThrow();
  });

  it('refuses corrupt fields with a one-line StateError', () => {
    const f64 = (...values: number[]) => encodeColumn(Float64Array.from(values));
    const u32 = (...values: number[]) => encodeColumn(Uint32Array.from(values));
    const u8 = (...values: number[]) => encodeColumn(Uint8Array.from(values));
    const cases: [unknown, RegExp][] = [
      [null, /not a JSON object/],
      [[], /not a JSON object/],
      [{ ...valid(), state: undefined }, /fields missing/],
      [withState({ newest: 'x' }), /newest/],
      [withState({ late: -1 }), /late/],
      [withState({ late: 1.5 }), /late/],
      [withState({ late: undefined }), /late/],
      [withState({ times: 42 }), /times/],
      [withState({ times: '!!not base64!!' }), /times is not base64/],
      [withState({ times: btoa('abc') }), /times has a partial value/],
      [withState({ names: ['api', 7] }), /names/],
      [withState({ names: ['api', 'api'] }), /duplicate/],
      [withState({ classes: u8(2) }), /length/],
      [withState({ serviceIds: u32(0, 2) }), /service id 2/],
      [withState({ classes: u8(2, 3) }), /class 3/],
      [withState({ times: f64(100, Number.NaN) }), /outside the window/],
      [withState({ times: f64(100, 100.5) }), /outside the window/],
      [withState({ times: f64(100, 39.5) }), /outside the window/],
      [withState({ newest: null }), /without a newest/],
      [
        withState({ newest: null, late: 1, times: f64(), serviceIds: u32(), classes: u8() }),
        /without a newest/,
      ],
    ];
    for (const [encoded, message] of cases) expect(refusal(encoded)).toMatch(message);
    expect(SlidingWindowState.decode(withState({ times: f64(100, 40) })).record().total).toBe(2);
  });

  it('never fails otherwise on hostile input: a StateError or a state', () => {
    const fields = ['newest', 'late', 'times', 'serviceIds', 'classes', 'names'];
    expectOnlyStateErrors(
      fields,
      withState,
      (encoded) => SlidingWindowState.decode(encoded).record(),
      207,
    );
  });

  it('refuses to merge states of other options, naming the option', () => {
    const thirty = SlidingWindowState.create({ windowSeconds: 30 });
    const sixty = SlidingWindowState.create({ windowSeconds: 60 });
    expect(() => thirty.merge(sixty)).toThrow(StateError);
    expect(() => thirty.merge(sixty)).toThrow(/windowSeconds: 30 and 60/);
    const processing = SlidingPanesState.create();
    expect(() => sixty.merge(processing as unknown as SlidingWindowState)).toThrow(StateError);
    expect(() => sixty.merge(processing as unknown as SlidingWindowState)).toThrow(
      /clock: "event" and "processing"/,
    );
    // Through encodings too: a saved 30 s state and a saved 60 s one.
    const a = SlidingWindowState.decode(JSON.parse(JSON.stringify(thirty.encode())));
    const b = SlidingWindowState.decode(JSON.parse(JSON.stringify(sixty.encode())));
    expect(() => a.merge(b)).toThrow(/windowSeconds/);
  });

  it('validates its options like the operator', () => {
    expect(() => SlidingWindowState.create({ windowSeconds: -1 })).toThrow(RangeError);
    expect(() => SlidingWindowState.create({ windowSeconds: Infinity })).toThrow(RangeError);
    const s = SlidingWindowState.create();
    expect([s.task, s.windowSeconds, s.clock, s.maxServices]).toEqual([
      'sliding-window',
      60,
      'event',
      10_000,
    ]);
  });
});

describe('SlidingWindowState (many services)', () => {
  it('forgets services that left the window and still counts exactly', () => {
    // 3,000 services pass through a 1 s window, some events out of order inside it, so the
    // names that left are dropped (and the entries renumbered) several times on the way.
    const window = 1;
    const batches: Ev[][] = [];
    for (let b = 0; b < 30; b++) {
      const batch: Ev[] = [];
      for (let i = 0; i < 100; i++) {
        const n = b * 100 + i;
        batch.push({ service: `s${n}`, time: base + n * 0.01, status: n % 3 === 0 ? 500 : 200 });
        if (n % 7 === 0)
          batch.push({ service: `s${n - 50}`, time: base + (n - 50) * 0.01, status: 404 });
      }
      batches.push(batch);
    }
    const state = SlidingWindowState.create({ windowSeconds: window });
    for (let b = 0; b < batches.length; b++) {
      state.add(batchOf(batches[b]!));
      const { kept, newest, late } = model(batches.slice(0, b + 1), window);
      expect(state.record()).toEqual(recordOf(kept, newest, late, window));
    }
    const encoded = state.encode();
    expect((encoded.state as { names: string[] }).names).toHaveLength(
      state.record().services.length,
    );
    expect(SlidingWindowState.decode(encoded).encode()).toEqual(encoded);
  });
});

describe('slidingWindow (with a state)', () => {
  it('continues from the state it is given and adds to it: records equal one run over all', () => {
    fc.assert(
      fc.property(
        windowSeconds.chain((window) => fc.tuple(fc.constant(window), arbitraryStream(window))),
        fc.double({ min: 0, max: 1, noNaN: true }),
        ([window, items], at) => {
          const batches = toBatches(items).map(batchOf);
          const split = Math.floor(at * batches.length);
          const all: SlidingWindowRecord[] = [];
          from(batches)
            .pipe(slidingWindow({ windowSeconds: window }))
            .subscribe((r) => all.push(r));
          const state = SlidingWindowState.create({ windowSeconds: window });
          for (const batch of batches.slice(0, split)) state.add(batch);
          // Through an encoding, as a checkpoint would.
          const resumed = SlidingWindowState.decode(JSON.parse(JSON.stringify(state.encode())));
          const rest: SlidingWindowRecord[] = [];
          from(batches.slice(split))
            .pipe(slidingWindow({ state: resumed }))
            .subscribe((r) => rest.push(r));
          expect(rest).toEqual(all.slice(split));
          expect(resumed.encode()).toEqual(stateOver(toBatches(items), window).encode());
        },
      ),
      { seed: 208, ...runs },
    );
  });

  it('takes its window and clock from the state, and refuses others', () => {
    const state = SlidingWindowState.create({ windowSeconds: 10 });
    expect(() => slidingWindow({ state, windowSeconds: 60 })).toThrow(RangeError);
    expect(() => slidingWindow({ state, clock: 'processing' })).toThrow(/clock/);
    expect(() => slidingWindow({ state, windowSeconds: 10, clock: 'event' })).not.toThrow();
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab|', { a: event('api', 0, 500), b: event('api', 10.5, 200) });
      expectObservable(source.pipe(slidingWindow({ state }))).toBe('xy|', {
        x: expect.objectContaining({ windowStart: base - 10, failures: 1, total: 1 }),
        y: expect.objectContaining({ windowStart: base + 0.5, failures: 0, total: 1 }),
      });
    });
    expect(state.record()).toMatchObject({ windowEnd: base + 10.5, total: 1 });
    expect(() => slidingWindow({ state, slideSeconds: 1 })).toThrow(/processing clock/);
    expect(() => slidingWindow({ slideSeconds: 1 })).toThrow(/processing clock/);
  });
});

describe('SlidingWindowState (late events)', () => {
  it('hands each late event to onLate once, in order, naming the start it missed (property)', () => {
    fc.assert(
      fc.property(
        windowSeconds.chain((window) => fc.tuple(fc.constant(window), arbitraryStream(window))),
        ([window, items]) => {
          const state = SlidingWindowState.create({ windowSeconds: window });
          const handed: LateEvent[] = [];
          const expected: LateEvent[] = [];
          let newest = -Infinity;
          for (const batch of toBatches(items)) {
            for (const { service, time, status } of batch) {
              if (time >= newest - window) {
                newest = Math.max(newest, time);
                continue;
              }
              const start = newest - window;
              expected.push({
                task: 'sliding-window',
                reason: `older than the window start ${start} (window [${start}, ${newest}])`,
                event: {
                  service,
                  timestamp: time,
                  message: status === NO_STATUS ? 'no code' : `HTTP Status Code: ${status}`,
                },
              });
            }
            state.add(batchOf(batch), (late) => handed.push(late));
          }
          expect(handed).toEqual(expected);
          expect(state.record().late).toBe(expected.length);
        },
      ),
      { seed: 210, ...runs },
    );
  });
});
