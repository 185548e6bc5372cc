import type { EventBatch } from './batch.js';
import type { EncodedBatch } from './lazy-groups-kernel.js';

/** A batch ready to reduce, with the dictionary that names its service ids. */
export interface PendingBatch {
  readonly encoded: EncodedBatch;
  /** `dictionary[id]` is the service of id `id`. */
  readonly dictionary: readonly string[];
}

// Small inputs (tests, a quiet live source) should not allocate a full batch up front.
const INITIAL_CAPACITY = 1024;

/**
 * Cuts a stream of event batches of any sizes into batches of exactly `batchSize` events,
 * encoded on the way in: services become ids into a per-batch dictionary, so a waiting
 * event costs 14 bytes of typed arrays and no reference to the event itself. Columns start
 * small and double up to `batchSize`; a batch handed out gives its arrays away (they may be
 * transferred to a worker), and the next one starts at the capacity reached. Memory: one
 * batch of columns plus its dictionary, whatever the input size.
 */
export class BatchBuilder {
  /** The size of the next columns to allocate: what the previous batch reached. */
  private capacity: number;
  private length = 0;
  // Allocated on the first event of a batch, so a flushed builder holds no memory.
  private serviceIds = new Uint32Array(0);
  private statuses = new Uint16Array(0);
  private times = new Float64Array(0);
  private dictionary: string[] = [];
  private idOf = new Map<string, number>();

  constructor(
    private readonly batchSize: number,
    private readonly bucketSeconds: number,
  ) {
    this.capacity = Math.min(batchSize, INITIAL_CAPACITY);
  }

  /** Events waiting for their batch to complete. */
  get pending(): number {
    return this.length;
  }

  /** Appends every event of `batch`; returns the batches it completed, in order. */
  add(batch: EventBatch): PendingBatch[] {
    const completed: PendingBatch[] = [];
    const { services, statuses, times } = batch;
    let lastService: string | undefined;
    let lastId = 0;
    for (let i = 0; i < batch.length; i++) {
      if (this.length === this.serviceIds.length) this.grow();
      const service = services[i]!;
      // Logs often come in runs of one service: skip the Map lookup for a repeat.
      if (service !== lastService) {
        lastService = service;
        lastId = this.idFor(service);
      }
      this.serviceIds[this.length] = lastId;
      this.statuses[this.length] = statuses[i]!;
      this.times[this.length] = times[i]!;
      this.length += 1;
      if (this.length === this.batchSize) {
        completed.push(this.take());
        lastService = undefined;
      }
    }
    return completed;
  }

  /** The waiting events as a (short) batch, or `undefined` when none wait. */
  flush(): PendingBatch | undefined {
    return this.length === 0 ? undefined : this.take();
  }

  private take(): PendingBatch {
    const taken: PendingBatch = {
      encoded: {
        length: this.length,
        serviceCount: this.dictionary.length,
        serviceIds: this.serviceIds,
        statuses: this.statuses,
        times: this.times,
        bucketSeconds: this.bucketSeconds,
      },
      dictionary: this.dictionary,
    };
    this.length = 0;
    this.serviceIds = new Uint32Array(0);
    this.statuses = new Uint16Array(0);
    this.times = new Float64Array(0);
    this.dictionary = [];
    this.idOf = new Map();
    return taken;
  }

  private grow(): void {
    const size = this.serviceIds.length;
    this.capacity = size === 0 ? this.capacity : Math.min(this.batchSize, size * 2);
    const serviceIds = new Uint32Array(this.capacity);
    const statuses = new Uint16Array(this.capacity);
    const times = new Float64Array(this.capacity);
    serviceIds.set(this.serviceIds);
    statuses.set(this.statuses);
    times.set(this.times);
    this.serviceIds = serviceIds;
    this.statuses = statuses;
    this.times = times;
  }

  private idFor(service: string): number {
    let id = this.idOf.get(service);
    if (id === undefined) {
      id = this.dictionary.length;
      this.dictionary.push(service);
      this.idOf.set(service, id);
    }
    return id;
  }
}
