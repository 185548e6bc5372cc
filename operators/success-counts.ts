import { type EventBatch, NO_STATUS } from './batch.js';
import { rate } from './event.js';
import { byServiceName, type ServiceSuccess } from './records.js';

/** Successes and events with a status, for one service or for all. */
export interface SuccessTally {
  successes: number;
  total: number;
}

/**
 * Success counts per service: the state of Task 1 and the partial aggregate of Task 5.
 * Counts merge by addition, so partial aggregates of any split of the input merge, in any
 * order, into the counts of the whole.
 */
export class SuccessCounts {
  /** Valid events, with or without a status. */
  events = 0;
  successes = 0;
  total = 0;
  // A Map, not an object: services such as `__proto__` or `constructor` are plain keys here.
  readonly byService = new Map<string, SuccessTally>();

  /** Adds every event of a batch. */
  addBatch(batch: EventBatch): this {
    const { services, statuses } = batch;
    this.events += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const status = statuses[i]!;
      if (status === NO_STATUS) {
        this.tally(services[i]!);
        continue;
      }
      const success = status >= 200 && status <= 299 ? 1 : 0;
      const tally = this.tally(services[i]!);
      tally.total += 1;
      tally.successes += success;
      this.total += 1;
      this.successes += success;
    }
    return this;
  }

  /** Adds the counts of another partial aggregate. */
  merge(other: SuccessCounts): this {
    this.events += other.events;
    this.successes += other.successes;
    this.total += other.total;
    for (const [service, theirs] of other.byService) {
      const ours = this.tally(service);
      ours.successes += theirs.successes;
      ours.total += theirs.total;
    }
    return this;
  }

  /** Per-service counts and rates, sorted by service name. */
  services(): ServiceSuccess[] {
    return [...this.byService]
      .map(([service, { successes, total }]) => ({
        service,
        successes,
        total,
        rate: rate(successes, total),
      }))
      .sort(byServiceName);
  }

  private tally(service: string): SuccessTally {
    let tally = this.byService.get(service);
    if (tally === undefined) {
      tally = { successes: 0, total: 0 };
      this.byService.set(service, tally);
    }
    return tally;
  }
}
