import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import { BloomFilter } from '../../operators/bloom-filter.js';
import { BloomState } from '../../operators/bloom-forward.js';
import { KeyedWindowsState } from '../../operators/keyed-windows.js';
import type { KeyedWindowRecord, TaskName } from '../../operators/records.js';
import { RunningAverageState } from '../../operators/running-average.js';
import { SlidingWindowState } from '../../operators/sliding-window.js';
import type { AnyTaskState } from '../../operators/states.js';
import { LogstreamMetrics } from '../../src/metrics/logstream-metrics.js';
import { ProblemTally } from '../../src/problems.js';
import type { SourceBatch } from '../../src/source/types.js';
import { parseSamples } from './scrape.js';

const T = 1_700_000_000;

const ev = (service: string, offset: number, status: number) => ({
  service,
  timestamp: T + offset,
  message: `HTTP Status Code: ${status}`,
});

function metricsOver(
  states: [TaskName, AnyTaskState][],
  allowedLatenessSeconds = 0,
  problems = new ProblemTally(),
) {
  return new LogstreamMetrics({
    states: new Map(states),
    problems,
    allowedLatenessSeconds,
    version: '1.2.3',
  });
}

const windowRecord = (
  service: string,
  windowStart: number,
  anomaly: boolean,
  update = false,
): KeyedWindowRecord => ({
  task: 'keyed-windows',
  service,
  windowStart,
  windowEnd: windowStart + 10,
  events: 10,
  total: 10,
  successes: 5,
  failures: 5,
  rate: 0.5,
  late: 0,
  anomaly,
  score: anomaly ? 4 : 0,
  update,
});

describe('LogstreamMetrics', () => {
  it('reads Task 1, 2 and 4 from their states, as their records say', () => {
    const running = RunningAverageState.create();
    const sliding = SlidingWindowState.create({ windowSeconds: 60 });
    const filter = BloomFilter.withSize(1024, 3);
    filter.add('HTTP Status Code: 500');
    const bloom = BloomState.create({ filter });
    const batch = EventBatch.of([ev('api', 0, 200), ev('api', 1, 500), ev('web', 2, 204)]);
    running.add(batch);
    sliding.add(batch);
    bloom.add(batch);
    const metrics = metricsOver([
      ['running-average', running],
      ['sliding-window', sliding],
      ['bloom', bloom],
    ]);
    const samples = parseSamples(metrics.render());
    expect(samples.get('logstream_status_events_total{service="api"}')).toBe(2);
    expect(samples.get('logstream_success_events_total{service="api"}')).toBe(1);
    expect(samples.get('logstream_success_events_total{service="web"}')).toBe(1);
    expect(samples.get('logstream_window_failure_ratio{service="api"}')).toBe(0.5);
    expect(samples.get('logstream_window_failure_ratio{service="web"}')).toBe(0);
    expect(samples.get('logstream_bloom_checked_total')).toBe(3);
    expect(samples.get('logstream_bloom_forwarded_total')).toBe(bloom.record().forwarded);
    expect(bloom.record().forwarded).toBeGreaterThanOrEqual(1);
    expect(samples.get('logstream_build_info{version="1.2.3"}')).toBe(1);
    // Tasks not selected export nothing.
    expect([...samples.keys()].some((key) => key.startsWith('logstream_late_events'))).toBe(false);
  });

  it('counts source batches and problems', () => {
    const problems = new ProblemTally();
    const metrics = metricsOver([], 0, problems);
    const batch: SourceBatch = {
      index: 7,
      file: 'a.json',
      batch: EventBatch.of([ev('api', 0, 200), ev('api', 1, 200)]),
      invalid: 1,
    };
    metrics.countBatch(batch);
    problems.add({ kind: 'invalid', file: 'a.json', reason: 'x', count: 3 });
    problems.add({ kind: 'broken', file: 'b.json', reason: 'y', count: 0 });
    problems.add({ kind: 'warning', file: 'c.json', reason: 'z', count: 0 });
    const samples = parseSamples(metrics.render());
    expect(samples.get('logstream_events_total')).toBe(2);
    expect(samples.get('logstream_invalid_events_total')).toBe(3);
    expect(samples.get('logstream_broken_files_total')).toBe(1);
    expect(samples.get('logstream_warnings_total')).toBe(1);
    expect(samples.get('logstream_batches_total')).toBe(1);
    expect(samples.get('logstream_last_batch')).toBe(7);
  });

  it("reads Task 6's late counts per service from its state, every service from 0", () => {
    const keyed = KeyedWindowsState.create({ windowSeconds: 10, watermarkSeconds: 0 });
    keyed.add(EventBatch.of([ev('api', 0, 200), ev('web', 25, 200)]));
    // api's window [0, 10) is closed by the watermark at 25: these two are late.
    keyed.add(EventBatch.of([ev('api', 1, 500), ev('api', 2, 500)]));
    const samples = parseSamples(metricsOver([['keyed-windows', keyed]]).render());
    expect(samples.get('logstream_late_events_total{service="api"}')).toBe(2);
    expect(samples.get('logstream_late_events_total{service="web"}')).toBe(0);
    expect(samples.get('logstream_window_anomalies_total{service="web"}')).toBe(0);
  });

  it('counts an anomalous window once, however many updates re-emit it', () => {
    const keyed = KeyedWindowsState.create();
    keyed.add(EventBatch.of([ev('api', 0, 200)]));
    const metrics = metricsOver([['keyed-windows', keyed]], 30);
    metrics.countRecord(windowRecord('api', 0, false));
    metrics.countRecord(windowRecord('api', 0, true, true));
    metrics.countRecord(windowRecord('api', 0, true, true));
    metrics.countRecord(windowRecord('api', 10, true));
    const anomalies = () =>
      parseSamples(metrics.render()).get('logstream_window_anomalies_total{service="api"}');
    expect(anomalies()).toBe(2);
    // Far past the lateness, the windows are forgotten: nothing of theirs can come again.
    metrics.countRecord(windowRecord('api', 100, false));
    expect(anomalies()).toBe(2);
    expect(parseSamples(metrics.render()).get('logstream_windows_emitted_total')).toBe(5);
  });

  it('escapes service names in labels', () => {
    const running = RunningAverageState.create();
    running.add(EventBatch.of([ev('a"b\\c\nd', 0, 200)]));
    const text = metricsOver([['running-average', running]]).render();
    expect(text).toContain('logstream_success_events_total{service="a\\"b\\\\c\\nd"} 1\n');
  });

  it('exports no more services than the states keep apart', () => {
    const running = RunningAverageState.create({ maxServices: 2 });
    running.add(EventBatch.of(['a', 'b', 'c', 'd'].map((service, i) => ev(service, i, 200))));
    const samples = parseSamples(metricsOver([['running-average', running]]).render());
    const services = [...samples.keys()].filter((key) =>
      key.startsWith('logstream_status_events_total{'),
    );
    expect(services).toEqual([
      'logstream_status_events_total{service="(other)"}',
      'logstream_status_events_total{service="a"}',
      'logstream_status_events_total{service="b"}',
    ]);
  });
});
