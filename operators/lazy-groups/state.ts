import type { EventBatch } from '../batch.js';
import { rate } from '../event.js';
import type { LazyGroupsRecord, ServiceBucket } from '../records.js';
import { checkMaxServices, DEFAULT_MAX_SERVICES } from '../service-limit.js';
import {
  type EncodedState,
  isCount,
  maxServicesOption,
  numberField,
  openEncoded,
  requireSameOptions,
  StateError,
  type TaskState,
} from '../task-state.js';
import { LazyAggregate } from './aggregate.js';
import { type PendingBatch, PendingColumns } from './batcher.js';
import { type ReducedBatch, reduceEncodedBatch } from './kernel.js';

/** The record of Task 5: its SPEC fields with its engine's extra fields. */
export type BatchedLazyGroupsRecord = LazyGroupsRecord & {
  /** Batches reduced so far; in the final totals and idle flushes, the partial batch too. */
  readonly batches: number;
  /** With `groupEverySeconds`: per service per bucket, sorted by service, then start. */
  readonly buckets?: readonly ServiceBucket[];
};

/** The options that shape a {@link LazyGroupsState}: states merge only when these are equal. */
export interface LazyGroupsStateOptions {
  /** Events per batch, an integer from 1 to 2^32 - 1. Default 50,000. */
  readonly batchSize?: number;
  /** Also count per service per time bucket of this many seconds (`buckets`). Default: off. */
  readonly groupEverySeconds?: number;
  /** Services counted apart; the others are counted together as `(other)`. Default 10,000. */
  readonly maxServices?: number;
}

export const DEFAULT_BATCH_SIZE = 50_000;

const TASK = 'lazy-groups';
// 2: options gained maxServices.
const VERSION = 2;
// Per-batch counts are Uint32: a batch may not hold more events than they can count.
const MAX_BATCH_SIZE = 0xffffffff;

/**
 * The state of Task 5: the totals of every batch reduced so far (success counts per service
 * and, with `groupEverySeconds`, per service per time bucket), how many batches that was,
 * and the partial batch: the events that wait for a batch of `batchSize` to complete, as
 * compact columns. Memory: the totals plus one batch of columns, however large the input.
 *
 * A batch is cut each time `batchSize` events have waited. {@link add} reduces the batches
 * it completes at once, in the calling thread; the operator instead {@link cut}s them, has
 * them reduced wherever its reducer runs (worker threads), and {@link absorb}s each
 * reduction in input order. {@link record} is the running totals (what the operator emits
 * after a batch); {@link finalRecords} adds the partial batch, on a copy, as the end of the
 * input does.
 *
 * What {@link merge} guarantees. Totals add up, `batches` add up, and the partial batches
 * are concatenated (this one's events first); when together they fill a batch, that batch
 * is cut and reduced into the totals. For states over streams `a` and `b`, with `r(x)` = `x`'s events mod `batchSize`:
 * - `finalRecords()` is exactly that of one state over `a` then `b`: every field, `batches`
 *   and `buckets` included, however the input was split (SPEC: Task 5's final totals);
 * - `record()` has the `events` and `batches` of one state over `a` then `b`
 *   (`floor(|a|/n) + floor(|b|/n) + floor((r(a) + r(b))/n) = floor((|a| + |b|)/n)`), and is
 *   exactly its record when `r(a) = 0`, when `r(a) + r(b) >= batchSize`, or when `b` is
 *   shorter than a batch. Otherwise the running totals cannot be the same: one state over
 *   both still waits on the last `r(a) + r(b)` events of `b`, of which the state of `b`
 *   has already reduced some. The merge is then exactly one state over `a`'s reduced
 *   events, `b`'s reduced events, `a`'s partial batch and `b`'s partial batch, in this order.
 * Past `maxServices` services, totals stay exact but the split between services may not (see
 * `RunningAverageState`: a service the other state counted under `(other)` stays there).
 * The empty state is an identity on both sides (records and encoding alike). Merging is
 * associative in `finalRecords()` always, and in `record()` and `encode()` when no merge
 * completes a batch (otherwise the groupings cut different events into that batch).
 */
export class LazyGroupsState implements TaskState<LazyGroupsState, BatchedLazyGroupsRecord> {
  readonly task = TASK;
  private reducedBatches: number;
  private inFlight = 0;
  private readonly settledWaiters: (() => void)[] = [];

