import fc from 'fast-check';
import { firstValueFrom, from, type Observable, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch, type OperatorInput } from '../../operators/batch.js';
import { BloomFilter } from '../../operators/bloom-filter.js';
import { BloomState, bloomForward } from '../../operators/bloom-forward.js';
import {
  isFailure,
  isSuccess,
  type LogEvent,
  type ParsedEvent,
  validateEvent,
} from '../../operators/event.js';
import { KeyedWindowsState, keyedWindows } from '../../operators/keyed-windows.js';
import { LazyGroupsState, lazyGroups } from '../../operators/lazy-groups/lazy-groups.js';
import {
  compareText,
  type KeyedWindowRecord,
  type ServiceBucket,
  type TaskRecord,
} from '../../operators/records.js';
import { ReservoirState, reservoirSample } from '../../operators/reservoir-sample.js';
import { RunningAverageState, runningAverage } from '../../operators/running-average.js';
import { SlidingWindowState, slidingWindow } from '../../operators/sliding-window.js';
import { decodeTaskState } from '../../operators/states.js';
import type { TaskState } from '../../operators/task-state.js';
import { collectValues, readJsonDocument } from '../../src/source/json.js';
import { scanNdjsonLines } from '../../src/source/scan-events.js';
import { BatchCollector } from '../../src/source/validate-values.js';
import { element, jsonDocument, LATEST_SAFE_TIME, ndjsonDocument } from './hostile.js';

const SEED = 20_261_202;

/** Event times near this instant, so that windows, buckets and lateness all come into play. */
const BASE = 1_700_000_000;

const nearBase = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -120, max: 600 }).map((d) => BASE + d) },
  { weight: 3, arbitrary: fc.double({ min: -120, max: 600, noNaN: true }).map((d) => BASE + d) },
  { weight: 1, arbitrary: fc.constantFrom(0, 0.5, LATEST_SAFE_TIME) },
);

/** One value as a source would hand it on: parsed JSON of a hostile element. */
const anyValue = element({ times: nearBase }).map(
  (e) => JSON.parse(e.bytes.toString('utf8')) as unknown,
);

/**
 * Input values of an operator: mostly arrays of values (a batch), sometimes one value alone
 * (which is itself an array of events when it is an array).
 */
const anyInput = fc.oneof(
  { weight: 5, arbitrary: fc.array(anyValue, { maxLength: 25 }) },
  { weight: 1, arbitrary: anyValue },
);
const anyInputs = fc.array(anyInput, { maxLength: 10 });

/** The valid events of one input value, by the event model's own rule. */
function parsedOf(input: unknown): ParsedEvent[] {
  const values: readonly unknown[] = Array.isArray(input) ? input : [input];
  const parsed: ParsedEvent[] = [];
  for (const value of values) {
    const result = validateEvent(value);
    if (result.ok) parsed.push(result.event);
  }
  return parsed;
}

const asInputs = (inputs: readonly unknown[]) => inputs as OperatorInput[];

async function collect<T>(records: Observable<T>): Promise<T[]> {
  return firstValueFrom(records.pipe(toArray()));
}

/** A rate is null over nothing, else the quotient, in [0, 1]. */
function expectRate(value: number | null, numerator: number, denominator: number): void {
  if (denominator === 0) {
    expect(value).toBeNull();
    return;
  }
  expect(value).toBe(numerator / denominator);
  expect(value).toBeGreaterThanOrEqual(0);
  expect(value).toBeLessThanOrEqual(1);
}

/** Each name once, in code-unit order. */
function expectByName(list: readonly { service: string }[]): void {
  for (let i = 1; i < list.length; i++) {
    expect(compareText(list[i - 1]!.service, list[i]!.service)).toBe(-1);
  }
}

const hasStatus = (e: ParsedEvent) => e.status !== undefined;
const successOf = (e: ParsedEvent) => e.status !== undefined && isSuccess(e.status);
const failureOf = (e: ParsedEvent) => e.status !== undefined && isFailure(e.status);
const count = <T>(items: readonly T[], test: (item: T) => boolean) =>
  items.reduce((n, item) => n + (test(item) ? 1 : 0), 0);

/** Success counts per service, sorted by name, as Tasks 1 and 5 list them. */
function successesByService(events: readonly ParsedEvent[]) {
  const names = [...new Set(events.map((e) => e.service))].sort(compareText);
  return names.map((service) => {
    const own = events.filter((e) => e.service === service);
    const successes = count(own, successOf);
    const total = count(own, hasStatus);
    return { service, successes, total, rate: total === 0 ? null : successes / total };
  });
}

