import type { LogEvent } from '../operators/event.js';
import { createRandom, type Random } from '../operators/random.js';

/** The seed lab's services. */
export const SERVICES = ['evaluation', 'inference', 'monitoring', 'training'] as const;

/** Status codes and their weights: mostly healthy traffic with a tail of client and server errors. */
const STATUS_WEIGHTS: readonly (readonly [number | null, number])[] = [
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
  [null, 7],
];
const SERVER_ERRORS = [500, 502, 503, 504] as const;
const WITHOUT_STATUS = [
  'Heartbeat',
  'Cache refreshed',
  'Model checkpoint saved',
  'Connection pool resized',
];

/** Events per second of event time: a file of 1,000 events spans about 50 s. */
const EVENTS_PER_SECOND = 20;
/** Share of events that arrive late, stamped up to {@link MAX_DELAY_SECONDS} in the past. */
const LATE_SHARE = 0.03;
const MAX_DELAY_SECONDS = 90;
/** Share of a bursting service's events that fail with a 5xx during the burst. */
const BURST_FAILURE_SHARE = 0.8;

export interface GeneratorOptions {
  readonly events: number;
  /** Chance that a file holds an error burst in one service. */
  readonly bursts: number;
  /** Epoch seconds of the first event. */
  readonly start: number;
  readonly seed?: number;
}

/** The message of a status code, as the generated services log it. */
export function statusMessage(status: number): string {
  return `HTTP Status Code: ${status}`;
}

/** The messages the default Bloom filter forwards: the server errors the generator writes. */
export const INTERESTING_MESSAGES = SERVER_ERRORS.map(statusMessage);

/**
 * Endless synthetic log files, like the seed's generator: events of four services whose
 * timestamps mostly move forward, with a few stamped up to 90 s in the past (late arrivals),
 * and, when asked, error bursts in which one service mostly fails. The same seed gives the
 * same files.
 */
export function* generateLogFiles(options: GeneratorOptions): Generator<LogEvent[]> {
  const random = createRandom(options.seed);
  let clock = options.start;
  for (;;) {
    const burst = random() < options.bursts ? pick(random, SERVICES) : undefined;
    const events: LogEvent[] = [];
    for (let i = 0; i < options.events; i++) {
      clock += -Math.log(1 - random()) / EVENTS_PER_SECOND;
      const late = random() < LATE_SHARE;
      const time = late ? clock - random() * MAX_DELAY_SECONDS : clock;
      const service = pick(random, SERVICES);
      events.push({
        service,
        timestamp: Math.round(time * 1000) / 1000,
        message: messageFor(random, service === burst),
      });
    }
    yield events;
  }
}

function messageFor(random: Random, bursting: boolean): string {
  if (bursting && random() < BURST_FAILURE_SHARE) return statusMessage(pick(random, SERVER_ERRORS));
  let draw = random() * TOTAL_WEIGHT;
  for (const [status, weight] of STATUS_WEIGHTS) {
    draw -= weight;
    if (draw < 0) return status === null ? pick(random, WITHOUT_STATUS) : statusMessage(status);
  }
  return statusMessage(200);
}

const TOTAL_WEIGHT = STATUS_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);

function pick<T>(random: Random, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!;
}
