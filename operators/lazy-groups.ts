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
import { EventBatch, type OperatorInput } from './batch.js';
import { rate } from './event.js';
import { LazyAggregate, type ServiceBucket } from './lazy-groups-aggregate.js';
import { BatchBuilder, type PendingBatch } from './lazy-groups-batcher.js';
import { BatchReducer, type Reduction } from './lazy-groups-pool.js';
import type { LazyGroupsRecord } from './records.js';

/** Options of {@link lazyGroups}. */
export interface LazyGroupsOptions {
  /** Events per batch, a positive integer. Default 50,000. */
  readonly batchSize?: number;
  /**
   * Worker threads that reduce batches: 0 reduces in the calling thread only; n > 0 starts
   * n workers at the first batch; `'auto'` (default) starts one per core
   * (`os.availableParallelism()`, none on one core) once the input has produced more than
   * 4 full batches of at least 10,000 events.
   */
  readonly workers?: number | 'auto';
  /** Quiet time after the last input that flushes a partial batch, in ms. Default 1000. */
  readonly idleMs?: number;
  /** Also count per service per time bucket of this many seconds (`buckets`). Default: off. */
  readonly groupEverySeconds?: number;
  /** Times the idle flush. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Diagnostics: called as each batch is merged into the totals, in input order. */
  readonly onBatchReduced?: (info: BatchReducedInfo) => void;
}

/** What {@link LazyGroupsOptions.onBatchReduced} learns about a batch. */
export interface BatchReducedInfo {
  /** 1, 2, …: the batch's place in the input. */
  readonly batch: number;
  readonly events: number;
  /** `worker_threads.threadId` of the thread that reduced it: 0 is the main thread. */
  readonly threadId: number;
}

/** The record of {@link lazyGroups}: Task 5's record with its engine's extra fields. */
export type BatchedLazyGroupsRecord = LazyGroupsRecord & {
  /** Batches reduced so far, the short ones of idle flushes and the end included. */
  readonly batches: number;
  /** With `groupEverySeconds`: per service per bucket, sorted by service, then start. */
  readonly buckets?: readonly ServiceBucket[];
};

export const LAZY_GROUPS_DEFAULTS = {
  batchSize: 50_000,
  workers: 'auto',
  idleMs: 1000,
} as const;

/** The most workers a subscription may start. */
export const MAX_LAZY_GROUPS_WORKERS = 256;

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
 * large the input. On a large input the reductions run in worker threads (see `workers`);
 * results are merged in input order, so the records are the same wherever batches ran.
 *
 * Emits the running totals as a {@link BatchedLazyGroupsRecord}:
 * - each time a batch of `batchSize` events is complete (an input value can complete
 *   several, or none);
 * - when no input has arrived for `idleMs` and events wait in a partial batch: the partial
 *   batch is reduced and emitted (never on idle when nothing arrived since the last record);
 * - when the source completes: the partial batch, if any, is reduced, the final totals are
 *   emitted (always, even when unchanged), then it completes.
 *
 * `events` counts valid events; `successes` (2xx) and `total` count events with a status;
 * `rate` is null over zero. `services` is sorted by name. With `groupEverySeconds = s`,
 * `buckets` lists every (service, `[start, start + s)`) with an event, `start =
 * floor(t / s) * s`, like `group_by_dynamic(every = s)`; unlike the totals, buckets grow with
 * the time span of the input (services × span / s entries). State, batches and workers belong
 * to one subscription; workers are terminated when it completes, errors or is unsubscribed.
 *
 * ```
 * source: -a-b-c-d----------|     single events; a frame is 1 ms
 * lazyGroups({ batchSize: 3, idleMs: 10 })
 * result: -----x-----------y(z|)  x: a, b, c make a batch; y: 10 ms after d, its partial
 *                                 batch is flushed; z: the final totals at completion
 *                                 (unchanged here: events 4, batches 2)
 * ```
 *
 * @throws {RangeError} when `batchSize`, `workers`, `idleMs` or `groupEverySeconds` is out
 * of range (at creation, not subscription).
 *
 * @example
 * ```ts
 * hugeLogBatches$
 *   .pipe(lazyGroups({ batchSize: 100_000, groupEverySeconds: 60 }))
 *   .subscribe((r) => console.log(r.batches, r.rate, r.services));
 * ```
 */