describe('every operator over random mixes of valid and invalid events (properties)', () => {
  it('running-average: totals are the valid events with a status, rates in [0, 1]', async () => {
    await fc.assert(
      fc.asyncProperty(anyInputs, async (inputs) => {
        const records = await collect(from(asInputs(inputs)).pipe(runningAverage()));
        expect(records).toHaveLength(inputs.length);
        const seen: ParsedEvent[] = [];
        records.forEach((record, i) => {
          seen.push(...parsedOf(inputs[i]));
          expect(record.total).toBe(count(seen, hasStatus));
          expect(record.successes).toBe(count(seen, successOf));
          expectRate(record.rate, record.successes, record.total);
          expect(record.services).toEqual(successesByService(seen));
          for (const service of record.services) {
            expectRate(service.rate, service.successes, service.total);
          }
          const times = seen.map((e) => e.time);
          expect(record.oldest).toBe(times.length === 0 ? null : Math.min(...times) + 0);
          expect(record.newest).toBe(times.length === 0 ? null : Math.max(...times) + 0);
        });
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('sliding-window: the window is ordered and holds exactly the non-late events in it', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyInputs,
        fc.constantFrom(0, 0.5, 1, 10, 60, 300),
        async (inputs, windowSeconds) => {
          const records = await collect(
            from(asInputs(inputs)).pipe(slidingWindow({ windowSeconds })),
          );
          expect(records).toHaveLength(inputs.length);
          let newest = Number.NEGATIVE_INFINITY;
          let late = 0;
          const kept: ParsedEvent[] = [];
          records.forEach((record, i) => {
            for (const e of parsedOf(inputs[i])) {
              if (e.time < newest - windowSeconds) {
                late += 1;
                continue;
              }
              kept.push(e);
              if (e.time > newest) newest = e.time;
            }
            expect(record.late).toBe(late);
            if (newest === Number.NEGATIVE_INFINITY) {
              expect([record.windowStart, record.windowEnd, record.total]).toEqual([null, null, 0]);
              return;
            }
            expect(record.windowEnd).toBe(newest);
            expect(record.windowStart).toBe(newest - windowSeconds);
            expect(record.windowStart!).toBeLessThanOrEqual(record.windowEnd!);
            const inWindow = kept.filter((e) => e.time >= newest - windowSeconds);
            expect(record.total).toBe(count(inWindow, hasStatus));
            expect(record.failures).toBe(count(inWindow, failureOf));
            expectRate(record.rate, record.failures, record.total);
            expectByName(record.services);
            const names = [...new Set(inWindow.map((e) => e.service))].sort(compareText);
            expect(record.services.map((s) => s.service)).toEqual(names);
            for (const service of record.services) {
              const own = inWindow.filter((e) => e.service === service.service);
              expect(service.total).toBe(count(own, hasStatus));
              expect(service.failures).toBe(count(own, failureOf));
              expectRate(service.rate, service.failures, service.total);
            }
          });
        },
      ),
      { seed: SEED + 1, numRuns: 200 },
    );
  });

  it('reservoir: size <= capacity, the sample counts add up to it, drawn from what was seen', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyInputs,
        fc.integer({ min: 1, max: 30 }),
        fc.integer(),
        async (inputs, capacity, seed) => {
          const records = await collect(
            from(asInputs(inputs)).pipe(reservoirSample({ capacity, seed })),
          );
          expect(records).toHaveLength(inputs.length);
          const seen = new Map<number, number>();
          let statuses = 0;
          records.forEach((record, i) => {
            for (const { status } of parsedOf(inputs[i])) {
              if (status === undefined) continue;
              statuses += 1;
              seen.set(status, (seen.get(status) ?? 0) + 1);
            }
            expect(record.capacity).toBe(capacity);
            expect(record.seen).toBe(statuses);
            expect(record.size).toBe(Math.min(capacity, statuses));
            expect(record.size).toBeLessThanOrEqual(capacity);
            expect(record.sample.reduce((sum, s) => sum + s.count, 0)).toBe(record.size);
            for (const { status, count } of record.sample) {
              expect(count).toBeGreaterThan(0);
              expect(count).toBeLessThanOrEqual(seen.get(status) ?? 0);
            }
            const sorted = [...record.sample].sort(
              (a, b) => b.count - a.count || a.status - b.status,
            );
            expect(record.sample).toEqual(sorted);
            expect(record.mostCommon).toBe(record.sample[0]?.status ?? null);
          });
        },
      ),
      { seed: SEED + 3, numRuns: 200 },
    );
  });

  it('bloom: checks every valid event, forwards at most those, never misses a listed message', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyInputs,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        async (inputs, picks, tiny) => {
          const messages = inputs.flatMap((input) => parsedOf(input).map((e) => e.message));
          const listed = new Set(
            picks.flatMap((p) => (messages.length ? [messages[p % messages.length]!] : [])),
          );
          // A tiny filter answers yes to much that is not listed: forwarded must still hold.
          const filter = tiny ? BloomFilter.withSize(16, 2) : BloomFilter.optimal(8, 0.01);
          for (const message of listed) filter.add(message);
          const forwarded: LogEvent[] = [];
          const records = await collect(
            from(asInputs(inputs)).pipe(
              bloomForward({ filter, forwarded: (e) => forwarded.push(e) }),
            ),
          );
          expect(records).toHaveLength(inputs.length);
          let checked = 0;
          let mustForward = 0;
          let forwardedSoFar = 0;
          records.forEach((record, i) => {
            const events = parsedOf(inputs[i]);
            checked += events.length;
            mustForward += count(events, (e) => listed.has(e.message));
            forwardedSoFar += record.batchForwarded;
            expect(record.checked).toBe(checked);
            expect(record.batchChecked).toBe(events.length);
            expect(record.forwarded).toBe(forwardedSoFar);
            expect(record.forwarded).toBeLessThanOrEqual(record.checked);
            expect(record.batchForwarded).toBeLessThanOrEqual(record.batchChecked);
            expect(record.forwarded).toBeGreaterThanOrEqual(mustForward);
            expectRate(record.ratio, record.forwarded, record.checked);
            expectRate(record.batchRatio, record.batchForwarded, record.batchChecked);
            expect(record.falsePositiveRate).toBeGreaterThanOrEqual(0);
            expect(record.falsePositiveRate).toBeLessThanOrEqual(1);
          });
          expect(forwarded).toHaveLength(records.at(-1)?.forwarded ?? 0);
          // The originals, in input order.
          const valid = inputs.flatMap((input) => parsedOf(input).map((e) => e.event));
          let at = 0;
          for (const event of forwarded) {
            while (at < valid.length && valid[at] !== event) at += 1;
            expect(at).toBeLessThan(valid.length);
            at += 1;
          }
        },
      ),
      { seed: SEED + 4, numRuns: 200 },
    );
  });

  it('lazy-groups: each batch of batchSize events once, buckets aligned, totals add up', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyInputs,
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(undefined, 0.5, 1, 7, 60),
        async (inputs, batchSize, groupEverySeconds) => {
          const records = await collect(
            from(asInputs(inputs)).pipe(
              lazyGroups({ batchSize, groupEverySeconds, idleMs: Number.POSITIVE_INFINITY }),
            ),
          );
          const events = inputs.flatMap(parsedOf);
          const complete = Math.floor(events.length / batchSize);
          expect(records).toHaveLength(complete + 1);
          records.forEach((record, k) => {
            const last = k === complete;
            const covered = last ? events : events.slice(0, (k + 1) * batchSize);
            expect(record.events).toBe(covered.length);
            expect(record.batches).toBe(last ? Math.ceil(events.length / batchSize) : k + 1);
            expect(record.total).toBe(count(covered, hasStatus));
            expect(record.successes).toBe(count(covered, successOf));
            expectRate(record.rate, record.successes, record.total);
            expect(record.services).toEqual(successesByService(covered));
            if (groupEverySeconds === undefined) {
              expect(record.buckets).toBeUndefined();
              return;
            }
            expect(record.buckets).toEqual(bucketsOf(covered, groupEverySeconds));
            for (const bucket of record.buckets!) {
              expect(Math.round(bucket.start / groupEverySeconds) * groupEverySeconds).toBe(
                bucket.start,
              );
              expectRate(bucket.rate, bucket.successes, bucket.total);
            }
          });
        },
      ),
      { seed: SEED + 5, numRuns: 200 },
    );
  });

  it('keyed-windows: windows aligned and ordered, each event in its windows or late', async () => {
    await fc.assert(
      fc.asyncProperty(anyInputs, keyedOptions, async (inputs, options) => {
        const { windowSeconds: window, slideSeconds: slide, watermarkSeconds: delay } = options;
        const state = KeyedWindowsState.create(options);
        const model = new KeyedModel(window, slide, delay);
        const emitted: KeyedWindowRecord[] = [];
        for (const input of inputs) {
          model.add(parsedOf(input));
          const closed = state.add(EventBatch.of(input as OperatorInput));
          for (const record of closed) {
            expect(record.windowEnd).toBeLessThanOrEqual(model.watermark);
            expect(record.late).toBe(model.lateOf(record.service));
          }
          emitted.push(...closed);
        }
        const open = state.finalRecords();
        for (const record of open) {
          expect(record.windowEnd).toBeGreaterThan(model.watermark);
          expect(record.late).toBe(model.lateOf(record.service));
        }
        const all = [...emitted, ...open];
        expect(await collect(from(asInputs(inputs)).pipe(keyedWindows(options)))).toEqual(all);

        const lastStart = new Map<string, number>();
        all.forEach((record, i) => {
          expect(record.windowEnd).toBe(record.windowStart + window);
          // Beyond the times a Date holds, windows blur into each other: see the known bugs.
          if (!withinDates(record)) return;
          expect(record.windowStart).toBeLessThan(record.windowEnd);
          expect(Math.round(record.windowStart / slide) * slide).toBe(record.windowStart);
          expect(record.successes + record.failures).toBeLessThanOrEqual(record.total);
          expectRate(record.rate, record.successes, record.total);
          if (record.score === null) expect(record.anomaly).toBe(false);
          else expect(Number.isFinite(record.score)).toBe(true);
          if (record.anomaly) expect(record.score!).toBeGreaterThan(options.anomalyThreshold);
          if (i > 0 && withinDates(all[i - 1]!)) {
            const before = all[i - 1]!;
            const order =
              before.windowEnd - record.windowEnd || compareText(before.service, record.service);
            expect(order).toBeLessThan(0);
          }
          // A record marked as an update of a window already emitted may repeat its start.
          if ((record as { update?: unknown }).update !== true) {
            expect(record.windowStart).toBeGreaterThan(
              lastStart.get(record.service) ?? Number.NEGATIVE_INFINITY,
            );
            lastStart.set(record.service, record.windowStart);
          }
        });
        const counted = all.map((r) => [
          r.service,
          r.windowStart,
          r.total,
          r.successes,
          r.failures,
        ]);
        expect(counted.sort(byKey)).toEqual(model.windows().sort(byKey));
      }),
      { seed: SEED + 6, numRuns: 200 },
    );
  });
});

