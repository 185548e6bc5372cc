import { rate } from './event.js';
import type { ReducedBatch } from './lazy-groups-kernel.js';
import { byServiceName } from './records.js';
import { SuccessCounts, type SuccessTally } from './success-counts.js';

/** Successes per service per time bucket, like Polars' `group_by_dynamic`. */
export interface ServiceBucket {
  readonly service: string;
  /** `floor(t / every) * every`, epoch seconds; the bucket is `[start, start + every)`. */
  readonly start: number;
  readonly successes: number;
  /** Events of this service in the bucket that have a status. */
  readonly total: number;
  readonly rate: number | null;
}

/**
 * The partial aggregate of Task 5: success counts per service and, when bucketing, per
 * (service, time bucket). Everything is a sum, so the aggregates of any split of the input
 * merge, in any grouping, into the aggregate of the whole.
 */
export class LazyAggregate {
  readonly counts = new SuccessCounts();
  /** Service -> bucket index (`floor(t / bucketSeconds)`) -> counts; empty without buckets. */
  readonly buckets = new Map<string, Map<number, SuccessTally>>();

  /** `bucketSeconds` is the bucket width, 0 for no buckets. */
  constructor(readonly bucketSeconds: number) {}

  /** The aggregate of one reduced batch, naming its service ids with `dictionary`. */
  static fromReduced(
    reduced: ReducedBatch,
    dictionary: readonly string[],
    bucketSeconds: number,
  ): LazyAggregate {
    const aggregate = new LazyAggregate(bucketSeconds);
    const { counts } = aggregate;
    counts.events = reduced.events;
    for (let id = 0; id < dictionary.length; id++) {
      const successes = reduced.serviceSuccesses[id]!;
      const total = reduced.serviceTotals[id]!;
      counts.byService.set(dictionary[id]!, { successes, total });
      counts.successes += successes;
      counts.total += total;
    }
    for (let slot = 0; slot < reduced.bucketServices.length; slot++) {
      const service = dictionary[reduced.bucketServices[slot]!]!;
      aggregate.bucketsOf(service).set(reduced.bucketIndexes[slot]!, {
        successes: reduced.bucketSuccesses[slot]!,
        total: reduced.bucketTotals[slot]!,
      });
    }
    return aggregate;
  }

  /** Adds another partial aggregate (over the same bucket width) into this one. */
  merge(other: LazyAggregate): this {
    this.counts.merge(other.counts);
    for (const [service, theirs] of other.buckets) {
      const ours = this.bucketsOf(service);
      for (const [index, tally] of theirs) {
        const bucket = ours.get(index);
        if (bucket === undefined) ours.set(index, { ...tally });
        else {
          bucket.successes += tally.successes;
          bucket.total += tally.total;
        }
      }
    }
    return this;
  }

  /** Every (service, bucket) with an event, sorted by service name, then start. */
  bucketList(): ServiceBucket[] {
    const list: ServiceBucket[] = [];
    for (const [service, buckets] of [...this.buckets].sort(([a], [b]) =>
      byServiceName({ service: a }, { service: b }),
    )) {
      for (const index of [...buckets.keys()].sort((a, b) => a - b)) {
        const { successes, total } = buckets.get(index)!;
        const start = index * this.bucketSeconds;
        list.push({ service, start, successes, total, rate: rate(successes, total) });
      }
    }
    return list;
  }

  private bucketsOf(service: string): Map<number, SuccessTally> {
    let buckets = this.buckets.get(service);
    if (buckets === undefined) {
      buckets = new Map();
      this.buckets.set(service, buckets);
    }
    return buckets;
  }
}
