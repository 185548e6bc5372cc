/**
 * The bound on how many services a task's state keeps apart. A service name is whatever the
 * logs say, and a bug that logs a request id as the service turns a dozen services into a
 * million: without a bound every per-service state, record, checkpoint and dashboard row
 * grows with it. Past the bound, new services are counted together under
 * {@link OTHER_SERVICES}, so totals stay exact and memory stays bounded (Vector's
 * `tag_cardinality_limit` and Prometheus exporters do the same with label values).
 */
import { StringCodes } from './string-codes.js';

/** The service under which services past the bound are counted together. */
export const OTHER_SERVICES = '(other)';

/** Services a state keeps apart by default: far above a fleet's, far below a runaway's. */
export const DEFAULT_MAX_SERVICES = 10_000;

/** Whether `value` can bound the services of a state: an integer >= 1. */
export function isMaxServices(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

/**
 * `maxServices` checked: an integer >= 1.
 * @throws {RangeError} otherwise.
 */
export function checkMaxServices(value: number): number {
  if (!isMaxServices(value)) {
    throw new RangeError(`maxServices must be an integer >= 1, got ${value}`);
  }
  return value;
}

/**
 * The service coder of a state bounded to `maxServices` names (plus {@link OTHER_SERVICES}):
 * a new name past the bound gets the code of {@link OTHER_SERVICES}.
 */
export function serviceCodes(maxServices: number): StringCodes {
  return new StringCodes(maxServices, OTHER_SERVICES);
}
