import { type EventBatch, NO_STATUS } from './batch.js';
import { grown } from './columns.js';
import { isSuccess, rate } from './event.js';
import { byServiceName, compareText, type ServiceSuccess, type TaskName } from './records.js';
import { DEFAULT_MAX_SERVICES, serviceCodes } from './service-limit.js';
import {
  columnField,
  encodeColumn,
  isCount,
  numberField,
  requireWithinLimit,
  StateError,
  stringsField,
} from './task-state.js';

/** Successes and events with a status, for one service or for all. */
export interface SuccessTally {
  successes: number;
  total: number;
}

/** {@link SuccessCounts} as JSON fields, part of a task's encoded state. */
export interface EncodedSuccessCounts {
  /** Every service seen, sorted by name (so equal counts encode equally). */
  readonly services: string[];
  /** Successes of each service, as {@link encodeColumn} of a Float64Array. */
  readonly successes: string;
  /** Events with a status of each service, as {@link encodeColumn} of a Float64Array. */
  readonly totals: string;
  /** Valid events, with or without a status. */
  readonly events: number;
}

const INITIAL_CAPACITY = 8;

/**
 * Success counts per service: the state of Task 1 and the partial aggregate of Task 5.
 *
 * Every count is a sum of integers (exact in a double up to 2^53), so counts of any split of
 * the input, merged in any order and grouping, equal the counts of the whole exactly. A
 * service seen only in events without a status is still listed, with a total of 0.
 *
 * Counts are kept in typed arrays indexed by the state's own service ids; a batch's ids are
 * translated once per batch, so adding an event costs no string hashing. At most
 * `maxServices` services are counted apart; the others are counted together under
 * `(other)` (see `service-limit.ts`), so totals stay exact however many services there are.
 */
export class SuccessCounts {
  private readonly codes;
  // Float64: exact integers far beyond the 2^32 events a Uint32 count would wrap at.
  private successesById: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private totalsById: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private eventCount = 0;
  private successCount = 0;
  private totalCount = 0;

  constructor(readonly maxServices = DEFAULT_MAX_SERVICES) {
    this.codes = serviceCodes(maxServices);
  }

  /**
   * Whether a service was counted as `(other)` for want of room since these counts were
   * made or decoded (a saved state keeps no such flag).
   */
  get overflowed(): boolean {
    return this.codes.overflowed;
  }

  /** Whether adding counts of these services would count one of them as `(other)`. */
  wouldOverflow(services: readonly string[]): boolean {
    return this.codes.wouldFold(services);
  }

  /** Valid events, with or without a status. */
  get events(): number {
    return this.eventCount;
  }

  /** Events with a 2xx status. */
  get successes(): number {
    return this.successCount;
  }

  /** Events with a status. */
  get total(): number {
    return this.totalCount;
  }

  /** Adds every event of a batch. */
  addBatch(batch: EventBatch): this {
    const ids = this.codes.translate(batch.serviceNames);
    this.reserve(this.codes.size);
    const { serviceIds, statuses } = batch;
    const successesById = this.successesById;
    const totalsById = this.totalsById;
    let successes = 0;
    let total = 0;
    for (let i = 0; i < statuses.length; i++) {
      const status = statuses[i]!;
      if (status === NO_STATUS) continue;
      const id = ids[serviceIds[i]!]!;
      totalsById[id]! += 1;
      total++;
      if (isSuccess(status)) {
        successesById[id]! += 1;
        successes++;
      }
    }
    this.eventCount += batch.length;
    this.successCount += successes;
    this.totalCount += total;
    return this;
  }

