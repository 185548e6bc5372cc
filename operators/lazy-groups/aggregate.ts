import { rate } from '../event.js';
import { byServiceName, type ServiceBucket } from '../records.js';
import { serviceCodes } from '../service-limit.js';
import { SuccessCounts } from '../success-counts.js';
import {
  columnField,
  encodeColumn,
  isCount,
  requireWithinLimit,
  StateError,
  stringsField,
} from '../task-state.js';
import type { ReducedBatch } from './kernel.js';

interface BucketTally {
  successes: number;
  total: number;
}

/** The totals of Task 5 as JSON-safe fields (see {@link LazyAggregate.encodeFields}). */
export interface EncodedAggregate {
  readonly counts: ReturnType<SuccessCounts['encodeFields']>;
  /** Services with a bucket, sorted by name. */
  readonly bucketServices: readonly string[];
  /** Per bucket, sorted by service, then start: its service's index in `bucketServices`. */
  readonly bucketServiceIds: string;
  readonly bucketIndexes: string;
  readonly bucketSuccesses: string;
  readonly bucketTotals: string;
}

const TASK = 'lazy-groups';

/**
 * The totals of Task 5: success counts per service and, when bucketing, per (service, time
 * bucket). Everything is a sum, so the totals of any split of the input merge, in any
 * grouping, into the totals of the whole. Services past `maxServices` are counted
 * together as `(other)`, in the counts and the buckets alike.
 */
export class LazyAggregate {
  // Buckets are keyed by this aggregate's own service ids: a reduced batch's dictionary is
  // translated once per batch, not looked up once per bucket.
  private readonly bucketCodes;
  /** Per service id: bucket index (`floor(t / bucketSeconds)`) -> counts. */
  private readonly buckets: Map<number, BucketTally>[] = [];

  /** `bucketSeconds` is the bucket width, 0 for no buckets. */
  constructor(
    readonly bucketSeconds: number,
    readonly maxServices: number,
    readonly counts: SuccessCounts = new SuccessCounts(maxServices),
  ) {
    this.bucketCodes = serviceCodes(maxServices);
  }

  /** Adds one reduced batch, whose service ids `dictionary` names. */
  absorb(reduced: ReducedBatch, dictionary: readonly string[]): this {
    this.counts.addCounts(
      dictionary,
      reduced.serviceSuccesses,
      reduced.serviceTotals,
      reduced.events,
    );
    if (reduced.bucketServices.length === 0) return this;
    const ours = this.bucketCodes.translate(dictionary);
    for (let slot = 0; slot < reduced.bucketServices.length; slot++) {
      this.addBucket(
        ours[reduced.bucketServices[slot]!]!,
        reduced.bucketIndexes[slot]!,
        reduced.bucketSuccesses[slot]!,
        reduced.bucketTotals[slot]!,
      );
    }
    return this;
  }

  /** Adds the totals of another aggregate (over the same bucket width) into this one. */
  mergeFrom(other: LazyAggregate): this {
    this.counts.mergeFrom(other.counts);
    const ours = this.bucketCodes.translate(other.bucketCodes.values);
    other.buckets.forEach((theirs, id) => {
      for (const [index, { successes, total }] of theirs) {
        this.addBucket(ours[id]!, index, successes, total);
      }
    });
    return this;
  }

  clone(): LazyAggregate {
    return new LazyAggregate(this.bucketSeconds, this.maxServices).mergeFrom(this);
  }

  /** Every (service, bucket) with an event, sorted by service name, then start. */
  bucketList(): ServiceBucket[] {
    const list: ServiceBucket[] = [];
    for (const { service, index, successes, total } of this.sortedBuckets()) {
      const start = index * this.bucketSeconds;
      list.push({ service, start, successes, total, rate: rate(successes, total) });
    }
    return list;
  }