  private constructor(
    /** Events per batch. */
    readonly batchSize: number,
    /** Bucket width in seconds, 0 for no buckets. */
    readonly bucketSeconds: number,
    /** Services counted apart in the totals. */
    readonly maxServices: number,
    private readonly totals: LazyAggregate,
    private readonly partial: PendingColumns,
    batches: number,
  ) {
    this.reducedBatches = batches;
  }

  /**
   * An empty state for these options.
   * @throws {RangeError} when `batchSize` or `groupEverySeconds` is out of range.
   */
  static create(options: LazyGroupsStateOptions = {}): LazyGroupsState {
    const { batchSize, bucketSeconds, maxServices } = validateStateOptions(options);
    return new LazyGroupsState(
      batchSize,
      bucketSeconds,
      maxServices,
      new LazyAggregate(bucketSeconds, maxServices),
      new PendingColumns(batchSize, bucketSeconds),
      0,
    );
  }

  /** The bucket width in seconds, or `undefined` without buckets. */
  get groupEverySeconds(): number | undefined {
    return this.bucketSeconds > 0 ? this.bucketSeconds : undefined;
  }

  /**
   * Whether a service was counted as `(other)` for want of room since this state was made
   * or decoded (a saved state keeps no such flag), or will be once the partial batch is
   * reduced (the final records reduce it on a copy).
   */
  get overflowed(): boolean {
    const { counts } = this.totals;
    return counts.overflowed || counts.wouldOverflow(this.partial.services);
  }

  /** Batches reduced into the totals so far. */
  get batches(): number {
    return this.reducedBatches;
  }

  /** Events in the partial batch, waiting for their batch to complete. */
  get pending(): number {
    return this.partial.length;
  }

  /**
   * Batches handed out by {@link cut} and not yet {@link absorb}ed:
   * their events are in neither the totals nor the partial batch, so the state cannot be
   * encoded or merged until they are back.
   */
  get reducing(): number {
    return this.inFlight;
  }