/** The most epoch seconds, either way, that a Date can hold (±8.64e15 ms). */
const DATE_LIMIT = 8.64e12;

/** A window within the times a Date can hold, where window starts and ends are exact enough. */
function withinDates(record: KeyedWindowRecord): boolean {
  return Math.abs(record.windowStart) <= DATE_LIMIT && Math.abs(record.windowEnd) <= DATE_LIMIT;
}

/** (service, bucket start) → counts, sorted by service then start, as Task 5 lists them. */
function bucketsOf(events: readonly ParsedEvent[], every: number): ServiceBucket[] {
  const buckets = new Map<string, ServiceBucket & { index: number }>();
  for (const e of events) {
    // `+ 0`: a time of -0 is bucket 0, as JSON would write it anyway.
    const index = Math.floor(e.time / every) + 0;
    const key = JSON.stringify([e.service, index]);
    const bucket = buckets.get(key) ?? {
      service: e.service,
      index,
      start: index * every,
      successes: 0,
      total: 0,
      rate: null,
    };
    buckets.set(key, {
      ...bucket,
      successes: bucket.successes + (successOf(e) ? 1 : 0),
      total: bucket.total + (hasStatus(e) ? 1 : 0),
    });
  }
  return [...buckets.values()]
    .sort((a, b) => compareText(a.service, b.service) || a.index - b.index)
    .map(({ service, start, successes, total }) => ({
      service,
      start,
      successes,
      total,
      rate: total === 0 ? null : successes / total,
    }));
}

