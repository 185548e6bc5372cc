import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type { LogEvent } from '../../operators/event.js';

/**
 * The instant (epoch seconds) the operator specs count event times from: a multiple of every
 * window length and slide they use, so windows start at BASE_TIME + k·slide.
 */
export const BASE_TIME = 1_700_000_000;

/** The signature of {@link event}: `status` null gives a message without any status. */
export type EventBuilder = (service: string, offset: number, status: number | null) => LogEvent;

/**
 * A builder of events `offset` seconds after `start`, whose message holds the status as the
 * generator writes it (`HTTP Status Code: 200`), after `prefix`.
 */
export function eventBuilder({ start = BASE_TIME, prefix = '' } = {}): EventBuilder {
  return (service, offset, status) => ({
    service,
    timestamp: start + offset,
    message: status === null ? 'no code here' : `${prefix}HTTP Status Code: ${status}`,
  });
}

/** An event of `service`, `offset` seconds after BASE_TIME, with `status` or (null) none. */
export const event: EventBuilder = eventBuilder();

/** A TestScheduler for marble specs: frames compared with toEqual. */
export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}
