/**
 * The reduction kernel of Task 5: one batch of dictionary-encoded columns in, per-service
 * (and per time bucket) success counts out. It runs in the calling thread or, from the
 * compiled package, in a worker thread (src/threads), so its input and output are typed
 * arrays and plain values only: they cross threads by transfer, not by copy.
 */
import { NO_STATUS } from '../batch.js';
import { isSuccess } from '../event.js';

/** One batch in columns, services as ids into a dictionary that stays in the calling thread. */
export interface EncodedBatch {
  /** Events in the batch; the columns may be longer (their spare capacity is ignored). */
  readonly length: number;
  /** Distinct services in the batch: ids run from 0 to `serviceCount - 1`. */
  readonly serviceCount: number;
  readonly serviceIds: Uint32Array;
  /** Status codes, {@link NO_STATUS} when the message has none. */
  readonly statuses: Uint16Array;
  /** Epoch seconds. */
  readonly times: Float64Array;
  /** Width of the time buckets in seconds; 0 when the events are not bucketed. */
  readonly bucketSeconds: number;
}

/**
 * The partial aggregate of one batch, in columns indexed by service id; buckets are parallel
 * columns with one entry per (service, bucket) that holds at least one event.
 */
export interface ReducedBatch {
  readonly events: number;
  readonly serviceSuccesses: Uint32Array;
  /** Events with a status, per service. */
  readonly serviceTotals: Uint32Array;
  readonly bucketServices: Uint32Array;
  /** `floor(time / bucketSeconds)`: the bucket starts at `index * bucketSeconds`. */
  readonly bucketIndexes: Float64Array;
  readonly bucketSuccesses: Uint32Array;
  readonly bucketTotals: Uint32Array;
}

/** Counts successes and events with a status per service and per (service, bucket). */
export function reduceEncodedBatch(batch: EncodedBatch): ReducedBatch {
  const { length, serviceCount, serviceIds, statuses, times, bucketSeconds } = batch;
  const serviceSuccesses = new Uint32Array(serviceCount);
  const serviceTotals = new Uint32Array(serviceCount);
  const bucketing = bucketSeconds > 0;
  // Per service id: bucket index -> slot in the growing bucket columns below.
  const slotsByService: (Map<number, number> | undefined)[] = [];
  const services: number[] = [];
  const indexes: number[] = [];
  const successes: number[] = [];
  const totals: number[] = [];
  for (let i = 0; i < length; i++) {
    const id = serviceIds[i]!;
    const status = statuses[i]!;
    const counted = status !== NO_STATUS ? 1 : 0;
    const success = isSuccess(status) ? 1 : 0;
    serviceTotals[id]! += counted;
    serviceSuccesses[id]! += success;
    if (!bucketing) continue;
    const index = Math.floor(times[i]! / bucketSeconds);
    let slots = slotsByService[id];
    if (slots === undefined) {
      slots = new Map();
      slotsByService[id] = slots;
    }
    let slot = slots.get(index);
    if (slot === undefined) {
      slot = services.length;
      slots.set(index, slot);
      services.push(id);
      indexes.push(index);
      successes.push(0);
      totals.push(0);
    }
    totals[slot]! += counted;
    successes[slot]! += success;
  }
  return {
    events: length,
    serviceSuccesses,
    serviceTotals,
    bucketServices: Uint32Array.from(services),
    bucketIndexes: Float64Array.from(indexes),
    bucketSuccesses: Uint32Array.from(successes),
    bucketTotals: Uint32Array.from(totals),
  };
}

/** The buffers of an encoded batch, to transfer (move) rather than copy to another thread. */
export function encodedBuffers(batch: EncodedBatch): ArrayBuffer[] {
  return [batch.serviceIds.buffer, batch.statuses.buffer, batch.times.buffer] as ArrayBuffer[];
}

/** The buffers of a reduced batch, to transfer (move) rather than copy between threads. */
export function reducedBuffers(reduced: ReducedBatch): ArrayBuffer[] {
  return [
    reduced.serviceSuccesses.buffer,
    reduced.serviceTotals.buffer,
    reduced.bucketServices.buffer,
    reduced.bucketIndexes.buffer,
    reduced.bucketSuccesses.buffer,
    reduced.bucketTotals.buffer,
  ] as ArrayBuffer[];
}
