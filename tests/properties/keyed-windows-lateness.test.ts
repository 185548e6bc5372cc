import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import type { LogEvent } from '../../operators/event.js';
import { KeyedWindowsState, keyedWindows } from '../../operators/keyed-windows.js';
import type { KeyedWindowRecord, LateEvent } from '../../operators/records.js';
import { columnField } from '../../operators/task-state.js';
import { BASE_TIME } from '../support/events.js';

const SEED = 20_261_211;

/**
 * Task 6's allowed lateness, late side output and idle flush against a brute-force model of
 * the documented semantics (tumbling windows): the watermark before a step is the largest of
 * `newest - delay` after each earlier batch and `newest` after each earlier idle flush; an
 * event of a batch is counted in its window when that watermark is below `end + lateness`,
 * and is late otherwise.
 */

/** An event whose timestamp is epoch seconds. */
interface Timed extends LogEvent {
  readonly timestamp: number;
}

interface Scenario {
  readonly window: number;
  readonly delay: number;
  readonly lateness: number;
  readonly batches: readonly (readonly Timed[])[];
  /** `idle[j]`: an idle flush follows batch j. */
  readonly idle: readonly boolean[];
}

const statusOf = (event: LogEvent) => Number(/\d+$/.exec(event.message)?.[0] ?? Number.NaN);

const scenarios: fc.Arbitrary<Scenario> = fc
  .record({
    window: fc.integer({ min: 1, max: 20 }),
    delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
    lateness: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 })),
    step: fc.integer({ min: 0, max: 15 }),
    raw: fc.array(
      fc.array(
        fc.record({
          service: fc.constantFrom('a', 'b', '__proto__'),
          // Up to a minute out of order, in half seconds.
          jitter: fc.integer({ min: -120, max: 40 }),
          status: fc.constantFrom(200, 204, 302, 404, 500, 503),
        }),
        { maxLength: 10 },
      ),
      { maxLength: 14 },
    ),
    idle: fc.array(fc.boolean(), { maxLength: 14 }),
  })
  .map(({ window, delay, lateness, step, raw, idle }) => ({
    window,
    delay,
    lateness,
    idle,
    // Time drifts forward batch by batch; every event is its own object.
    batches: raw.map((batch, i) =>
      batch.map(({ service, jitter, status }) => ({
        service,
        timestamp: BASE_TIME + Math.max(0, 60 + i * step + jitter / 2),
        message: `GET /x HTTP Status Code: ${status}`,
      })),
    ),
  }));

/** One call of the state: a batch's add or an idle flush, and what it returned. */
interface Step {
  /** The watermark before the step, by the model. */
  readonly before: number;
  /** The watermark after it. */
  readonly after: number;
  readonly records: readonly KeyedWindowRecord[];
}

function run({ window, delay, lateness, batches, idle }: Scenario) {
  const state = KeyedWindowsState.create({
    windowSeconds: window,
    watermarkSeconds: delay,
    allowedLatenessSeconds: lateness,
    minHistory: 1,
  });
  const late: LateEvent[] = [];
  const steps: Step[] = [];
  /** Per event: whether it was counted in its window (the model's verdict). */
  const counted = new Map<Timed, boolean>();
  /** Per service, its late events after each step. */
  const lateAfter: Map<string, number>[] = [];
  const lateSoFar = new Map<string, number>();
  let newest = Number.NEGATIVE_INFINITY;
  let watermark = Number.NEGATIVE_INFINITY;
  const step = (records: KeyedWindowRecord[], before: number) => {
    steps.push({ before, after: watermark, records });
    lateAfter.push(new Map(lateSoFar));
  };
  batches.forEach((batch, j) => {
    const before = watermark;
    for (const e of batch) {
      const end = (Math.floor(e.timestamp / window) + 1) * window;
      const onTime = before < end + lateness;
      counted.set(e, onTime);
      if (!onTime) lateSoFar.set(e.service, (lateSoFar.get(e.service) ?? 0) + 1);
      newest = Math.max(newest, e.timestamp);
    }
    watermark = Math.max(watermark, newest - delay);
    step(
      state.add(EventBatch.of(batch), (l) => late.push(l)),
      before,
    );
    if (idle[j] === true) {
      const flushedFrom = watermark;
      watermark = Math.max(watermark, newest);
      step(state.flushIdle(), flushedFrom);
    }
  });
  const final = state.finalRecords();
  return { state, late, steps, final, counted, lateAfter, watermark };
}