  /**
   * Adds per-service counts: `names[i]` had `successes[i]` successes among `totals[i]`
   * events with a status (a service with a total of 0 is still listed), and `events` valid
   * events in all, with or without a status.
   */
  addCounts(
    names: readonly string[],
    successes: ArrayLike<number>,
    totals: ArrayLike<number>,
    events: number,
  ): this {
    const ids = this.codes.translate(names);
    this.reserve(this.codes.size);
    for (let i = 0; i < names.length; i++) {
      const id = ids[i]!;
      const s = successes[i]!;
      const t = totals[i]!;
      this.successesById[id]! += s;
      this.totalsById[id]! += t;
      this.successCount += s;
      this.totalCount += t;
    }
    this.eventCount += events;
    return this;
  }

  /** Adds the counts of `other` into these, in place; `other` does not change. */
  mergeFrom(other: SuccessCounts): this {
    const size = other.codes.size;
    return this.addCounts(
      other.codes.values,
      other.successesById.subarray(0, size),
      other.totalsById.subarray(0, size),
      other.eventCount,
    );
  }

  /** An independent copy. */
  clone(): SuccessCounts {
    return new SuccessCounts(this.maxServices).mergeFrom(this);
  }

  /** Per-service counts and rates, sorted by service name. */
  services(): ServiceSuccess[] {
    const names = this.codes.values;
    const list: ServiceSuccess[] = [];
    for (let id = 0; id < names.length; id++) {
      const successes = this.successesById[id]!;
      const total = this.totalsById[id]!;
      list.push({ service: names[id]!, successes, total, rate: rate(successes, total) });
    }
    return list.sort(byServiceName);
  }

  /** One service's counts, or `undefined` when it was never seen. */
  tally(service: string): SuccessTally | undefined {
    const id = this.codes.find(service);
    if (id === undefined) return undefined;
    return { successes: this.successesById[id]!, total: this.totalsById[id]! };
  }

  /** The counts as JSON-safe fields, services in name order; {@link decodeFields} reads them. */
  encodeFields(): EncodedSuccessCounts {
    const names = this.codes.values;
    const order = Array.from(names, (_, id) => id).sort((a, b) =>
      compareText(names[a]!, names[b]!),
    );
    return {
      services: order.map((id) => names[id]!),
      successes: encodeColumn(Float64Array.from(order, (id) => this.successesById[id]!)),
      totals: encodeColumn(Float64Array.from(order, (id) => this.totalsById[id]!)),
      events: this.eventCount,
    };
  }

  /**
   * The counts of {@link encodeFields}' fields (other fields of `fields` are ignored).
   * @throws {StateError} naming the field when a field is missing, malformed or inconsistent.
   */
  static decodeFields(task: TaskName, fields: object, maxServices: number): SuccessCounts {
    const names = stringsField(task, fields, 'services');
    requireWithinLimit(task, 'services', names, maxServices);
    const successes = columnField(task, fields, 'successes', Float64Array);
    const totals = columnField(task, fields, 'totals', Float64Array);
    const events = numberField(task, fields, 'events');
    if (successes.length !== names.length || totals.length !== names.length) {
      throw new StateError(
        `${task} state: ${names.length} services but ${successes.length} success and ${totals.length} total counts`,
      );
    }
    if (new Set(names).size !== names.length) {
      throw new StateError(`${task} state: services lists a service twice`);
    }
    let total = 0;
    for (let i = 0; i < names.length; i++) {
      const s = successes[i]!;
      const t = totals[i]!;
      if (!isCount(s) || !isCount(t) || s > t) {
        throw new StateError(
          `${task} state: service ${JSON.stringify(names[i])} has ${s} successes among ${t} events`,
        );
      }
      total += t;
    }
    if (!isCount(events) || events < total) {
      throw new StateError(`${task} state: events is ${events}, below the ${total} with a status`);
    }
    return new SuccessCounts(maxServices).addCounts(names, successes, totals, events);
  }

  private reserve(size: number): void {
    if (size <= this.totalsById.length) return;
    let capacity = this.totalsById.length * 2;
    while (capacity < size) capacity *= 2;
    this.successesById = grown(this.successesById, capacity);
    this.totalsById = grown(this.totalsById, capacity);
  }
}
