import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import type { LogEvent } from '../../operators/event.js';
import type { RunningAverageRecord } from '../../operators/records.js';
import { RunningAverageState, runningAverage } from '../../operators/running-average.js';
import { SuccessCounts } from '../../operators/success-counts.js';
import { encodeColumn, StateError } from '../../operators/task-state.js';
import { stateLaws } from '../../operators/testing/index.js';
import { BASE_TIME, event } from '../support/events.js';
import { anyCuts, batchesOf, cut } from '../support/split.js';
import { expectAssociative, expectIdentity } from '../support/state-laws.js';

const SEED = 20_250_901;
const RUNS = 150;

const anyService = fc.constantFrom('api', 'db', 'auth', '__proto__', 'constructor', '\u200b');
/** Statuses of every class, 000 (neither) and none at all. */
const anyStatus = fc.option(fc.constantFrom(0, 100, 200, 204, 299, 302, 404, 500, 503), {
  nil: null,
});
const anyTime = fc.oneof(
  fc.integer({ min: -5, max: 5000 }).map((offset) => BASE_TIME + offset),
  fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0),
);
const anyEvent = fc
  .tuple(anyService, anyTime, anyStatus)
  .map(([service, time, status]): LogEvent => ({ ...event(service, 0, status), timestamp: time }));
const anyStream = fc.array(anyEvent, { maxLength: 60 });

function stateOf(batches: readonly EventBatch[]): RunningAverageState {
  const state = RunningAverageState.create();
  for (const batch of batches) state.add(batch);
  return state;
}

const anyState = fc
  .tuple(anyStream, anyCuts)
  .map(([events, cuts]) => stateOf(batchesOf(events, cuts)));

const roundTrip = (state: RunningAverageState) =>
  RunningAverageState.decode(JSON.parse(JSON.stringify(state.encode())));

