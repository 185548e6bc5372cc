import { ignoreElements, map, merge, type Observable, timer } from 'rxjs';

/** A value an Observable is expected to emit, and when (virtual milliseconds). */
export interface TimedValue<T> {
  readonly at: number;
  readonly value: T;
}

/** What a replay is expected to emit: its values at their times, then completion. */
export interface ExpectedRecords<T> {
  readonly values: readonly TimedValue<T>[];
  /** When it completes. */
  readonly end: number;
}

/** What {@link expectRecords} needs of TestScheduler's `run` helpers. */
export interface RecordsHelpers {
  expectObservable<T>(observable: Observable<T>): { toEqual(other: Observable<T>): void };
}

/**
 * Inside `TestScheduler.run`: asserts that `actual` emits exactly `expected.values`, each at
 * its time and in order, then completes at `expected.end` — the way a test pins the records
 * a recording produced. A failure is TestScheduler's: the two lists of frames side by side.
 *
 * @example
 * ```ts
 * scheduler.run((helpers) => {
 *   const actual = recordingObservable(bytes, scheduler).pipe(keyedWindows(options));
 *   expectRecords(helpers, actual, { values: [{ at: 1250, value: window }], end: 30000 });
 * });
 * ```
 */
export function expectRecords<T>(
  helpers: RecordsHelpers,
  actual: Observable<T>,
  expected: ExpectedRecords<T>,
): void {
  helpers.expectObservable(actual).toEqual(timedValues(expected));
}

/**
 * An Observable that emits `values` at their times (virtual ones inside `TestScheduler.run`)
 * and completes at `end`. Values at the same time come in the order given.
 */
export function timedValues<T>({ values, end }: ExpectedRecords<T>): Observable<T> {
  return merge(
    ...values.map(({ at, value }) => timer(at).pipe(map(() => value))),
    timer(end).pipe(ignoreElements()),
  );
}
