import { defer, map, type OperatorFunction, scan } from 'rxjs';
import { EventBatch, type OperatorInput } from './batch.js';
import { rate } from './event.js';
import type { RunningAverageRecord } from './records.js';
import { SuccessCounts } from './success-counts.js';

interface RunningAverageState {
  readonly counts: SuccessCounts;
  oldest: number;
  newest: number;
}

/**
 * Task 1: the running success rate since the start, overall and per service.
 *
 * Emits one {@link RunningAverageRecord} per input value (one event, or one array of events
 * processed as a unit), counting every valid event seen so far. Success is a 2xx status;
 * rates count only events that have a status, and are `null` until one arrives. `oldest`
 * and `newest` are the smallest and largest timestamps of every valid event so far.
 * Invalid events are skipped (sources report them). Each subscription starts from zero.
 *
 * ```
 * source: --a--b------c--|      a: 200 at t=48, b: 500 at t=96, c: 200 at t=144
 * runningAverage()
 * result: --x--y------z--|      x: 1/1, y: 1/2 [48, 96], z: 2/3 [48, 144]
 * ```
 *
 * @example
 * ```ts
 * from([[{ service: 'api', timestamp: 1, message: 'HTTP Status Code: 200' }]])
 *   .pipe(runningAverage())
 *   .subscribe((r) => console.log(r.rate)); // 1
 * ```
 */
export function runningAverage(): OperatorFunction<OperatorInput, RunningAverageRecord> {
  return (source) =>
    defer(() =>
      source.pipe(
        scan(accumulate, { counts: new SuccessCounts(), oldest: Infinity, newest: -Infinity }),
        map(toRecord),
      ),
    );
}

function accumulate(state: RunningAverageState, input: OperatorInput): RunningAverageState {
  const batch = EventBatch.of(input);
  state.counts.addBatch(batch);
  const { times } = batch;
  for (let i = 0; i < times.length; i++) {
    const time = times[i]!;
    if (time < state.oldest) state.oldest = time;
    if (time > state.newest) state.newest = time;
  }
  return state;
}

function toRecord({ counts, oldest, newest }: RunningAverageState): RunningAverageRecord {
  return {
    task: 'running-average',
    oldest: counts.events === 0 ? null : oldest,
    newest: counts.events === 0 ? null : newest,
    successes: counts.successes,
    total: counts.total,
    rate: rate(counts.successes, counts.total),
    services: counts.services(),
  };
}
