/**
 * What `--metrics` exports: the metric families of SPEC's "Metrics" section and a few more,
 * read from the task states (the values the NDJSON records are made of) and from counts the
 * topology keeps of source batches, problems and Task 6's records.
 *
 * Rendering reads the states synchronously, and the operators take a batch in one
 * synchronous step, so a scrape always sees the states between two batches: what the
 * records printed so far say. Task 5 reduces on other threads; its state holds the batches
 * reduced so far, which is what its last record says too.
 *
 * Services: a per-service family has one series per service the state keeps apart (at most
 * `--max-services`, plus `(other)` for the rest), never one per name the logs hold.
 */
import { BloomState } from '../../operators/bloom-forward.js';
import type { KeyedWindowsState } from '../../operators/keyed-windows.js';
import { LazyGroupsState } from '../../operators/lazy-groups/lazy-groups.js';
import type { KeyedWindowRecord, TaskName, TaskRecord } from '../../operators/records.js';
import { ReservoirState } from '../../operators/reservoir-sample.js';
import { RunningAverageState } from '../../operators/running-average.js';
import { SlidingWindowState } from '../../operators/sliding-window.js';
import { SlidingPanesState } from '../../operators/sliding-window-panes.js';
import type { AnyTaskState } from '../../operators/states.js';
import { packageVersion } from '../bundled.js';
import type { ProblemTally } from '../problems.js';
import type { SourceBatch } from '../source/types.js';
import { type MetricFamily, renderExposition, type Sample } from './exposition.js';

/** What {@link LogstreamMetrics} reads and needs to know. */
export interface LogstreamMetricsOptions {
  /** The selected tasks' states, as the topology holds them. */
  readonly states: ReadonlyMap<TaskName, AnyTaskState>;
  /** The problems the topology counts of its source and sinks. */
  readonly problems: ProblemTally;
  /** Task 6's `--allowed-lateness`: how long an emitted window may be re-emitted. */
  readonly allowedLatenessSeconds: number;
  /** The `version` label of `logstream_build_info`. Default: the package's version. */
  readonly version?: string;
}

/**
 * The metrics of one `run` or `dashboard` process. The topology tells it of each source
 * batch and task record ({@link countBatch}, {@link countRecord}); {@link render} reads the
 * rest from the states and the topology's {@link ProblemTally}.
 *
 * Counters kept here start at zero in each process (Prometheus takes a drop as a restart);
 * those read from the states continue from a `--checkpoint`, as the records do.
 */
export class LogstreamMetrics {
  private readonly states: ReadonlyMap<TaskName, AnyTaskState>;
  private readonly problems: ProblemTally;
  private readonly version: string;
  private readonly anomalies: AnomalyCounter;
  private events = 0;
  private batches = 0;
  private lastBatch = 0;
  private windowsEmitted = 0;

  constructor(options: LogstreamMetricsOptions) {
    this.states = options.states;
    this.problems = options.problems;
    this.version = options.version ?? packageVersion();
    this.anomalies = new AnomalyCounter(options.allowedLatenessSeconds);
  }

  /** Counts a source batch (its valid events), before the tasks take it. */
  readonly countBatch = (batch: SourceBatch): void => {
    this.events += batch.batch.length;
    this.batches += 1;
    this.lastBatch = batch.index;
  };

  /** Counts a record a task emitted (Task 6's windows and their anomalies). */
  readonly countRecord = (record: TaskRecord): void => {
    if (record.task !== 'keyed-windows') return;
    this.windowsEmitted += 1;
    this.anomalies.count(record);
  };

  /** Every family, in a fixed order: the process's, then each selected task's in task order. */
  families(): MetricFamily[] {
    const families: MetricFamily[] = [
      gauge('logstream_build_info', 'logstream build information; always 1', [
        { labels: { version: this.version }, value: 1 },
      ]),
      counter('logstream_events_total', 'Valid events read from the source', this.events),
      counter(
        'logstream_invalid_events_total',
        'Invalid events counted and reported (not processed)',
        this.problems.invalidEvents,
      ),
      counter(
        'logstream_broken_files_total',
        'Files that could not be read or parsed, skipped',
        this.problems.brokenFiles,
      ),
      counter(
        'logstream_warnings_total',
        'Notices reported on stderr that lose nothing',
        this.problems.warnings,
      ),
      counter('logstream_batches_total', 'Source batches read by this process', this.batches),
      gauge('logstream_last_batch', 'Number of the last source batch (the records\' "batch")', [
        { value: this.lastBatch },
      ]),
    ];
    for (const state of this.states.values()) families.push(...this.familiesOf(state));
    return families;
  }

  /** The exposition text of {@link families}. */
  render(): string {
    return renderExposition(this.families());
  }

