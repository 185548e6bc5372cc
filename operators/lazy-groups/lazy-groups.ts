import {
  asyncScheduler,
  concatMap,
  defer,
  finalize,
  from,
  map,
  Observable,
  type OperatorFunction,
  of,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { EventBatch, type OperatorInput } from '../batch.js';
import { StateError } from '../task-state.js';
import type { PendingBatch } from './batcher.js';
import {
  type BatchReducer,
  inThreadReducer,
  type ReducerContext,
  type Reduction,
} from './reducer.js';
import {
  type BatchedLazyGroupsRecord,
  DEFAULT_BATCH_SIZE,
  LazyGroupsState,
  type LazyGroupsStateOptions,
  validateStateOptions,
} from './state.js';

export type { BatchReducer, ReducerContext, Reduction } from './reducer.js';
export {
  type BatchedLazyGroupsRecord,
  LazyGroupsState,
  type LazyGroupsStateOptions,
} from './state.js';

/** Options of {@link lazyGroups}. */
export interface LazyGroupsOptions extends LazyGroupsStateOptions {
  /** Quiet time after the last input that flushes a partial batch, in ms. Default 1000. */
  readonly idleMs?: number;
  /** Times the idle flush. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Diagnostics: called as each batch is merged into the totals, in input order. */
  readonly onBatchReduced?: (info: BatchReducedInfo) => void;
  /**
   * Makes the reducer of each subscription (see {@link BatchReducer}): where batches are
   * reduced. Default: in the calling thread. The package's command line passes one that
   * sends batches to worker threads (src/threads); records do not depend on the reducer.
   */
  readonly reducer?: (context: ReducerContext) => BatchReducer;
  /**
   * Continue from this state: the operator adds to this very value, so its owner can read,
   * encode or merge it at any time (while no batch is being reduced: see
   * {@link LazyGroupsState.reducing}); one subscription at a time. `batchSize` and
   * `groupEverySeconds` and `maxServices` are the state's (when given too, they must be equal). At the end of
   * the input the final totals are emitted without changing the state (its partial batch
   * stays partial, as SPEC's saved state wants it). Default: each subscription starts from
   * an empty state.
   */
  readonly state?: LazyGroupsState;
}

/** What {@link LazyGroupsOptions.onBatchReduced} learns about a batch. */
export interface BatchReducedInfo {
  /** 1, 2, …: the batch's place in the input. */
  readonly batch: number;
  readonly events: number;
  /**
   * `worker_threads.threadId` of the thread that reduced it, when the reducer reports it
   * (src/threads' reducer does; the default one, and the final partial batch, do not).
   */
  readonly threadId?: number;
}

export const LAZY_GROUPS_DEFAULTS = {
  batchSize: DEFAULT_BATCH_SIZE,
  idleMs: 1000,
} as const;

/**
 * Task 5: the success rate per service, computed like Polars' lazy streaming engine: lazily,
 * batch by batch, in parallel, in bounded memory.
 *
 * Nothing is read before subscription. Valid events (input values are one event, an array,
 * or an {@link EventBatch}; invalid events are skipped) are gathered into batches of
 * `batchSize` events, kept only as compact columns (service ids, statuses, times). Each
 * complete batch is reduced into a partial aggregate (success counts per service, and per
 * time bucket with `groupEverySeconds`) that is merged into the running totals; the events
 * themselves are dropped, so memory holds the totals plus a few batches of columns, however
 * large the input. A `reducer` can run the reductions elsewhere (src/threads sends them to
 * worker threads); results are merged in input order, so the records are the same wherever
 * batches ran. The totals, the batch count and the partial batch are a
 * {@link LazyGroupsState} (see `state`).
 *
 * Emits the running totals as a {@link BatchedLazyGroupsRecord}:
 * - each time a batch of `batchSize` events is complete (an input value can complete
 *   several, or none);
 * - when no input has arrived for `idleMs` and events wait in a partial batch: the totals
 *   with the partial batch reduced on a copy, as at completion; the partial batch stays and
 *   goes on filling, so the batches are cut by the input alone, whatever its timing (never
 *   on idle when nothing arrived since the last record);
 * - when the source completes: the final totals, the partial batch, if any, reduced too
 *   ({@link LazyGroupsState.finalRecords}; always emitted, even when unchanged), then it
 *   completes.
 *
 * `events` counts valid events; `successes` (2xx) and `total` count events with a status;
 * `rate` is null over zero. `services` is sorted by name. With `groupEverySeconds = s`,
 * `buckets` lists every (service, `[start, start + s)`) with an event, `start =
 * floor(t / s) * s`, like `group_by_dynamic(every = s)`; unlike the totals, buckets grow with
 * the time span of the input (services × span / s entries). State (unless given), batches
 * and the reducer belong to one subscription; the reducer is closed when it completes,
 * errors or is unsubscribed.
 *
 * ```
 * source: -a-b-c-d----------|     single events; a frame is 1 ms
 * lazyGroups({ batchSize: 3, idleMs: 10 })
 * result: -----x-----------y(z|)  x: a, b, c make a batch; y: 10 ms after d, the totals
 *                                 with d's partial batch; z: the final totals at completion
 *                                 (the same here: events 4, batches 2)
 * ```
 *
 * @throws {RangeError} when `batchSize`, `idleMs` or `groupEverySeconds` is out of range
 * (at creation, not subscription).
 * @throws {StateError} when `state` is given with another `batchSize` or `groupEverySeconds`.
 *
 * @example
 * ```ts
 * hugeLogBatches$
 *   .pipe(lazyGroups({ batchSize: 100_000, groupEverySeconds: 60 }))
 *   .subscribe((r) => console.log(r.batches, r.rate, r.services));
 *
 * // Continue from a saved state, and save it again afterwards.
 * const state = LazyGroupsState.decode(JSON.parse(saved));
 * moreBatches$.pipe(lazyGroups({ state })).subscribe({
 *   complete: () => save(JSON.stringify(state.encode())),
 * });
 * ```
 */
export function lazyGroups(
  options: LazyGroupsOptions = {},
): OperatorFunction<OperatorInput, BatchedLazyGroupsRecord> {
  const settings = validate(options);
  const { onBatchReduced } = settings;
  return (source) =>
    defer(() => {
      const state = options.state ?? LazyGroupsState.create(options);
      const reducer = settings.reducer({ batchSize: state.batchSize });
      const mergeIntoTotals = (reduced: Reduced | Flush): BatchedLazyGroupsRecord => {
        if (reduced === IDLE) return state.finalRecords()[0]!;
        if (reduced === END) return finalRecord(state, onBatchReduced);
        const { batch, reduction } = reduced;
        state.absorb(reduction.reduced, batch.dictionary);
        onBatchReduced?.({
          batch: state.batches,
          events: reduction.reduced.events,
          threadId: reduction.threadId,
        });
        return state.record();
      };
      return batchesOf(source, state, settings.idleMs, settings.scheduler).pipe(
        // Submitted as soon as it is cut, a batch starts in a worker at once; concatMap then
        // takes the reductions in input order, whichever worker finishes first.
        map((batch) => (isFlush(batch) ? batch : submit(reducer, batch))),
        concatMap((reduced) =>
          isFlush(reduced) || !isPending(reduced) ? of(reduced) : from(reduced),
        ),
        map(mergeIntoTotals),
        finalize(() => reducer.close()),
      );
    });
}

/**
 * What `batchesOf` emits besides batches: the source has been idle (emit the totals with the
 * partial batch, without cutting it), or it has ended (emit the final totals).
 */
const IDLE = 'idle';
const END = 'end';
type Flush = typeof IDLE | typeof END;

function isFlush(value: unknown): value is Flush {
  return value === IDLE || value === END;
}

interface Reduced {
  readonly batch: PendingBatch;
  readonly reduction: Reduction;
}

function submit(reducer: BatchReducer, batch: PendingBatch): Reduced | PromiseLike<Reduced> {
  const reduction = reducer.reduce(batch.encoded);
  if (!isPending(reduction)) return { batch, reduction };
  const reduced = Promise.resolve(reduction).then((done) => ({ batch, reduction: done }));
  // Waiting in concatMap's buffer, it may fail after an unsubscription, with nobody to tell:
  // that must not surface as an unhandled rejection (a live subscription still gets it).
  reduced.catch(() => {});
  return reduced;
}

function isPending<T extends object>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

/** The final totals, the partial batch reduced on a copy: the state itself stays as it is. */
function finalRecord(
  state: LazyGroupsState,
  onBatchReduced: ((info: BatchReducedInfo) => void) | undefined,
): BatchedLazyGroupsRecord {
  const events = state.pending;
  const [record] = state.finalRecords();
  if (events > 0) onBatchReduced?.({ batch: record!.batches, events });
  return record!;
}

interface Settings {
  readonly idleMs: number;
  readonly scheduler: SchedulerLike;
  readonly onBatchReduced: ((info: BatchReducedInfo) => void) | undefined;
  readonly reducer: (context: ReducerContext) => BatchReducer;
}

function validate(options: LazyGroupsOptions): Settings {
  const { state } = options;
  // The state's own options are valid; the others are checked now, not at subscription.
  if (state === undefined) validateStateOptions(options);
  else {
    for (const [name, given, own] of [
      ['batchSize', options.batchSize, state.batchSize],
      ['groupEverySeconds', options.groupEverySeconds, state.groupEverySeconds],
      ['maxServices', options.maxServices, state.maxServices],
    ] as const) {
      if (given !== undefined && given !== own) {
        throw new StateError(`lazy-groups: ${name} is ${given}, the state's is ${own ?? 'none'}`);
      }
    }
  }
  const idleMs = options.idleMs ?? LAZY_GROUPS_DEFAULTS.idleMs;
  if (!(idleMs >= 0)) throw new RangeError(`idleMs must be a number >= 0, got ${idleMs}`);
  return {
    idleMs,
    scheduler: options.scheduler ?? asyncScheduler,
    onBatchReduced: options.onBatchReduced,
    reducer: options.reducer ?? inThreadReducer,
  };
}

/**
 * The batches to reduce, cut from the source's events by the state: each complete batch as
 * the input completes it, {@link IDLE} after `idleMs` without input while events wait in the
 * partial batch, and {@link END} at completion, then completion. The idle flush leaves the
 * partial batch in place, so the batches depend on the input alone, never on its timing: a
 * restart from a checkpoint, or a slower disk, cuts the same batches as one `--once` run.
 */
function batchesOf(
  source: Observable<OperatorInput>,
  state: LazyGroupsState,
  idleMs: number,
  scheduler: SchedulerLike,
): Observable<PendingBatch | Flush> {
  return new Observable((subscriber) => {
    let lastInputAt = 0;
    let idleTimer: Subscription | undefined;
    // One timer that re-arms for the rest of the quiet time, instead of one timer per input.
    const flushWhenIdle = function (this: SchedulerAction<undefined>) {
      const quiet = scheduler.now() - lastInputAt;
      if (quiet < idleMs) {
        this.schedule(undefined, idleMs - quiet);
        return;
      }
      idleTimer = undefined;
      if (state.pending > 0) subscriber.next(IDLE);
    };
    const inputs = source.subscribe({
      next: (input) => {
        lastInputAt = scheduler.now();
        for (const batch of state.cut(EventBatch.of(input))) subscriber.next(batch);
        if (state.pending > 0 && idleTimer === undefined && idleMs !== Infinity) {
          idleTimer = scheduler.schedule(flushWhenIdle, idleMs);
        }
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        idleTimer?.unsubscribe();
        subscriber.next(END);
        subscriber.complete();
      },
    });
    return () => {
      inputs.unsubscribe();
      idleTimer?.unsubscribe();
    };
  });
}
