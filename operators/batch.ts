import { type EventInput, type LogEvent, type ParsedEvent, validateEvent } from './event.js';

/**
 * Marks "no status code" in {@link EventBatch.statuses}. Not 0: `HTTP Status Code: 000`
 * is a status (of neither class) and must still count in rates.
 */
export const NO_STATUS = 0xffff;

/**
 * A batch of valid events in columns: what the sources emit and what every operator loops
 * over. Columns keep the per-event work of six operators to array reads, with the status
 * code and epoch time computed once instead of once per operator.
 */
export class EventBatch {
  readonly length: number;

  constructor(
    /** The service of each event. */
    readonly services: readonly string[],
    /** Epoch seconds of each event. */
    readonly times: Float64Array,
    /** Status code of each event, {@link NO_STATUS} when the message has none. */
    readonly statuses: Uint16Array,
    /** The message of each event. */
    readonly messages: readonly string[],
    /**
     * The events as they arrived, when the source kept them; a source that scans columns
     * straight from bytes does not, and {@link eventAt} rebuilds the event instead.
     */
    readonly events?: readonly LogEvent[],
  ) {
    this.length = services.length;
  }

  /** The `i`-th event: as it arrived when kept, otherwise rebuilt from the columns. */
  eventAt(i: number): LogEvent {
    return (
      this.events?.[i] ?? {
        service: this.services[i]!,
        timestamp: this.times[i]!,
        message: this.messages[i]!,
      }
    );
  }

  /** A batch of already validated events. */
  static fromParsed(parsed: readonly ParsedEvent[]): EventBatch {
    const n = parsed.length;
    const services = new Array<string>(n);
    const times = new Float64Array(n);
    const statuses = new Uint16Array(n);
    const messages = new Array<string>(n);
    const events = new Array<LogEvent>(n);
    for (let i = 0; i < n; i++) {
      const e = parsed[i]!;
      services[i] = e.service;
      times[i] = e.time;
      statuses[i] = e.status ?? NO_STATUS;
      messages[i] = e.message;
      events[i] = e.event;
    }
    return new EventBatch(services, times, statuses, messages, events);
  }

  /**
   * The batch of an operator's input value: a batch as it is, or one event or an array of
   * events validated, with invalid events left out (sources report them; operators only
   * compute over valid events).
   */
  static of(input: EventInput | EventBatch): EventBatch {
    if (input instanceof EventBatch) return input;
    const values: readonly unknown[] = Array.isArray(input) ? input : [input];
    const parsed: ParsedEvent[] = [];
    for (const value of values) {
      const result = validateEvent(value);
      if (result.ok) parsed.push(result.event);
    }
    return EventBatch.fromParsed(parsed);
  }
}

/** What operators accept: one event, an array of events, or a columnar batch. */
export type OperatorInput = EventInput | EventBatch;
