/** Generator-like log messages and statuses for the micro benchmarks, drawn from the generator itself. */
import { parseStatus } from '../../dist/operators/event.js';
import { generateLogFiles } from '../../dist/src/generator.js';

/** Endless events from `logstream generate`'s own generator, seeded. */
function* generatedEvents(seed) {
  for (const file of generateLogFiles({ events: 10_000, bursts: 0, start: 0, seed })) yield* file;
}

/** Statuses with the generator's weights (events without one are skipped), for reservoir items. */
export function statusSource(seed) {
  const events = generatedEvents(seed);
  return () => {
    for (;;) {
      const status = parseStatus(events.next().value.message);
      if (status !== undefined) return status;
    }
  };
}

/**
 * Distinct messages: the generator's texts made distinct by the service and a request id, as
 * a real service's log line would be.
 */
export function messageSource(seed) {
  const events = generatedEvents(seed);
  return (i) => {
    const { service, message } = events.next().value;
    return `${message} (${service} request ${i.toString(16).padStart(8, '0')})`;
  };
}
