/** Generator-like log messages, for the Bloom micro benchmark. */

const WITH_STATUS = [
  [200, 55],
  [201, 8],
  [204, 5],
  [301, 3],
  [304, 4],
  [400, 3],
  [401, 2],
  [403, 1],
  [404, 4],
  [429, 1],
  [500, 3],
  [502, 1],
  [503, 2],
  [504, 1],
];
const WITHOUT_STATUS = [
  'Heartbeat',
  'Cache refreshed',
  'Model checkpoint saved',
  'Connection pool resized',
];
const SERVICES = ['evaluation', 'inference', 'monitoring', 'training'];
const TOTAL_WEIGHT = WITH_STATUS.reduce((sum, [, weight]) => sum + weight, 0) + 7;

/** Status codes drawn with the generator's weights (no "no status"), for reservoir items. */
export function weightedStatus(random) {
  let draw = random() * (TOTAL_WEIGHT - 7);
  for (const [status, weight] of WITH_STATUS) {
    draw -= weight;
    if (draw < 0) return status;
  }
  return 200;
}

/**
 * The `i`-th distinct message: the generator's texts (`HTTP Status Code: NNN` with its
 * weights, or a message without a status) made distinct by a service and a request id, as a
 * real service's log line would be.
 */
export function message(random, i) {
  let draw = random() * TOTAL_WEIGHT;
  let text = WITHOUT_STATUS[Math.floor(random() * WITHOUT_STATUS.length)];
  for (const [status, weight] of WITH_STATUS) {
    draw -= weight;
    if (draw < 0) {
      text = `HTTP Status Code: ${status}`;
      break;
    }
  }
  const service = SERVICES[Math.floor(random() * SERVICES.length)];
  return `${text} (${service} request ${i.toString(16).padStart(8, '0')})`;
}
