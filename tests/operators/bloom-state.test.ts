import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import { BloomFilter } from '../../operators/bloom-filter.js';
import { BloomState, bloomForward, forwardedEvents } from '../../operators/bloom-forward.js';
import type { LogEvent } from '../../operators/event.js';
import { encodeColumn, StateError } from '../../operators/task-state.js';
import { stateLaws } from '../../operators/testing/index.js';
import { BASE_TIME } from '../support/events.js';
import { anyCuts, batchesOf, cut } from '../support/split.js';
import { expectAssociative, expectIdentity } from '../support/state-laws.js';

const SEED = 20_250_904;
const RUNS = 150;

const INTERESTING = ['HTTP Status Code: 500', 'Something else', '__proto__'];
const MESSAGES = [...INTERESTING, 'HTTP Status Code: 200', 'no code here', 'constructor', ''];

/** The same filter each time it is called: equal bits, a different object. */
function patternFilter(bits = 8192, hashes = 3, patterns = INTERESTING): BloomFilter {
  const filter = BloomFilter.withSize(bits, hashes);
  for (const pattern of patterns) filter.add(pattern);
  return filter;
}

// One filter for every state of a property: states merge only over the same filter.
const FILTER = patternFilter();
// A small, crowded filter: some messages not in the list test positive too.
const CROWDED = patternFilter(16, 2);

const anyEvent = fc
  .tuple(
    fc.constantFrom('api', 'db', '__proto__'),
    fc.integer({ min: 0, max: 1000 }),
    fc.constantFrom(...MESSAGES),
  )
  .map(
    ([service, offset, message]): LogEvent => ({
      service,
      timestamp: BASE_TIME + offset,
      message,
    }),
  );
const anyStream = fc.array(anyEvent, { maxLength: 60 });

function stateOf(batches: readonly EventBatch[], filter = FILTER): BloomState {
  const state = BloomState.create({ filter });
  for (const batch of batches) state.add(batch);
  return state;
}

const anyFilter = fc.constantFrom(FILTER, CROWDED);
const anyState = fc
  .tuple(anyStream, anyCuts)
  .map(([events, cuts]) => stateOf(batchesOf(events, cuts)));

const roundTrip = (state: BloomState, filter?: BloomFilter) =>
  BloomState.decode(
    JSON.parse(JSON.stringify(state.encode())),
    filter === undefined ? undefined : { filter },
  );