export function lazyGroups(
  options: LazyGroupsOptions = {},
): OperatorFunction<OperatorInput, BatchedLazyGroupsRecord> {
  const settings = validate(options);
  const { bucketSeconds, onBatchReduced } = settings;
  return (source) =>
    defer(() => {
      const builder = new BatchBuilder(settings.batchSize, bucketSeconds);
      const reducer = new BatchReducer(settings.workers, settings.batchSize);
      const totals = new LazyAggregate(bucketSeconds);
      let batches = 0;
      const mergeIntoTotals = (reduction: Reduction | null): BatchedLazyGroupsRecord => {
        if (reduction !== null) {
          const { reduced, dictionary, threadId } = reduction;
          totals.merge(LazyAggregate.fromReduced(reduced, dictionary, bucketSeconds));
          batches += 1;
          onBatchReduced?.({ batch: batches, events: reduced.events, threadId });
        }
        return toRecord(totals, batches);
      };
      return batchesOf(source, builder, settings.idleMs, settings.scheduler).pipe(
        // Submitted as soon as it is cut, a batch starts in a worker at once; concatMap then
        // takes the reductions in input order, whichever worker finishes first.
        map((batch) => (batch === null ? null : reducer.submit(batch))),
        concatMap((reduction) => (reduction instanceof Promise ? from(reduction) : of(reduction))),
        map(mergeIntoTotals),
        finalize(() => reducer.close()),
      );
    });
}

interface Settings {
  readonly batchSize: number;
  readonly workers: number | 'auto';
  readonly idleMs: number;
  /** 0: no buckets. */
  readonly bucketSeconds: number;
  readonly scheduler: SchedulerLike;
  readonly onBatchReduced: ((info: BatchReducedInfo) => void) | undefined;
}

function validate(options: LazyGroupsOptions): Settings {
  const batchSize = options.batchSize ?? LAZY_GROUPS_DEFAULTS.batchSize;
  const workers = options.workers ?? LAZY_GROUPS_DEFAULTS.workers;
  const idleMs = options.idleMs ?? LAZY_GROUPS_DEFAULTS.idleMs;
  const every = options.groupEverySeconds;
  // Per-batch counts are Uint32: a batch may not hold more events than they can count.
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 0xffffffff)) {
    throw new RangeError(`batchSize must be an integer from 1 to 2^32 - 1, got ${batchSize}`);
  }
  if (
    workers !== 'auto' &&
    !(Number.isInteger(workers) && workers >= 0 && workers <= MAX_LAZY_GROUPS_WORKERS)
  ) {
    throw new RangeError(
      `workers must be 'auto' or an integer from 0 to ${MAX_LAZY_GROUPS_WORKERS}, got ${workers}`,
    );
  }
  if (!(idleMs >= 0)) throw new RangeError(`idleMs must be a number >= 0, got ${idleMs}`);
  if (every !== undefined && !(Number.isFinite(every) && every > 0)) {
    throw new RangeError(`groupEverySeconds must be a finite number > 0, got ${every}`);
  }
  return {
    batchSize,
    workers,
    idleMs,
    bucketSeconds: every ?? 0,
    scheduler: options.scheduler ?? asyncScheduler,
    onBatchReduced: options.onBatchReduced,
  };
}

/**
 * The batches to reduce, cut from the source's events: each complete batch as the input
 * completes it, the partial batch after `idleMs` without input, and at completion the
 * partial batch or `null` (nothing left: emit the totals as they are), then completion.
 */
function batchesOf(
  source: Observable<OperatorInput>,
  builder: BatchBuilder,
  idleMs: number,
  scheduler: SchedulerLike,
): Observable<PendingBatch | null> {
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
      const partial = builder.flush();
      if (partial !== undefined) subscriber.next(partial);
    };
    const inputs = source.subscribe({
      next: (input) => {
        lastInputAt = scheduler.now();
        for (const batch of builder.add(EventBatch.of(input))) subscriber.next(batch);
        if (builder.pending > 0 && idleTimer === undefined && idleMs !== Infinity) {
          idleTimer = scheduler.schedule(flushWhenIdle, idleMs);
        }
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        idleTimer?.unsubscribe();
        subscriber.next(builder.flush() ?? null);
        subscriber.complete();
      },
    });
    return () => {
      inputs.unsubscribe();
      idleTimer?.unsubscribe();
    };
  });
}

function toRecord(totals: LazyAggregate, batches: number): BatchedLazyGroupsRecord {
  const { counts } = totals;
  const record: BatchedLazyGroupsRecord = {
    task: 'lazy-groups',
    events: counts.events,
    successes: counts.successes,
    total: counts.total,
    rate: rate(counts.successes, counts.total),
    services: counts.services(),
    batches,
  };
  return totals.bucketSeconds > 0 ? { ...record, buckets: totals.bucketList() } : record;
}
