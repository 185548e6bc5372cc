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

/**
 * The fields at `paths` with numeric timestamps in `timestampUnit`: {@link STANDARD_FIELDS}
 * itself when they are the event model's, so a reader tells them apart by identity.
 */
export function eventFields(
  paths: Pick<EventFields, 'service' | 'timestamp' | 'message'>,
  timestampUnit: EventFields['timestampUnit'],
): EventFields {
  const fields = { ...paths, timestampUnit };
  return isStandard(fields) ? STANDARD_FIELDS : fields;
}

/** Whether `fields` are the event model's own, numeric timestamps in seconds. */
export function isStandard(fields: EventFields): boolean {
  return fields === STANDARD_FIELDS || (hasStandardPaths(fields) && fields.timestampUnit === 's');
}

/** Whether the three fields are at the event model's keys (whatever the timestamp unit). */
export function hasStandardPaths(fields: EventFields): boolean {
  return (
    fields === STANDARD_FIELDS ||
    (isKey(fields.service, 'service') &&
      isKey(fields.timestamp, 'timestamp') &&
      isKey(fields.message, 'message'))
  );
}

function isKey(path: readonly string[], key: string): boolean {
  return path.length === 1 && path[0] === key;
}
