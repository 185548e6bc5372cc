import type { EventBatch } from '../batch.js';
import { grown } from '../columns.js';
import { StringCodes } from '../string-codes.js';
import { columnField, encodeColumn, StateError, stringsField } from '../task-state.js';
import type { EncodedBatch } from './kernel.js';

/** A batch ready to reduce, with the dictionary that names its service ids. */
export interface PendingBatch {
  readonly encoded: EncodedBatch;
  /** `dictionary[id]` is the service of id `id`. */
  readonly dictionary: readonly string[];
}

/** The pending batch as {@link PendingColumns.encodeFields} writes it into a state's JSON. */
export interface EncodedPending {
  readonly pendingServices: readonly string[];
  readonly pendingServiceIds: string;
  readonly pendingStatuses: string;
  readonly pendingTimes: string;
}

// Small inputs (tests, a quiet live source) should not allocate a full batch up front.
const INITIAL_CAPACITY = 1024;

/**
 * The partial batch of Task 5: events waiting for their batch of exactly `batchSize` to
 * complete, kept as columns with services as ids into the batch's own dictionary (in order
 * of first appearance), so a waiting event costs 14 bytes of typed arrays and no reference
 * to the event itself. Columns start small and double up to `batchSize`; a batch handed out
 * gives its arrays away (they may be transferred to a worker), and the next one starts at
 * the capacity reached. Memory: one batch of columns plus its dictionary, whatever the input.
 */
export class PendingColumns {
  /** The size of the next columns to allocate: what the previous batch reached. */
  private capacity: number;
  private count = 0;
  // Allocated on the first event of a batch, so a flushed batch holds no memory.
  private serviceIds = new Uint32Array(0);
  private statuses = new Uint16Array(0);
  private times = new Float64Array(0);
  private codes = new StringCodes();

  constructor(
    readonly batchSize: number,
    readonly bucketSeconds: number,
  ) {
    this.capacity = Math.min(batchSize, INITIAL_CAPACITY);
  }

  /** Events waiting for their batch to complete. */
  get length(): number {
    return this.count;
  }

  /** The services of the waiting events. */
  get services(): readonly string[] {
    return this.codes.values;
  }

  /** Appends every event of `batch`; returns the batches it completed, in order. */
  append(batch: EventBatch): PendingBatch[] {
    const { serviceNames, serviceIds, statuses, times } = batch;
    return this.appendCoded(serviceNames, serviceIds, statuses, times, batch.length);
  }

  /** Appends the waiting events of `other`, after this one's; returns the batches completed. */
  appendPending(other: PendingColumns): PendingBatch[] {
    const { codes, serviceIds, statuses, times, count } = other;
    return this.appendCoded(codes.values, serviceIds, statuses, times, count);
  }

  /**
   * The waiting events as a batch that shares this one's columns: to reduce in the calling
   * thread only (never to transfer), and only before this changes again.
   */
  view(): PendingBatch {
    return { encoded: this.encoded(), dictionary: this.codes.values };
  }

  /** A copy that shares nothing with this one. */
  copy(): PendingColumns {
    const copy = new PendingColumns(this.batchSize, this.bucketSeconds);
    copy.appendPending(this);
    return copy;
  }

  /** The waiting events as JSON-safe fields (typed arrays as base64). */
  encodeFields(): EncodedPending {
    const n = this.count;
    return {
      pendingServices: [...this.codes.values],
      pendingServiceIds: encodeColumn(this.serviceIds.subarray(0, n)),
      pendingStatuses: encodeColumn(this.statuses.subarray(0, n)),
      pendingTimes: encodeColumn(this.times.subarray(0, n)),
    };
  }

  /** The pending batch of a decoded state's fields. @throws {StateError} on corrupt fields. */
  static decodeFields(fields: object, batchSize: number, bucketSeconds: number): PendingColumns {
    const task = 'lazy-groups';
    const names = stringsField(task, fields, 'pendingServices');
    const ids = columnField(task, fields, 'pendingServiceIds', Uint32Array);
    const statuses = columnField(task, fields, 'pendingStatuses', Uint16Array);
    const times = columnField(task, fields, 'pendingTimes', Float64Array);
    const n = ids.length;
    if (statuses.length !== n || times.length !== n) {
      throw new StateError(`${task} state: the pending columns differ in length`);
    }
    if (n >= batchSize) {
      throw new StateError(`${task} state: ${n} pending events, a batch holds ${batchSize}`);
    }
    for (let i = 0; i < n; i++) {
      if (ids[i]! >= names.length) {
        throw new StateError(`${task} state: pending service id ${ids[i]} has no name`);
      }
      if (!Number.isFinite(times[i]!)) {
        throw new StateError(`${task} state: pending time ${times[i]} is not a number`);
      }
    }
    // Appended afresh, so the dictionary is rebuilt in order of first appearance.
    const pending = new PendingColumns(batchSize, bucketSeconds);
    pending.appendCoded(names, ids, statuses, times, n);
    return pending;
  }

  /**
   * Appends `length` events whose services are ids into `names`. Each name is coded here
   * once per batch it lands in, at its first event there, so a dictionary names exactly the
   * services of its batch (a record lists a service only once it has an event).
   */
  private appendCoded(
    names: readonly string[],
    serviceIds: Uint32Array,
    statuses: Uint16Array,
    times: Float64Array,
    length: number,
  ): PendingBatch[] {
    const completed: PendingBatch[] = [];
    const ours = new Int32Array(names.length).fill(-1);
    for (let i = 0; i < length; i++) {
      if (this.count === this.serviceIds.length) this.grow();
      const theirs = serviceIds[i]!;
      let id = ours[theirs]!;
      if (id < 0) {
        id = this.codes.code(names[theirs]!);
        ours[theirs] = id;
      }
      this.serviceIds[this.count] = id;
      this.statuses[this.count] = statuses[i]!;
      this.times[this.count] = times[i]!;
      this.count += 1;
      if (this.count === this.batchSize) {
        completed.push(this.cut());
        ours.fill(-1);
      }
    }
    return completed;
  }

  private encoded(): EncodedBatch {
    return {
      length: this.count,
      serviceCount: this.codes.size,
      serviceIds: this.serviceIds,
      statuses: this.statuses,
      times: this.times,
      bucketSeconds: this.bucketSeconds,
    };
  }

  private cut(): PendingBatch {
    const taken: PendingBatch = { encoded: this.encoded(), dictionary: this.codes.values };
    this.count = 0;
    this.serviceIds = new Uint32Array(0);
    this.statuses = new Uint16Array(0);
    this.times = new Float64Array(0);
    this.codes = new StringCodes();
    return taken;
  }

  private grow(): void {
    const size = this.serviceIds.length;
    this.capacity = size === 0 ? this.capacity : Math.min(this.batchSize, size * 2);
    this.serviceIds = grown(this.serviceIds, this.capacity);
    this.statuses = grown(this.statuses, this.capacity);
    this.times = grown(this.times, this.capacity);
  }
}