const keyedOptions = fc
  .record({
    windowSeconds: fc.constantFrom(1, 2.5, 10, 60),
    divisor: fc.constantFrom(1, 1, 2, 3, 4),
    watermarkSeconds: fc.constantFrom(0, 1, 7.5, 30),
    minHistory: fc.integer({ min: 1, max: 4 }),
    anomalyThreshold: fc.constantFrom(0.5, 3),
  })
  .map(({ divisor, ...options }) => ({
    ...options,
    slideSeconds: options.windowSeconds / divisor,
  }));

type WindowRow = (string | number)[];

function byKey(a: WindowRow, b: WindowRow): number {
  return compareText(String(a[0]), String(b[0])) || (a[1] as number) - (b[1] as number);
}

/**
 * Task 6 as SPEC states it, one event at a time: an event at `t` belongs to every window
 * `[k·slide, k·slide + window)` holding `t`; it is late when one of them ended at or before
 * the watermark as it stood before its input value, and is then counted in the others only;
 * after each input value the watermark is the newest time minus the delay.
 */
class KeyedModel {
  watermark = Number.NEGATIVE_INFINITY;
  private newest = Number.NEGATIVE_INFINITY;
  private readonly late = new Map<string, number>();
  private readonly counts = new Map<
    string,
    { service: string; start: number; total: number; successes: number; failures: number }
  >();