  private familiesOf(state: AnyTaskState): MetricFamily[] {
    if (state instanceof RunningAverageState) return runningAverageFamilies(state);
    if (state instanceof SlidingWindowState || state instanceof SlidingPanesState) {
      return slidingWindowFamilies(state);
    }
    if (state instanceof ReservoirState) {
      return [
        counter(
          'logstream_reservoir_seen_total',
          'Task 3: events with a status offered to the sample',
          state.seen,
        ),
        gauge('logstream_reservoir_sample_size', 'Task 3: statuses held in the sample', [
          { value: state.size },
        ]),
      ];
    }
    if (state instanceof BloomState) return bloomFamilies(state);
    if (state instanceof LazyGroupsState) {
      // The totals of the batches reduced: what Task 5's batch records say. Its idle and final
      // records add the partial batch, reduced on a copy: counted apart, so the counter
      // never goes back while batches are away being reduced.
      const { events, batches } = state.record();
      return [
        counter(
          'logstream_lazy_groups_events_total',
          'Task 5: valid events in the batches reduced so far',
          events,
        ),
        counter('logstream_lazy_groups_batches_total', 'Task 5: batches reduced so far', batches),
        gauge(
          'logstream_lazy_groups_pending_events',
          'Task 5: events waiting for their batch to complete',
          [{ value: state.pending }],
        ),
      ];
    }
    return this.keyedWindowsFamilies(state);
  }

  private keyedWindowsFamilies(state: KeyedWindowsState): MetricFamily[] {
    const late = state.lateCounts();
    return [
      counter(
        'logstream_late_events_total',
        'Task 6: events too late for any window of their service',
        late.map(({ service, late }) => ({ labels: { service }, value: late })),
      ),
      counter(
        'logstream_window_anomalies_total',
        'Task 6: windows flagged as anomalies (each window once, whatever its updates)',
        // Every service of the state, so a first anomaly is an increase from 0.
        late.map(({ service }) => ({
          labels: { service },
          value: this.anomalies.of(service),
        })),
      ),
      counter(
        'logstream_windows_emitted_total',
        'Task 6: window records emitted by this process (updates included)',
        this.windowsEmitted,
      ),
    ];
  }
}

function runningAverageFamilies(state: RunningAverageState): MetricFamily[] {
  const { services } = state.record();
  return [
    counter(
      'logstream_status_events_total',
      'Task 1: events with an HTTP status since the start',
      services.map(({ service, total }) => ({ labels: { service }, value: total })),
    ),
    counter(
      'logstream_success_events_total',
      'Task 1: events with a 2xx status since the start',
      services.map(({ service, successes }) => ({ labels: { service }, value: successes })),
    ),
  ];
}

function slidingWindowFamilies(state: SlidingWindowState | SlidingPanesState): MetricFamily[] {
  const { services, late } = state.record();
  const families = [
    gauge(
      'logstream_window_failure_ratio',
      'Task 2: failures over events with a status in the sliding window (no sample while it has none)',
      services.flatMap(({ service, rate }) =>
        rate === null ? [] : [{ labels: { service }, value: rate }],
      ),
    ),
    gauge(
      'logstream_window_status_events',
      'Task 2: events with a status in the sliding window',
      services.map(({ service, total }) => ({ labels: { service }, value: total })),
    ),
  ];
  // With --clock processing nothing arrives late: the family would only ever say 0.
  if (state instanceof SlidingWindowState) {
    families.push(
      counter(
        'logstream_window_late_events_total',
        'Task 2: events older than the sliding window when they arrived',
        late,
      ),
    );
  }
  return families;
}

function bloomFamilies(state: BloomState): MetricFamily[] {
  const record = state.record();
  return [
    counter(
      'logstream_bloom_checked_total',
      'Task 4: events tested against the Bloom filter',
      record.checked,
    ),
    counter(
      'logstream_bloom_forwarded_total',
      'Task 4: events whose whole message tested positive, forwarded',
      record.forwarded,
    ),
    gauge(
      'logstream_bloom_false_positive_ratio',
      "Task 4: the filter's expected false-positive rate for its fill",
      [{ value: record.falsePositiveRate }],
    ),
  ];
}

/**
 * Task 6's anomalies per service, each window counted once: a window re-emitted within the
 * allowed lateness counts when its first flagged version is emitted. A flagged window is
 * remembered until no version of it can come any more: once a window ending at least the
 * allowed lateness after it has been emitted (the watermark then passed it by that much).
 */
class AnomalyCounter {
  private readonly byService = new Map<string, number>();
  /** Flagged windows that may still be re-emitted: their end, by `service\0start`. */
  private readonly flagged = new Map<string, number>();
  private newestEnd = Number.NEGATIVE_INFINITY;

  constructor(private readonly latenessSeconds: number) {}

  count(record: KeyedWindowRecord): void {
    if (record.windowEnd > this.newestEnd) {
      this.newestEnd = record.windowEnd;
      this.forgetDropped();
    }
    if (!record.anomaly) return;
    const key = `${record.service}\0${record.windowStart}`;
    if (this.flagged.has(key)) return;
    this.byService.set(record.service, this.of(record.service) + 1);
    if (record.windowEnd + this.latenessSeconds > this.newestEnd) {
      this.flagged.set(key, record.windowEnd);
    }
  }

  of(service: string): number {
    return this.byService.get(service) ?? 0;
  }

  private forgetDropped(): void {
    for (const [key, end] of this.flagged) {
      if (end + this.latenessSeconds <= this.newestEnd) this.flagged.delete(key);
    }
  }
}

/** A counter family: one unlabelled sample, or the samples given. */
function counter(name: string, help: string, value: number | readonly Sample[]): MetricFamily {
  const samples = typeof value === 'number' ? [{ value }] : value;
  return { name, help, type: 'counter', samples };
}

function gauge(name: string, help: string, samples: readonly Sample[]): MetricFamily {
  return { name, help, type: 'gauge', samples };
}