  /** Resolves once no batch handed out by {@link cut} is still being reduced. */
  whenSettled(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** Adds one batch of events: the batches it completes are reduced here and now. */
  add(batch: EventBatch): this {
    for (const completed of this.partial.append(batch)) this.reduceHere(completed);
    return this;
  }

  /**
   * Appends `batch`'s events to the partial batch and hands out the batches of `batchSize`
   * this completes, in order, each to be reduced and {@link absorb}ed in that order. Their
   * columns are theirs: they may be transferred to another thread.
   */
  cut(batch: EventBatch): PendingBatch[] {
    const completed = this.partial.append(batch);
    this.inFlight += completed.length;
    return completed;
  }

  /**
   * Merges a batch handed out by {@link cut}, once reduced.
   * @throws {StateError} when no batch is out: the counts would be added twice.
   */
  absorb(reduced: ReducedBatch, dictionary: readonly string[]): this {
    if (this.inFlight === 0) throw new StateError(`${TASK} state: no batch was handed out`);
    this.include(reduced, dictionary);
    this.inFlight -= 1;
    if (this.inFlight === 0) for (const resolve of this.settledWaiters.splice(0)) resolve();
    return this;
  }

  /**
   * A new state over both inputs (see the class for exactly what it equals); neither state
   * changes.
   * @throws {StateError} when the options differ, or a batch of either is still being reduced.
   */
  merge(other: LazyGroupsState): LazyGroupsState {
    requireSameOptions(TASK, this.encodedOptions(), other.encodedOptions());
    this.requireSettled();
    other.requireSettled();
    const partial = this.partial.copy();
    const merged = new LazyGroupsState(
      this.batchSize,
      this.bucketSeconds,
      this.maxServices,
      this.totals.clone().mergeFrom(other.totals),
      partial,
      this.reducedBatches + other.reducedBatches,
    );
    for (const completed of partial.appendPending(other.partial)) merged.reduceHere(completed);
    return merged;
  }

  /** The running totals: every batch reduced so far, not the partial batch. */
  record(): BatchedLazyGroupsRecord {
    return toRecord(this.totals, this.reducedBatches);
  }

  /** The final totals: the partial batch reduced too, on a copy (this state does not change). */
  finalRecords(): BatchedLazyGroupsRecord[] {
    if (this.partial.length === 0) return [this.record()];
    const { encoded, dictionary } = this.partial.view();
    const totals = this.totals.clone().absorb(reduceEncodedBatch(encoded), dictionary);
    return [toRecord(totals, this.reducedBatches + 1)];
  }

  /**
   * The state as versioned JSON: options `batchSize`, `groupEverySeconds` (null without
   * buckets) and `maxServices`; fields `batches`, the totals and the partial batch.
   * @throws {StateError} while a batch is being reduced (see {@link reducing}).
   */
  encode(): EncodedState {
    this.requireSettled();
    return {
      task: TASK,
      version: VERSION,
      options: this.encodedOptions(),
      state: {
        batches: this.reducedBatches,
        ...this.totals.encodeFields(),
        ...this.partial.encodeFields(),
      },
    };
  }

  /**
   * The state of {@link encode}'s JSON.
   * @param options when given, the state must have been made with these options.
   * @throws {StateError} for another task, another version, other options or corrupt fields.
   */
  static decode(encoded: unknown, options?: LazyGroupsStateOptions): LazyGroupsState {
    const expected =
      options === undefined ? undefined : encodeOptions(validateStateOptions(options));
    const opened = openEncoded(encoded, TASK, VERSION, expected);
    const { batchSize, bucketSeconds, maxServices } = decodeOptions(opened.options);
    const { state } = opened;
    const batches = numberField(TASK, state, 'batches');
    const totals = LazyAggregate.decodeFields(state, bucketSeconds, maxServices);
    const partial = PendingColumns.decodeFields(state, batchSize, bucketSeconds);
    const { events } = totals.counts;
    // Every batch holds from 1 to batchSize events.
    if (!isCount(batches) || batches > events || events > batches * batchSize) {
      throw new StateError(`${TASK} state: ${batches} batches cannot hold ${events} events`);
    }
    return new LazyGroupsState(batchSize, bucketSeconds, maxServices, totals, partial, batches);
  }

  private encodedOptions(): EncodedState['options'] {
    return encodeOptions(this);
  }

  private requireSettled(): void {
    if (this.inFlight > 0) {
      throw new StateError(`${TASK} state: ${this.inFlight} batches are still being reduced`);
    }
  }

  /** Reduces a batch this state cut for itself (never handed out) into the totals. */
  private reduceHere(batch: PendingBatch): void {
    this.include(reduceEncodedBatch(batch.encoded), batch.dictionary);
  }

  private include(reduced: ReducedBatch, dictionary: readonly string[]): void {
    this.totals.absorb(reduced, dictionary);
    this.reducedBatches += 1;
  }
}

interface Shape {
  readonly batchSize: number;
  /** 0: no buckets. */
  readonly bucketSeconds: number;
  readonly maxServices: number;
}

/** @throws {RangeError} naming the option out of range. */
export function validateStateOptions(options: LazyGroupsStateOptions): Shape {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const every = options.groupEverySeconds;
  if (!isBatchSize(batchSize)) {
    throw new RangeError(`batchSize must be an integer from 1 to 2^32 - 1, got ${batchSize}`);
  }
  if (every !== undefined && !isBucketWidth(every)) {
    throw new RangeError(`groupEverySeconds must be a finite number > 0, got ${every}`);
  }
  const maxServices = checkMaxServices(options.maxServices ?? DEFAULT_MAX_SERVICES);
  return { batchSize, bucketSeconds: every ?? 0, maxServices };
}

function encodeOptions({ batchSize, bucketSeconds, maxServices }: Shape): EncodedState['options'] {
  return { batchSize, groupEverySeconds: bucketSeconds > 0 ? bucketSeconds : null, maxServices };
}

function decodeOptions(options: EncodedState['options']): Shape {
  const { batchSize, groupEverySeconds } = options;
  if (!isBatchSize(batchSize)) {
    throw new StateError(
      `${TASK} state: batchSize ${JSON.stringify(batchSize) ?? 'missing'} is out of range`,
    );
  }
  if (groupEverySeconds !== null && !isBucketWidth(groupEverySeconds)) {
    throw new StateError(
      `${TASK} state: groupEverySeconds ${JSON.stringify(groupEverySeconds) ?? 'missing'} is out of range`,
    );
  }
  return {
    batchSize,
    bucketSeconds: groupEverySeconds ?? 0,
    maxServices: maxServicesOption(TASK, options),
  };
}

function isBatchSize(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_BATCH_SIZE;
}

function isBucketWidth(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function toRecord(totals: LazyAggregate, batches: number): BatchedLazyGroupsRecord {
  const { counts } = totals;
  const record: BatchedLazyGroupsRecord = {
    task: TASK,
    events: counts.events,
    successes: counts.successes,
    total: counts.total,
    rate: rate(counts.successes, counts.total),
    services: counts.services(),
    batches,
  };
  return totals.bucketSeconds > 0 ? { ...record, buckets: totals.bucketList() } : record;
}
