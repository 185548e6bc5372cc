import fc from 'fast-check';
import { expect } from 'vitest';
import type { TaskState } from '../../operators/task-state.js';
import { StateError } from '../../operators/task-state.js';

type AnyState = TaskState<unknown>;

/** `actual` and `expected` are the same value: equal records (when the task has one) and encodings. */
export function expectSameState(actual: AnyState, expected: AnyState): void {
  expect(actual.record?.()).toEqual(expected.record?.());
  expect(actual.encode()).toEqual(expected.encode());
}

/** Merge is associative: `(a · b) · c` and `a · (b · c)` are the same state. */
export function expectAssociative<S extends TaskState<S>>(a: S, b: S, c: S): void {
  expectSameState(a.merge(b).merge(c), a.merge(b.merge(c)));
}

/** `empty` is an identity of merge on both sides of `state`. */
export function expectIdentity<S extends TaskState<S>>(state: S, empty: S): void {
  for (const merged of [state.merge(empty), empty.merge(state)]) expectSameState(merged, state);
}

/**
 * Decoding hostile input gives a state or a {@link StateError}, never another error: each of
 * `fields` of a valid encoding (`withState`) replaced by anything, and anything at all.
 * `use` decodes and uses the state (a record, say), so a corrupt state cannot hide.
 */
export function expectOnlyStateErrors(
  fields: readonly string[],
  withState: (fields: Record<string, unknown>) => unknown,
  use: (encoded: unknown) => unknown,
  seed: number,
): void {
  fc.assert(
    fc.property(fc.constantFrom(...fields), fc.anything(), fc.anything(), (field, value, whole) => {
      for (const encoded of [withState({ [field]: value }), whole]) {
        try {
          use(encoded);
        } catch (error) {
          expect(error).toBeInstanceOf(StateError);
        }
      }
    }),
    { seed, numRuns: 300 },
  );
}