  constructor(
    private readonly window: number,
    private readonly slide: number,
    private readonly delay: number,
  ) {}

  add(events: readonly ParsedEvent[]): void {
    const { window, slide } = this;
    for (const e of events) {
      // k·slide <= t < (k + 1)·slide, the products being what the windows use.
      let index = Math.floor(e.time / slide);
      if (index * slide > e.time) index -= 1;
      else if ((index + 1) * slide <= e.time) index += 1;
      let late = false;
      do {
        if (index * slide + window <= this.watermark) {
          late = true;
          break;
        }
        const key = JSON.stringify([e.service, index]);
        const counts = this.counts.get(key) ?? {
          service: e.service,
          start: index * slide,
          total: 0,
          successes: 0,
          failures: 0,
        };
        if (hasStatus(e)) counts.total += 1;
        if (successOf(e)) counts.successes += 1;
        if (failureOf(e)) counts.failures += 1;
        this.counts.set(key, counts);
        // Past 2^53 the windows of one event cannot be told apart: it counts in one.
        if (index - 1 === index) break;
        index -= 1;
      } while (index * slide + window > e.time);
      if (late) this.late.set(e.service, this.lateOf(e.service) + 1);
      if (e.time > this.newest) this.newest = e.time;
    }
    this.watermark = this.newest - this.delay;
  }

  lateOf(service: string): number {
    return this.late.get(service) ?? 0;
  }

  /** Every window that received an event, as (service, start, total, successes, failures). */
  windows(): WindowRow[] {
    return [...this.counts.values()].map((c) => [
      c.service,
      c.start,
      c.total,
      c.successes,
      c.failures,
    ]);
  }
}

/** The six states over the same batches, with the options the properties use. */
function statesOver(batches: readonly EventBatch[], filter: BloomFilter) {
  const states: TaskState<unknown, TaskRecord>[] = [
    RunningAverageState.create(),
    SlidingWindowState.create({ windowSeconds: 30 }),
    ReservoirState.create({ capacity: 8, seed: 5 }),
    BloomState.create({ filter }),
    LazyGroupsState.create({ batchSize: 7, groupEverySeconds: 10 }),
    KeyedWindowsState.create({ windowSeconds: 10, slideSeconds: 5, watermarkSeconds: 5 }),
  ];
  for (const batch of batches) for (const state of states) state.add(batch);
  return states;
}

function filterOf(messages: readonly string[]): BloomFilter {
  const filter = BloomFilter.optimal(16, 0.01);
  for (const message of messages.slice(0, 4)) filter.add(message);
  return filter;
}

