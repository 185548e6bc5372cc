import { type EventInput, type LogEvent, type ParsedEvent, validateEvent } from './event.js';
import { StringCodes } from './string-codes.js';

/**
 * Marks "no status code" in {@link EventBatch.statuses}. Not 0: `HTTP Status Code: 000`
 * is a status (of neither class) and must still count in rates.
 */
export const NO_STATUS = 0xffff;

/**
 * A batch of valid events in columns: what the sources emit and what every operator loops
 * over. Made once where bytes are read and handed on as it is (across threads too: every
 * column is a typed array or a short list of distinct strings).
 *
 * Services and messages are dictionary-coded: `serviceNames[serviceIds[i]]` is the service
 * of event `i`. The ids are this batch's own (0 … names − 1, in order of first appearance);
 * a task's state turns them into its own ids once per distinct name
 * ({@link StringCodes.translate}) and keys its counts by id, so no operator hashes a string
 * per event. The status code and epoch time are computed once, not once per operator.
 */
export class EventBatch {
  readonly length: number;

  constructor(
    /** The service of each event, as an index into {@link serviceNames}. */
    readonly serviceIds: Uint32Array,
    /** The batch's distinct services. */
    readonly serviceNames: readonly string[],
    /** Epoch seconds of each event. */
    readonly times: Float64Array,
    /** Status code of each event, {@link NO_STATUS} when the message has none. */
    readonly statuses: Uint16Array,
    /** The message of each event, as an index into {@link messageTexts}. */
    readonly messageIds: Uint32Array,
    /** The batch's distinct messages. */
    readonly messageTexts: readonly string[],
    /**
     * The events as they arrived, at their indexes, when the source kept them (holes
     * elsewhere); a source that scans columns straight from bytes does not, and
     * {@link eventAt} rebuilds the event instead.
     */
    readonly events?: readonly (LogEvent | undefined)[],
  ) {
    this.length = times.length;
  }

  /** The service of event `i`. */
  service(i: number): string {
    return this.serviceNames[this.serviceIds[i]!]!;
  }

  /** The message of event `i`. */
  message(i: number): string {
    return this.messageTexts[this.messageIds[i]!]!;
  }

  /** Every event's service, decoded: O(length), for inspection and tests, not for operators. */
  get services(): string[] {
    return Array.from(this.serviceIds, (id) => this.serviceNames[id]!);
  }

  /** Every event's message, decoded: O(length), for inspection and tests, not for operators. */
  get messages(): string[] {
    return Array.from(this.messageIds, (id) => this.messageTexts[id]!);
  }

  /** The `i`-th event: as it arrived when kept, otherwise rebuilt from the columns. */
  eventAt(i: number): LogEvent {
    return (
      this.events?.[i] ?? {
        service: this.service(i),
        timestamp: this.times[i]!,
        message: this.message(i),
      }
    );
  }

  /** A batch of already validated events. */
  static fromParsed(parsed: readonly ParsedEvent[]): EventBatch {
    return EventBatch.fromColumns(
      parsed.map((e) => e.service),
      Float64Array.from(parsed, (e) => e.time),
      Uint16Array.from(parsed, (e) => e.status ?? NO_STATUS),
      parsed.map((e) => e.message),
      parsed.map((e) => e.event),
    );
  }

  /** A batch of plain columns, its services and messages dictionary-coded here. */
  static fromColumns(
    services: readonly string[],
    times: Float64Array,
    statuses: Uint16Array,
    messages: readonly string[],
    events?: readonly (LogEvent | undefined)[],
  ): EventBatch {
    const serviceCodes = new StringCodes();
    const messageCodes = new StringCodes();
    return new EventBatch(
      Uint32Array.from(services, (service) => serviceCodes.code(service)),
      serviceCodes.values,
      times,
      statuses,
      Uint32Array.from(messages, (message) => messageCodes.code(message)),
      messageCodes.values,
      events,
    );
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