  /** The totals as JSON-safe fields; buckets in one canonical order, whatever their history. */
  encodeFields(): EncodedAggregate {
    const sorted = this.sortedBuckets();
    const services: string[] = [];
    const serviceIds = new Uint32Array(sorted.length);
    sorted.forEach(({ service }, i) => {
      if (services.at(-1) !== service) services.push(service);
      serviceIds[i] = services.length - 1;
    });
    return {
      counts: this.counts.encodeFields(),
      bucketServices: services,
      bucketServiceIds: encodeColumn(serviceIds),
      bucketIndexes: encodeColumn(Float64Array.from(sorted, (b) => b.index)),
      bucketSuccesses: encodeColumn(Float64Array.from(sorted, (b) => b.successes)),
      bucketTotals: encodeColumn(Float64Array.from(sorted, (b) => b.total)),
    };
  }

  /** The totals of a decoded state's fields. @throws {StateError} on corrupt fields. */
  static decodeFields(fields: object, bucketSeconds: number, maxServices: number): LazyAggregate {
    const { counts } = fields as { counts?: unknown };
    if (typeof counts !== 'object' || counts === null) {
      throw new StateError(`${TASK} state: counts missing`);
    }
    const aggregate = new LazyAggregate(
      bucketSeconds,
      maxServices,
      SuccessCounts.decodeFields(TASK, counts, maxServices),
    );
    const names = stringsField(TASK, fields, 'bucketServices');
    requireWithinLimit(TASK, 'bucketServices', names, maxServices);
    const ids = columnField(TASK, fields, 'bucketServiceIds', Uint32Array);
    const indexes = columnField(TASK, fields, 'bucketIndexes', Float64Array);
    const successes = columnField(TASK, fields, 'bucketSuccesses', Float64Array);
    const totals = columnField(TASK, fields, 'bucketTotals', Float64Array);
    const n = ids.length;
    if (indexes.length !== n || successes.length !== n || totals.length !== n) {
      throw new StateError(`${TASK} state: the bucket columns differ in length`);
    }
    if (bucketSeconds === 0 && n > 0) {
      throw new StateError(`${TASK} state: buckets without groupEverySeconds`);
    }
    const ours = aggregate.bucketCodes.translate(names);
    for (let i = 0; i < n; i++) {
      const [id, index, success, total] = [ids[i]!, indexes[i]!, successes[i]!, totals[i]!];
      if (id >= names.length)
        throw new StateError(`${TASK} state: bucket service ${id} has no name`);
      // Not only safe integers: a timestamp far from zero has a bucket index as large, and
      // the state must read back what it wrote.
      if (!Number.isInteger(index)) {
        throw new StateError(`${TASK} state: bucket index ${index} is not an integer`);
      }
      if (!isCount(success) || !isCount(total) || success > total) {
        throw new StateError(`${TASK} state: bucket counts ${success} of ${total} are not counts`);
      }
      if (aggregate.buckets[ours[id]!]?.has(index)) {
        throw new StateError(`${TASK} state: bucket ${names[id]} ${index} appears twice`);
      }
      aggregate.addBucket(ours[id]!, index, success, total);
    }
    return aggregate;
  }

  private addBucket(id: number, index: number, successes: number, total: number): void {
    let buckets = this.buckets[id];
    if (buckets === undefined) {
      buckets = new Map();
      this.buckets[id] = buckets;
    }
    const bucket = buckets.get(index);
    if (bucket === undefined) buckets.set(index, { successes, total });
    else {
      bucket.successes += successes;
      bucket.total += total;
    }
  }

  private sortedBuckets(): { service: string; index: number; successes: number; total: number }[] {
    const services = this.bucketCodes.values
      .map((service, id) => ({ service, id }))
      .sort(byServiceName);
    const sorted = [];
    for (const { service, id } of services) {
      const buckets = this.buckets[id];
      if (buckets === undefined) continue;
      for (const index of [...buckets.keys()].sort((a, b) => a - b)) {
        sorted.push({ service, index, ...buckets.get(index)! });
      }
    }
    return sorted;
  }
}