const keyOf = (service: string, start: number) => JSON.stringify([service, start]);

describe('keyed windows with allowed lateness against a brute-force model (tumbling)', () => {
  it('last versions recount the on-time events, every other event is in the side output once', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const { window, lateness, batches } = scenario;
        const { state, late, steps, final, counted, lateAfter, watermark } = run(scenario);

        // (a) The last version of every (service, window) recounts its on-time events.
        const expected = new Map<string, { total: number; successes: number; failures: number }>();
        for (const e of batches.flat()) {
          if (!counted.get(e)) continue;
          const start = Math.floor(e.timestamp / window) * window;
          const key = keyOf(e.service, start);
          const counts = expected.get(key) ?? { total: 0, successes: 0, failures: 0 };
          const status = statusOf(e);
          counts.total += 1;
          if (status >= 200 && status < 300) counts.successes += 1;
          if (status >= 400) counts.failures += 1;
          expected.set(key, counts);
        }
        const all = [...steps.flatMap((s) => s.records), ...final];
        const last = new Map<string, KeyedWindowRecord>();
        for (const record of all) last.set(keyOf(record.service, record.windowStart), record);
        expect(new Set(last.keys())).toEqual(new Set(expected.keys()));
        for (const [key, record] of last) {
          const { total, successes, failures } = record;
          expect({ total, successes, failures }).toEqual(expected.get(key));
          expect(record.windowEnd).toBe(record.windowStart + window);
        }

        // (b) Every other event is in the side output, exactly once, as the object it was.
        const lateEvents = late.map((l) => l.event);
        expect(new Set(lateEvents).size).toBe(lateEvents.length);
        expect(new Set(lateEvents)).toEqual(
          new Set<LogEvent>(batches.flat().filter((e) => counted.get(e) === false)),
        );
        for (const l of late) {
          expect(l.task).toBe('keyed-windows');
          expect(l.reason).toMatch(/^window \[\d+, \d+\) of its service closed: watermark /);
        }

        // (c) Side-output events per service are that service's late count, and each record
        // carries the late count of its service after its step.
        const fields = state.encode().state as { names: string[] };
        const lateColumn = columnField('keyed-windows', fields, 'late', Float64Array);
        fields.names.forEach((service, id) => {
          expect(late.filter((l) => l.event.service === service)).toHaveLength(lateColumn[id]!);
        });
        steps.forEach(({ records }, i) => {
          for (const r of records) expect(r.late).toBe(lateAfter[i]!.get(r.service) ?? 0);
        });

        // (d) Versions: the first is not an update, every later one is; a window is emitted
        // once the watermark reached its end and never after its drop.
        const seen = new Set<string>();
        for (const { before, after, records } of steps) {
          const inStep = new Set<string>();
          for (const r of records) {
            const key = keyOf(r.service, r.windowStart);
            expect(r.update).toBe(seen.has(key));
            expect(inStep.has(key)).toBe(false);
            expect(r.windowEnd).toBeLessThanOrEqual(after);
            expect(before).toBeLessThan(r.windowEnd + lateness);
            seen.add(key);
            inStep.add(key);
          }
        }
        for (const r of final) {
          expect(r.update).toBe(false);
          expect(seen.has(keyOf(r.service, r.windowStart))).toBe(false);
          expect(r.windowEnd).toBeGreaterThan(watermark);
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('the operator emits what the state does, and its side output what the state passes', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, async (scenario) => {
        const withoutFlushes = { ...scenario, idle: [] };
        const { steps, final, late } = run(withoutFlushes);
        const passed: LateEvent[] = [];
        const records = await lastValueFrom(
          from(scenario.batches).pipe(
            keyedWindows({
              windowSeconds: scenario.window,
              watermarkSeconds: scenario.delay,
              allowedLatenessSeconds: scenario.lateness,
              minHistory: 1,
              late: (l) => passed.push(l),
            }),
            toArray(),
          ),
        );
        expect(records).toEqual([...steps.flatMap((s) => s.records), ...final]);
        expect(passed).toEqual(late);
      }),
      { seed: SEED + 1, numRuns: 200 },
    );
  });
});