describe('operators fed by the sources (properties)', () => {
  it('the columns scanned from bytes give every task the records of the parsed values', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonDocument({ times: nearBase, maxElements: 30 }).map((doc) => ({
            json: true,
            bytes: doc.bytes,
          })),
          ndjsonDocument({ times: nearBase, maxElements: 30 }).map((doc) => ({
            json: false,
            bytes: doc.bytes,
          })),
        ),
        ({ json, bytes }) => {
          let scanned: EventBatch[];
          let general: EventBatch[];
          if (json) {
            const read = readJsonDocument(bytes, 0);
            expect(read.ok).toBe(true);
            if (!read.ok) return;
            scanned = read.parts.map((part) => part.batch);
            const text = bytes.toString('utf8').replace(/^\ufeff/, '');
            const parsed = JSON.parse(text) as unknown;
            general = [...collectValues(Array.isArray(parsed) ? parsed : [parsed], 0)].map(
              (collector) => EventBatch.fromParsed(collector.events),
            );
          } else {
            scanned = [scanNdjsonLines(bytes, 1).batch];
            const collector = new BatchCollector();
            bytes
              .toString('utf8')
              .replace(/^\ufeff/, '')
              .split('\n')
              .forEach((line, i) => {
                if (/^[ \t]*\r?$/.test(line)) return;
                try {
                  collector.add(JSON.parse(line), { line: i + 1 });
                } catch {
                  collector.reject('not valid JSON', { line: i + 1 });
                }
              });
            general = [EventBatch.fromParsed(collector.events)];
          }
          const filter = filterOf(general.flatMap((batch) => batch.messages));
          const a = statesOver(scanned, filter);
          const b = statesOver(general, filter);
          a.forEach((state, i) => {
            expect(state.finalRecords()).toEqual(b[i]!.finalRecords());
          });
        },
      ),
      { seed: SEED + 7, numRuns: 150 },
    );
  });

  it('every state merges with counts that add up, and survives its own JSON', () => {
    // Edge timestamps aside: the known bugs below.
    const ordinary = element({ times: nearBase, edgeTimes: false }).map(
      (e) => JSON.parse(e.bytes.toString('utf8')) as unknown,
    );
    const inputsOf = fc.array(fc.array(ordinary, { maxLength: 25 }), { maxLength: 10 });
    fc.assert(
      fc.property(inputsOf, fc.nat(), (inputs, cut) => {
        const batches = inputs.map((input) => EventBatch.of(input as OperatorInput));
        const at = cut % (batches.length + 1);
        const filter = filterOf(batches.flatMap((batch) => batch.messages));
        const left = statesOver(batches.slice(0, at), filter);
        const right = statesOver(batches.slice(at), filter);
        const events = batches.reduce((n, batch) => n + batch.length, 0);
        const statuses = inputs.flatMap(parsedOf).filter(hasStatus).length;
        left.forEach((state, i) => {
          const merged = (state.merge as (other: unknown) => TaskState<unknown, TaskRecord>)(
            right[i],
          );
          const copy = decodeTaskState(JSON.parse(JSON.stringify(merged.encode())));
          const records = merged.finalRecords();
          expect(copy.finalRecords()).toEqual(records);
          const [record] = records;
          switch (record?.task) {
            case 'running-average':
              expect(record.total).toBe(statuses);
              break;
            case 'reservoir':
              expect(record.seen).toBe(statuses);
              expect(record.size).toBe(Math.min(record.capacity, statuses));
              expect(record.sample.reduce((sum, s) => sum + s.count, 0)).toBe(record.size);
              break;
            case 'bloom':
              expect(record.checked).toBe(events);
              expect(record.forwarded).toBeLessThanOrEqual(record.checked);
              break;
            case 'lazy-groups':
              expect(record.events).toBe(events);
              expect(record.total).toBe(statuses);
              break;
            case 'sliding-window':
              expect(record.windowStart ?? 0).toBeLessThanOrEqual(record.windowEnd ?? 0);
              expect(record.failures).toBeLessThanOrEqual(record.total);
              break;
            default:
              for (const window of records as KeyedWindowRecord[]) {
                expect(window.windowStart).toBeLessThan(window.windowEnd);
              }
          }
        });
      }),
      { seed: SEED + 8, numRuns: 150 },
    );
  });
});

describe('timestamps beyond the range of a Date', () => {
  const at = (timestamp: number): OperatorInput => [
    { service: 'api', timestamp, message: 'HTTP Status Code: 200' },
  ];

  it('keyed-windows places them without hanging, and reads back its own state', () => {
    // -1e17 s is in the past, so no horizon refuses it; its window index is beyond 2^53.
    for (const [timestamp, options] of [
      [-1e17, {}],
      [-1e16, { windowSeconds: 10, slideSeconds: 1 }],
      [1e300, { slideSeconds: 2.5 }],
    ] as const) {
      const state = KeyedWindowsState.create(options);
      const closed = state.add(EventBatch.of(at(timestamp)));
      const all = [...closed, ...state.finalRecords()];
      expect(all.reduce((n, record) => n + record.total, 0)).toBe(1);
      const copy = KeyedWindowsState.decode(JSON.parse(JSON.stringify(state.encode())));
      expect(copy.finalRecords()).toEqual(state.finalRecords());
    }
  });

  it('lazy-groups: a state with a bucket at -1e17 s reads back its own encoding', () => {
    const state = LazyGroupsState.create({ batchSize: 1, groupEverySeconds: 10 }).add(
      EventBatch.of(at(-1e17)),
    );
    expect(LazyGroupsState.decode(JSON.parse(JSON.stringify(state.encode()))).record()).toEqual(
      state.record(),
    );
  });
});