describe('BloomState merge', () => {
  it('is associative: equal records and equal encodings (property)', () => {
    fc.assert(
      fc.property(anyState, anyState, anyState, (a, b, c) => expectAssociative(a, b, c)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('has the empty state as identity on both sides (property)', () => {
    fc.assert(
      fc.property(anyState, (a) =>
        expectIdentity(a, BloomState.create({ filter: patternFilter() })),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('gives exactly the record of one run when consecutive parts merge in order, however grouped (property)', () => {
    fc.assert(
      fc.property(anyFilter, anyStream, anyCuts, anyCuts, (filter, events, batchCuts, partCuts) => {
        const batches = batchesOf(events, batchCuts);
        const whole = stateOf(batches, filter);
        const parts = cut(batches, partCuts).map((part) => stateOf(part, filter));
        const fromLeft = parts.reduce((acc, part) => acc.merge(part));
        const fromRight = parts.reduceRight((acc, part) => part.merge(acc));
        for (const merged of [fromLeft, fromRight]) {
          expect(merged.record()).toEqual(whole.record());
          expect(merged.finalRecords()).toEqual(whole.finalRecords());
          expect(merged.encode()).toEqual(whole.encode());
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('counts checked and forwarded exactly under any split merged in any order (property)', () => {
    fc.assert(
      fc.property(
        anyFilter,
        anyStream,
        anyCuts,
        anyCuts,
        fc.array(fc.nat(), { maxLength: 10 }),
        (filter, events, batchCuts, partCuts, order) => {
          const batches = batchesOf(events, batchCuts);
          const whole = stateOf(batches, filter).record();
          const parts = cut(batches, partCuts).map((part) => stateOf(part, filter));
          const shuffled = parts
            .map((part, i) => ({ part, key: order[i] ?? i }))
            .sort((x, y) => x.key - y.key)
            .map(({ part }) => part);
          const merged = shuffled.reduce((acc, part) => acc.merge(part)).record();
          expect([merged.checked, merged.forwarded, merged.ratio]).toEqual([
            whole.checked,
            whole.forwarded,
            whole.ratio,
          ]);
          // The batch fields are those of the last part (in merge order) that saw a batch.
          const last = shuffled
            .filter((part) => part.batches > 0)
            .at(-1)
            ?.record();
          expect([merged.batchChecked, merged.batchForwarded]).toEqual([
            last?.batchChecked ?? 0,
            last?.batchForwarded ?? 0,
          ]);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('takes the batch fields of the last state that saw a batch, even an empty one', () => {
    const a = stateOf([EventBatch.of([{ service: 'api', timestamp: 1, message: '__proto__' }])]);
    const sawEmpty = stateOf([EventBatch.of([])]);
    const none = BloomState.create({ filter: FILTER });
    expect(a.merge(none).record()).toMatchObject({ batchChecked: 1, batchForwarded: 1 });
    expect(a.merge(sawEmpty).record()).toMatchObject({
      checked: 1,
      batchChecked: 0,
      batchForwarded: 0,
      batchRatio: null,
    });
    expect(a.merge(sawEmpty).batches).toBe(2);
  });

  // The kit's law: over many inputs, with a fresh side, and adding to the merged state and
  // to the inputs afterwards (shared data shows then).
  it('changes neither input, nor shares data with the merged state', () => {
    const contract = { name: 'bloom', create: () => BloomState.create({ filter: FILTER }) };
    stateLaws(contract)
      .find((law) => law.name === 'merge leaves its inputs unchanged')!
      .check();
  });

  it.each([
    ['another size', () => patternFilter(4096)],
    ['other hashes', () => patternFilter(8192, 4)],
    ['other bits', () => patternFilter(8192, 3, ['HTTP Status Code: 503'])],
  ])('refuses a state of a filter with %s, naming the filter', (_, other) => {
    const a = BloomState.create({ filter: FILTER });
    const b = BloomState.create({ filter: other() });
    expect(() => a.merge(b)).toThrow(StateError);
    expect(() => a.merge(b)).toThrow(/^bloom states differ in filter: \{"bits":8192,"hashes":3/);
  });

  it('merges states of two equal filters (equal bits, other objects)', () => {
    const a = BloomState.create({ filter: patternFilter() });
    const b = BloomState.create({ filter: patternFilter() });
    expect(a.merge(b).filter).toBe(a.filter);
  });
});

describe('BloomState encoding', () => {
  it('round-trips through JSON, with or without the filter given: same record, same encoding (property)', () => {
    fc.assert(
      fc.property(anyState, (state) => {
        for (const decoded of [roundTrip(state), roundTrip(state, patternFilter())]) {
          expect(decoded.record()).toEqual(state.record());
          expect(decoded.encode()).toEqual(state.encode());
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('holds the filter itself: a saved state decodes on its own and answers as the original', () => {
    const decoded = roundTrip(stateOf([], CROWDED));
    expect(decoded.filter).not.toBe(CROWDED);
    expect(decoded.filter.sameBits(CROWDED)).toBe(true);
    for (const message of MESSAGES) expect(decoded.filter.has(message)).toBe(CROWDED.has(message));
  });

  it('uses the given filter object when it is the same filter', () => {
    const filter = patternFilter();
    expect(roundTrip(stateOf([]), filter).filter).toBe(filter);
  });

  it('names the filter in its options by size and fingerprint', () => {
    const { options } = stateOf([]).encode();
    expect(options).toEqual({
      filter: { bits: 8192, hashes: 3, fingerprint: FILTER.fingerprint() },
    });
    expect(FILTER.fingerprint()).toMatch(/^[0-9a-f]{8}$/);
    expect(patternFilter().fingerprint()).toBe(FILTER.fingerprint());
    expect(patternFilter(8192, 3, ['other']).fingerprint()).not.toBe(FILTER.fingerprint());
  });

  it('goes on counting after decoding, batch fields included', () => {
    const event = (offset: number, message: string) => ({
      service: 'api',
      timestamp: BASE_TIME + offset,
      message,
    });
    const first = [EventBatch.of([event(1, '__proto__'), event(2, 'x')])];
    const second = [EventBatch.of([event(3, 'Something else')]), EventBatch.of([event(4, 'y')])];
    const resumed = roundTrip(stateOf(first), FILTER);
    for (const batch of second) resumed.add(batch);
    expect(resumed.record()).toEqual(stateOf([...first, ...second]).record());
  });

  const saved = () =>
    stateOf([
      EventBatch.of([
        { service: 'api', timestamp: 1, message: '__proto__' },
        { service: 'api', timestamp: 2, message: 'x' },
      ]),
    ]).encode();
  const withState = (fields: object) => {
    const encoded = saved();
    return { ...encoded, state: { ...(encoded.state as object), ...fields } };
  };
  const filterBytes = () => FILTER.toBytes();

  it.each([
    [
      'another version',
      () => ({ ...saved(), version: 2 }),
      /format version 2, this build reads version 1/,
    ],
    ['another task', () => ({ ...saved(), task: 'reservoir' }), /holds the state of "reservoir"/],
    ['not an object', () => [saved()], /not a JSON object/],
    ['no options', () => ({ ...saved(), options: null }), /options missing/],
    [
      'corrupt base64 for the filter',
      () => withState({ filter: 'not base64!' }),
      /filter is not base64/,
    ],
    ['a missing filter', () => withState({ filter: undefined }), /filter missing/],
    [
      'a truncated filter',
      () => withState({ filter: encodeColumn(filterBytes().subarray(0, 100)) }),
      /bloom state: filter: corrupt Bloom filter: 8192 bits need 1052 bytes, got 100/,
    ],
    [
      'a truncated header',
      () => withState({ filter: encodeColumn(filterBytes().subarray(0, 10)) }),
      /bloom state: filter: truncated Bloom filter/,
    ],
    [
      'bytes that are no filter',
      () => withState({ filter: encodeColumn(new Uint8Array(40)) }),
      /bloom state: filter: not a Bloom filter/,
    ],
    [
      'a filter other than its options say',
      () => withState({ filter: encodeColumn(patternFilter(8192, 3, ['z']).toBytes()) }),
      /its filter has fingerprint "[0-9a-f]{8}", its options say "[0-9a-f]{8}"/,
    ],
    [
      'a filter of another size than its options say',
      () => withState({ filter: encodeColumn(patternFilter(64).toBytes()) }),
      /its filter has bits 64, its options say 8192/,
    ],
    [
      'options without the filter',
      () => ({ ...saved(), options: {} }),
      /its filter has bits 8192, its options say none/,
    ],
    [
      'a missing count',
      () => withState({ checked: undefined }),
      /checked is missing, not a number/,
    ],
    [
      'a count that is not a number',
      () => withState({ forwarded: '1' }),
      /forwarded is "1", not a number/,
    ],
    ['a negative count', () => withState({ batches: -1 }), /batches is -1, not a count/],
    ['a fractional count', () => withState({ checked: 2.5 }), /checked is 2.5, not a count/],
    ['more forwarded than checked', () => withState({ forwarded: 3 }), /inconsistent counts/],
    [
      'a last batch larger than everything',
      () => withState({ batchChecked: 3 }),
      /inconsistent counts/,
    ],
    ['counts without batches', () => withState({ batches: 0 }), /inconsistent counts/],
  ])('refuses %s with a one-line StateError', (_, make, message) => {
    const decode = () => BloomState.decode(make());
    expect(decode).toThrow(StateError);
    expect(decode).toThrow(message);
  });

  it.each([
    ['another size', () => patternFilter(4096)],
    ['other hashes', () => patternFilter(8192, 5)],
    ['other bits', () => patternFilter(8192, 3, ['HTTP Status Code: 404'])],
  ])('refuses a state of another filter than the given one (%s), naming the filter', (_, other) => {
    const decode = () => BloomState.decode(saved(), { filter: other() });
    expect(decode).toThrow(StateError);
    expect(decode).toThrow(
      /^bloom states differ in filter: \{"bits":8192,"hashes":3,"fingerprint":"[0-9a-f]{8}"\} and \{"bits":/,
    );
  });

  it('refuses any hostile field with a StateError, never another error (property)', () => {
    const fields = ['filter', 'checked', 'forwarded', 'batches', 'batchChecked', 'batchForwarded'];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.anything(), (field, value) => {
        try {
          BloomState.decode(withState({ [field]: value }), { filter: FILTER }).record();
        } catch (error) {
          expect(error).toBeInstanceOf(StateError);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('bloomForward with a state', () => {
  it('continues from the given state, updating that very value: records and forwarded events equal one run over all (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyFilter,
        anyStream,
        anyCuts,
        fc.nat(),
        async (filter, events, cuts, split) => {
          const batches = batchesOf(events, cuts);
          const at = split % (batches.length + 1);
          const expectedForwarded: LogEvent[] = [];
          const expected = await lastValueFrom(
            from(batches).pipe(
              bloomForward({ filter, forwarded: (e) => expectedForwarded.push(e) }),
              toArray(),
            ),
          );

          const forwarded: LogEvent[] = [];
          const state = BloomState.create({ filter });
          const first = await lastValueFrom(
            from(batches.slice(0, at)).pipe(
              bloomForward({ filter, state, forwarded: (e) => forwarded.push(e) }),
              toArray(),
            ),
          );
          // Resume from the saved state, as `--checkpoint` does; the state brings its filter.
          const resumed = roundTrip(state);
          const rest = await lastValueFrom(
            from(batches.slice(at)).pipe(
              bloomForward({ state: resumed, forwarded: (e) => forwarded.push(e) }),
              toArray(),
            ),
          );
          expect([...first, ...rest]).toEqual(expected);
          expect(forwarded).toEqual(expectedForwarded);
          expect(resumed.record()).toEqual(stateOf(batches, filter).record());
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('refuses a state of another filter than the one given', () => {
    const state = BloomState.create({ filter: patternFilter(4096) });
    expect(() => bloomForward({ filter: FILTER, state })).toThrow(/bloom states differ in filter/);
    expect(() => bloomForward({ filter: patternFilter(), state: stateOf([]) })).not.toThrow();
  });

  it('tests each distinct message of a batch once, however often it repeats', async () => {
    const filter = patternFilter();
    const has = vi.spyOn(filter, 'has');
    const events = Array.from({ length: 5000 }, (_, i) => ({
      service: 'api',
      timestamp: i,
      message: i % 2 === 0 ? 'HTTP Status Code: 500' : `message ${i % 7}`,
    }));
    const [record] = await lastValueFrom(
      from([EventBatch.of(events)]).pipe(bloomForward({ filter }), toArray()),
    );
    expect(has).toHaveBeenCalledTimes(1 + 7);
    expect(record).toMatchObject({ checked: 5000, forwarded: 2500 });
    has.mockClear();
    const selected = await lastValueFrom(
      from([EventBatch.of(events)]).pipe(forwardedEvents(filter), toArray()),
    );
    expect(has).toHaveBeenCalledTimes(8);
    expect(selected).toHaveLength(2500);
    expect(selected[0]).toBe(events[0]);
  });
});