describe('RunningAverageState merge', () => {
  it('is associative: equal records and equal encodings (property)', () => {
    fc.assert(
      fc.property(anyState, anyState, anyState, (a, b, c) => expectAssociative(a, b, c)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('has the empty state as identity on both sides (property)', () => {
    fc.assert(
      fc.property(anyState, (a) => expectIdentity(a, RunningAverageState.create())),
      { seed: SEED, numRuns: RUNS },
    );
  });

  // The kit's law: over many inputs, with a fresh side, and adding to the merged state and
  // to the inputs afterwards (shared data shows then).
  it('changes neither input, nor shares data with the merged state', () => {
    const contract = { name: 'running-average', create: () => RunningAverageState.create() };
    stateLaws(contract)
      .find((law) => law.name === 'merge leaves its inputs unchanged')!
      .check();
  });

  it('gives exactly the record of one run over all, under any split, merged in any order (property)', () => {
    fc.assert(
      fc.property(
        anyStream,
        anyCuts,
        anyCuts,
        fc.array(fc.nat(), { maxLength: 10 }),
        (events, batchCuts, partCuts, order) => {
          const batches = batchesOf(events, batchCuts);
          const whole = stateOf(batches);
          const parts = cut(batches, partCuts).map(stateOf);
          // Any order: parts sorted by random keys, folded from the left.
          const shuffled = parts
            .map((part, i) => ({ part, key: order[i] ?? i }))
            .sort((x, y) => x.key - y.key)
            .map(({ part }) => part);
          const merged = shuffled.reduce((acc, part) => acc.merge(part));
          expect(merged.record()).toEqual(whole.record());
          expect(merged.finalRecords()).toEqual(whole.finalRecords());
          expect(merged.encode()).toEqual(whole.encode());
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('lists a service seen only without a status, with a total of 0 and a null rate', () => {
    const merged = stateOf([EventBatch.of([event('quiet', 1, null)])]).merge(
      stateOf([EventBatch.of([event('api', 2, 200)])]),
    );
    expect(merged.record()).toEqual({
      task: 'running-average',
      oldest: BASE_TIME + 1,
      newest: BASE_TIME + 2,
      successes: 1,
      total: 1,
      rate: 1,
      services: [
        { service: 'api', successes: 1, total: 1, rate: 1 },
        { service: 'quiet', successes: 0, total: 0, rate: null },
      ],
    });
    expect(merged.tally('quiet')).toEqual({ successes: 0, total: 0 });
    expect(merged.tally('missing')).toBeUndefined();
  });
});

describe('RunningAverageState encoding', () => {
  it('round-trips through JSON: same record, same encoding (property)', () => {
    fc.assert(
      fc.property(anyState, (state) => {
        const decoded = roundTrip(state);
        expect(decoded.record()).toEqual(state.record());
        expect(decoded.encode()).toEqual(state.encode());
        expect(RunningAverageState.decode(state.encode()).record()).toEqual(state.record());
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('is versioned JSON without infinities: "no event yet" is null', () => {
    const encoded = RunningAverageState.create().encode();
    expect(encoded).toMatchObject({
      task: 'running-average',
      version: 2,
      options: { maxServices: 10_000 },
      state: { oldest: null, newest: null, events: 0, services: [] },
    });
    expect(roundTrip(RunningAverageState.create()).record()).toEqual(
      RunningAverageState.create().record(),
    );
  });

  it('decodes into a state that goes on counting', () => {
    const first = [EventBatch.of([event('api', 5, 200), event('db', 1, 503)])];
    const second = [EventBatch.of([event('api', 9, 404), event('auth', 3, null)])];
    const resumed = roundTrip(stateOf(first));
    for (const batch of second) resumed.add(batch);
    expect(resumed.record()).toEqual(stateOf([...first, ...second]).record());
  });

  const saved = () =>
    stateOf([EventBatch.of([event('api', 1, 200), event('db', 2, null)])]).encode();
  const withState = (fields: object) => {
    const encoded = saved();
    return { ...encoded, state: { ...(encoded.state as object), ...fields } };
  };

  it.each([
    [
      'another version',
      () => ({ ...saved(), version: 1 }),
      /format version 1, this build reads version 2/,
    ],
    ['another task', () => ({ ...saved(), task: 'bloom' }), /holds the state of "bloom"/],
    [
      'options it does not have',
      () => ({ ...saved(), options: { maxServices: 10_000, windowSeconds: 60 } }),
      /unknown option "windowSeconds"/,
    ],
    ['no service bound', () => ({ ...saved(), options: {} }), /maxServices is missing/],
    ['not an object', () => 'running-average', /not a JSON object/],
    ['null', () => null, /not a JSON object/],
    ['no fields', () => ({ ...saved(), state: undefined }), /fields missing/],
    ['corrupt base64', () => withState({ successes: '***' }), /successes is not base64/],
    [
      'a truncated column',
      () => withState({ totals: encodeColumn(new Uint8Array(7)) }),
      /totals has a partial value/,
    ],
    [
      'columns shorter than the services',
      () => withState({ totals: encodeColumn(new Float64Array(1)) }),
      /2 services but 2 success and 1 total counts/,
    ],
    ['a missing column', () => withState({ successes: undefined }), /successes missing/],
    [
      'services that are not strings',
      () => withState({ services: ['api', 3] }),
      /services is not a list of strings/,
    ],
    ['a service listed twice', () => withState({ services: ['api', 'api'] }), /twice/],
    [
      'more successes than events',
      () => withState({ successes: encodeColumn(Float64Array.of(2, 0)) }),
      /"api" has 2 successes among 1 events/,
    ],
    [
      'a negative count',
      () =>
        withState({
          totals: encodeColumn(Float64Array.of(-1, 0)),
          successes: encodeColumn(Float64Array.of(-1, 0)),
        }),
      /has -1 successes/,
    ],
    [
      'a fractional count',
      () => withState({ totals: encodeColumn(Float64Array.of(1.5, 0)) }),
      /among 1.5 events/,
    ],
    [
      'NaN in a column',
      () => withState({ totals: encodeColumn(Float64Array.of(Number.NaN, 0)) }),
      /among NaN events/,
    ],
    [
      'fewer events than statuses',
      () => withState({ events: 0 }),
      /events is 0, below the 1 with a status/,
    ],
    [
      'events that are not a number',
      () => withState({ events: '2' }),
      /events is "2", not a number/,
    ],
    ['no oldest despite events', () => withState({ oldest: null }), /do not bound 2 events/],
    ['oldest after newest', () => withState({ oldest: BASE_TIME + 9 }), /do not bound/],
    [
      'an oldest that is not a number',
      () => withState({ oldest: 'yesterday' }),
      /oldest is "yesterday"/,
    ],
  ])('refuses %s with a one-line StateError', (_, make, message) => {
    const decode = () => RunningAverageState.decode(make());
    expect(decode).toThrow(StateError);
    expect(decode).toThrow(message);
  });

  it('refuses oldest and newest without any event', () => {
    const encoded = RunningAverageState.create().encode();
    const bad = { ...encoded, state: { ...(encoded.state as object), oldest: 1, newest: 2 } };
    expect(() => RunningAverageState.decode(bad)).toThrow(/oldest and newest without any event/);
  });

  it('refuses any hostile field with a StateError, never another error (property)', () => {
    const fields = ['services', 'successes', 'totals', 'events', 'oldest', 'newest'];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.anything(), (field, value) => {
        try {
          const decoded = RunningAverageState.decode(withState({ [field]: value }));
          expect(JSON.parse(JSON.stringify(decoded.record()))).toBeTruthy();
        } catch (error) {
          expect(error).toBeInstanceOf(StateError);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('runningAverage with a state', () => {
  it('continues from the given state, updating that very value: records equal one run over all (property)', async () => {
    await fc.assert(
      fc.asyncProperty(anyStream, anyCuts, fc.nat(), async (events, cuts, split) => {
        const batches = batchesOf(events, cuts);
        const at = split % (batches.length + 1);
        const expected = await lastValueFrom(from(batches).pipe(runningAverage(), toArray()));

        const state = RunningAverageState.create();
        const first = await lastValueFrom(
          from(batches.slice(0, at)).pipe(runningAverage({ state }), toArray()),
        );
        // Resume from the saved state, as `--checkpoint` does.
        const resumed = roundTrip(state);
        const rest = await lastValueFrom(
          from(batches.slice(at)).pipe(runningAverage({ state: resumed }), toArray()),
        );
        expect([...first, ...rest]).toEqual(expected);
        expect(resumed.record()).toEqual(stateOf(batches).record());
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('lets its owner read the state between emissions', () => {
    const state = RunningAverageState.create();
    const seen: [RunningAverageRecord, number][] = [];
    from([[event('api', 1, 200)], [event('api', 2, 500)]])
      .pipe(runningAverage({ state }))
      .subscribe((record) => seen.push([record, state.record().total]));
    expect(seen.map(([record, total]) => [record.total, total])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });
});

describe('SuccessCounts', () => {
  it('adds per-service counts, merges in place, and clones independently', () => {
    const counts = new SuccessCounts().addCounts(['b', 'a', 'quiet'], [1, 2, 0], [3, 2, 0], 6);
    const copy = counts.clone();
    counts.mergeFrom(new SuccessCounts().addBatch(EventBatch.of([event('a', 1, 500)])));
    expect([counts.events, counts.successes, counts.total]).toEqual([7, 3, 6]);
    expect(counts.services()).toEqual([
      { service: 'a', successes: 2, total: 3, rate: 2 / 3 },
      { service: 'b', successes: 1, total: 3, rate: 1 / 3 },
      { service: 'quiet', successes: 0, total: 0, rate: null },
    ]);
    expect([copy.events, copy.total, copy.tally('a')]).toEqual([6, 5, { successes: 2, total: 2 }]);
  });

  it('grows past its initial capacity', () => {
    const names = Array.from({ length: 100 }, (_, i) => `service-${i}`);
    const counts = new SuccessCounts().addBatch(
      EventBatch.of(names.map((name, i) => event(name, i, 200))),
    );
    expect(counts.services()).toHaveLength(100);
    expect(counts.tally('service-99')).toEqual({ successes: 1, total: 1 });
    const decoded = SuccessCounts.decodeFields('running-average', counts.encodeFields(), 10_000);
    expect(decoded.services()).toEqual(counts.services());
  });
});
