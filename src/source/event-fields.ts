/**
 * Where an event's three fields are in the logs being read, and the unit of a numeric
 * timestamp: `--service-field`, `--timestamp-field`, `--message-field` (each a path of keys,
 * `msg.text` being `['msg', 'text']`) and `--timestamp-unit`. A source reads each value
 * through it into the event model's shape; the rest of logstream knows only that shape.
 */
export interface EventFields {
  readonly service: readonly string[];
  readonly timestamp: readonly string[];
  readonly message: readonly string[];
  /** Numeric timestamps in epoch seconds or milliseconds; ISO-8601 strings are either. */
  readonly timestampUnit: 's' | 'ms';
}

/** The event model's own fields: `service`, `timestamp` (epoch seconds), `message`. */
export const STANDARD_FIELDS: EventFields = {
  service: ['service'],
  timestamp: ['timestamp'],
  message: ['message'],
  timestampUnit: 's',
};
