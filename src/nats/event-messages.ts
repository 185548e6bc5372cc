/**
 * Events as JetStream messages: one event per message, its body the event in the standard
 * shape (`{service, timestamp, message}`, the timestamp as epoch seconds), whatever field
 * names and timestamp format the publisher's source used. Workers gather the bodies of one
 * source batch back into one columnar {@link EventBatch}.
 */
import { EventBatch, NO_STATUS } from '../../operators/batch.js';
import { parseStatus } from '../../operators/event.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The message body of event `i` of `batch`. */
export function eventBody(batch: EventBatch, i: number): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      service: batch.service(i),
      timestamp: batch.times[i],
      message: batch.message(i),
    }),
  );
}

/** Why a message body is not an event (a stream written by something else than `publish`). */
export class EventBodyError extends Error {
  override readonly name = 'EventBodyError';
}

/** The events of consecutive messages, gathered into columns until {@link take}. */
export class EventGatherer {
  private services: string[] = [];
  private times: number[] = [];
  private statuses: number[] = [];
  private messages: string[] = [];

  get length(): number {
    return this.times.length;
  }

  /** @throws {EventBodyError} when `body` is not an event in the standard shape. */
  add(body: Uint8Array): void {
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(body));
    } catch {
      throw new EventBodyError('not JSON');
    }
    const { service, timestamp, message } = (value ?? {}) as Record<string, unknown>;
    if (typeof service !== 'string' || service === '') throw new EventBodyError('no service');
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
      throw new EventBodyError('no epoch timestamp');
    }
    if (typeof message !== 'string') throw new EventBodyError('no message');
    this.services.push(service);
    this.times.push(timestamp);
    this.statuses.push(parseStatus(message) ?? NO_STATUS);
    this.messages.push(message);
  }

  /** The events gathered since the last take, as one batch; the gatherer starts empty again. */
  take(): EventBatch {
    const batch = EventBatch.fromColumns(
      this.services,
      Float64Array.from(this.times),
      Uint16Array.from(this.statuses),
      this.messages,
    );
    this.clear();
    return batch;
  }

  clear(): void {
    this.services = [];
    this.times = [];
    this.statuses = [];
    this.messages = [];
  }
}
