import { capacityFor, grown, MIN_SERVICE_ROWS } from './columns.js';
import { rate } from './event.js';
import { byServiceName, type ServiceFailure } from './records.js';

/**
 * The running totals of a Task 2 window, for both clocks: per service id its events (with
 * or without a status), failures and events with a status, the window's failures and
 * total, and the ids present (with an event in the window), so that a record costs the
 * services present, not every service ever named. The event clock adds and removes one
 * event at a time, the processing clock a pane's counts at a time.
 */
export class WindowTotals {
  /** Per service id. */
  events = new Float64Array(MIN_SERVICE_ROWS);
  failuresOf = new Float64Array(MIN_SERVICE_ROWS);
  totalOf = new Float64Array(MIN_SERVICE_ROWS);
  /** The ids with events in the window (the first `presentCount`), and each one's index there. */
  present = new Uint32Array(MIN_SERVICE_ROWS);
  presentAt = new Uint32Array(MIN_SERVICE_ROWS);
  presentCount = 0;
  failures = 0;
  total = 0;

  /** Adds counts of service `id`, which must have room ({@link grow}). */
  add(id: number, events: number, failures: number, total: number): void {
    if (this.events[id] === 0) {
      this.presentAt[id] = this.presentCount;
      this.present[this.presentCount] = id;
      this.presentCount += 1;
    }
    this.events[id]! += events;
    this.failuresOf[id]! += failures;
    this.totalOf[id]! += total;
    this.failures += failures;
    this.total += total;
  }

  /**
   * Adds one event of service `id`: {@link add} of one event, for the event clock's loop over
   * every event (branches instead of adding zeros: through {@link add}, the event clock's
   * window took about 12 % longer).
   */
  addOne(id: number, withStatus: boolean, failure: boolean): void {
    if (this.events[id] === 0) {
      this.presentAt[id] = this.presentCount;
      this.present[this.presentCount] = id;
      this.presentCount += 1;
    }
    this.events[id]! += 1;
    if (withStatus) {
      this.totalOf[id]! += 1;
      this.total += 1;
    }
    if (failure) {
      this.failuresOf[id]! += 1;
      this.failures += 1;
    }
  }

  /** Takes one event of service `id` out ({@link remove} of 1 event). */
  removeOne(id: number, withStatus: boolean, failure: boolean): void {
    if (withStatus) {
      this.totalOf[id]! -= 1;
      this.total -= 1;
    }
    if (failure) {
      this.failuresOf[id]! -= 1;
      this.failures -= 1;
    }
    this.events[id]! -= 1;
    if (this.events[id] === 0) this.leave(id);
  }

  /** Takes counts of service `id` out; a service left with no event is no longer present. */
  remove(id: number, events: number, failures: number, total: number): void {
    this.failuresOf[id]! -= failures;
    this.totalOf[id]! -= total;
    this.failures -= failures;
    this.total -= total;
    this.events[id]! -= events;
    if (this.events[id] === 0) this.leave(id);
  }

  /** Swap-removes `id` from the present ids, so a record costs the services present only. */
  private leave(id: number): void {
    this.presentCount -= 1;
    const moved = this.present[this.presentCount]!;
    const at = this.presentAt[id]!;
    this.present[at] = moved;
    this.presentAt[moved] = at;
  }

  /** The ids present, in no set order (a view: valid until the next change). */
  presentIds(): Uint32Array {
    return this.present.subarray(0, this.presentCount);
  }

  /** The services present, named by `names` (by id), sorted by name. */
  services(names: readonly string[]): ServiceFailure[] {
    const services: ServiceFailure[] = [];
    for (let k = 0; k < this.presentCount; k++) {
      const id = this.present[k]!;
      const failures = this.failuresOf[id]!;
      const total = this.totalOf[id]!;
      services.push({ service: names[id]!, failures, total, rate: rate(failures, total) });
    }
    return services.sort(byServiceName);
  }

  /** Makes room for the counts of ids below `size`. */
  grow(size: number): void {
    if (size <= this.events.length) return;
    const capacity = capacityFor(size);
    this.events = grown(this.events, capacity);
    this.failuresOf = grown(this.failuresOf, capacity);
    this.totalOf = grown(this.totalOf, capacity);
    this.present = grown(this.present, capacity);
    this.presentAt = grown(this.presentAt, capacity);
  }

  /**
   * Moves every present id to `renumbered[id]`, in columns sized for `size` ids, keeping
   * the order of the present ids (after a state forgot the names of services gone).
   */
  renumber(renumbered: Uint32Array, size: number): void {
    const capacity = capacityFor(size);
    const events = new Float64Array(capacity);
    const failuresOf = new Float64Array(capacity);
    const totalOf = new Float64Array(capacity);
    const present = new Uint32Array(capacity);
    const presentAt = new Uint32Array(capacity);
    for (let k = 0; k < this.presentCount; k++) {
      const id = this.present[k]!;
      const moved = renumbered[id]!;
      events[moved] = this.events[id]!;
      failuresOf[moved] = this.failuresOf[id]!;
      totalOf[moved] = this.totalOf[id]!;
      present[k] = moved;
      presentAt[moved] = k;
    }
    this.events = events;
    this.failuresOf = failuresOf;
    this.totalOf = totalOf;
    this.present = present;
    this.presentAt = presentAt;
  }
}
