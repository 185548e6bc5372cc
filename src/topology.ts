/**
 * The topology of `run` and `dashboard`, in one place, the way a Vector config declares its
 * sources, transforms and sinks:
 *
 * ```
 *   source (directory | stdin) ─► batches ─┬─► running-average ─┐
 *     reader threads ◄─ pool ─┐            ├─► sliding-window  ─┤
 *                             │            ├─► reservoir       ─┤
 *                             │            │     └─ late ──────┼─► --late-output file
 *                             │            ├─► bloom ──────────┼─► records ─► NDJSON (run)
 *                             │            │     └─ forwarded ─┼─► --forward file  | dashboard
 *                             └─ Task 5 ◄──├─► lazy-groups     ─┤
 *                                reducer   └─► keyed-windows   ─┘
 *                                                └─ late ──────┴─► --late-output file
 *   every task's state ─► --save-state file (at the end)
 *   every task's state + source and problem counts ─► --metrics endpoint (on each scrape)
 *   file positions + states + output lengths ─► --checkpoint dir (coalesced, and at the end)
 * ```
 *
 * Each task's operator is a thin wrapper over a state value created here, so the states can
 * be read, encoded and saved while and after the operators run.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  connect,
  map,
  merge,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  Subject,
  tap,
} from 'rxjs';
import type { OperatorInput } from '../operators/batch.js';
import type { BloomFilter } from '../operators/bloom-filter.js';
import { BloomState } from '../operators/bloom-forward.js';
import type { LogEvent } from '../operators/event.js';
import { KeyedWindowsState } from '../operators/keyed-windows.js';
import { LAZY_GROUPS_DEFAULTS, LazyGroupsState } from '../operators/lazy-groups/lazy-groups.js';
import type { LateEvent, TaskName, TaskRecord } from '../operators/records.js';
import { ReservoirState } from '../operators/reservoir-sample.js';
import { RunningAverageState } from '../operators/running-average.js';
import { OTHER_SERVICES } from '../operators/service-limit.js';
import { SlidingWindowState } from '../operators/sliding-window.js';
import { SlidingPanesState } from '../operators/sliding-window-panes.js';
import { type AnyTaskState, decodeTaskState, operatorOfState } from '../operators/states.js';
import { type EncodedState, requireSameOptions, StateError } from '../operators/task-state.js';
import { AppendFile } from './append-file.js';
import {
  BloomFileError,
  buildFilterFromPatterns,
  DEFAULT_BLOOM_CAPACITY,
  loadFilter,
} from './bloom-file.js';
import { defaultPath } from './bundled.js';
import {
  type Checkpoint,
  Checkpointer,
  lockCheckpoint,
  type OutputLength,
  type ResumePoint,
  readCheckpoint,
  requireResumable,
} from './checkpoint.js';
import { DEFAULT_PATTERNS, type RunOptions } from './cli/run-options.js';
import { LogstreamMetrics } from './metrics/logstream-metrics.js';
import type { MetricsServer } from './metrics/metrics-server.js';
import { openMetricsEndpoint } from './metrics/open-metrics.js';
import { ProblemTally } from './problems.js';
import { RecordedClock } from './recording/recorded-clock.js';
import { Recorder } from './recording/recorder.js';
import { eventFields } from './source/event-fields.js';
import { FileCursors } from './source/file-cursors.js';
import { openSource } from './source/open-source.js';
import type { SourceBatch, SourceOptions, SourceProblem } from './source/types.js';
import { type StateFile, writeStateFile } from './state-file.js';
import { poolReducer } from './threads/batch-reducer.js';
import { WorkerPool } from './threads/worker-pool.js';
import { UsageError } from './usage-error.js';

/** A record with the source batch after which it was emitted. */
export interface TaskOutput {
  /** 1, 2, …; 0 when the source produced no batch at all. */
  readonly batch: number;
  /** That batch's file name without directory, `-` for standard input; null for merged states. */
  readonly file: string | null;
  readonly record: TaskRecord;
}

/** What the edges (the `run` and `dashboard` commands) plug into the topology. */
export interface TopologyEdges {
  /** Told of every problem the source meets; the source goes on. */
  readonly onProblem: (problem: SourceProblem) => void;
  /** Awaited before each read: the sink holding the source back (backpressure). */
  readonly ready?: () => Promise<void>;
  /**
   * Resolves once every record so far has left the process (stdout): awaited before each
   * checkpoint, so the records of the batches it covers are never lost to a kill.
   */
  readonly delivered?: () => Promise<void>;
  /**
   * Subscribes to {@link Topology.forwarded} (the dashboard's panel): without it, and without
   * `--forward`, Task 4 only counts the events it forwards, and never builds them.
   */
  readonly showsForwarded?: boolean;
  /** Sees each source batch before the tasks do (the dashboard's header counts them). */
  readonly onBatch?: (batch: SourceBatch) => void;
  /**
   * Ends the input as `--once` would, when it emits: the source stops reading and the tasks
   * emit their final records.
   */
  readonly stop: Observable<void>;
  /**
   * Where the batches come from instead of reading `source`: a recording's replay. It is
   * given the source options it honours (problems, backpressure, stop).
   */
  readonly input?: (
    options: Pick<SourceOptions, 'onProblem' | 'ready' | 'stop'>,
  ) => Observable<SourceBatch>;
  /**
   * The clock of each task's processing-time features (Task 2 with `--clock processing`, the
   * idle flushes of Tasks 5 and 6): a replay's virtual clock. Default: the wall clock (which
   * `--record` records).
   */
  readonly schedulerFor?: (task: TaskName) => SchedulerLike;
}

export interface Topology {
  /** Every selected task's records, tagged with their batch; subscribing starts the source. */
  readonly outputs: Observable<TaskOutput>;
  /** The Bloom filter's second output: the events it forwarded. */
  readonly forwarded: Observable<LogEvent>;
  /** Each selected task's state, as its operator leaves it after each batch. */
  readonly states: ReadonlyMap<TaskName, AnyTaskState>;
  /** Every problem reported so far, counted by kind (`--strict`, `--metrics`). */
  readonly problems: ProblemTally;
  /**
   * Writes `--save-state` and the last `--checkpoint`, as asked for: the states after the
   * last batch (the final records leave them unchanged).
   */
  saveAtExit(): Promise<void>;
  /** Flushes and closes what the topology opened (the metrics endpoint, the output files, the threads). */
  close(): Promise<void>;
}

/** Builds the topology of `options` over `source` (a directory, or `-`). */
export async function openTopology(
  source: string,
  options: RunOptions,
  edges: TopologyEdges,
): Promise<Topology> {
  const release =
    options.checkpoint === undefined ? undefined : await lockCheckpoint(options.checkpoint);
  const pool = WorkerPool.create(threadsFor(options));
  try {
    const topology = await build(source, options, edges, pool);
    return {
      ...topology,
      close: async () => {
        await topology.close();
        await release?.();
      },
    };
  } catch (error) {
    pool?.terminate();
    await release?.();
    throw error;
  }
}

async function build(
  source: string,
  options: RunOptions,
  edges: TopologyEdges,
  pool: WorkerPool | undefined,
): Promise<Topology> {
  const resumed = await resumePointOf(source, options);
  const cursors = resumed?.cursors ?? new FileCursors();
  let batch = resumed?.batch ?? 0;
  let file = resumed?.file ?? '-';
  // Opened once every task is built (the Bloom filter loaded, the checkpoint's states
  // accepted), so a refusal leaves no file behind and cuts none back.
  let forwardFile: AppendFile | undefined;
  let lateFile: AppendFile | undefined;
  let checkpointer: Checkpointer | undefined;
  let recorder: Recorder | undefined;
  const states = new Map<TaskName, AnyTaskState>();
  // Read on each scrape: the states as the operators leave them, and what the source did.
  const problems = new ProblemTally();
  const metrics =
    options.metrics === undefined
      ? undefined
      : new LogstreamMetrics({ states, problems, allowedLatenessSeconds: options.allowedLateness });
  const onProblem = (problem: SourceProblem) => {
    problems.add(problem);
    edges.onProblem(problem);
  };
  const sourceOptions: SourceOptions = {
    follow: !options.once,
    onProblem: (problem) => {
      recorder?.problem(problem);
      onProblem(problem);
    },
    // Between two reads, every operator has taken the last batch: the moment to checkpoint.
    ready: async () => {
      reportOverflow();
      await edges.ready?.();
      // A slow output disk holds the source back as a slow stdout reader does.
      await forwardFile?.ready();
      await lateFile?.ready();
      await recorder?.ready();
      // A replay's clock moves on only once Task 5's threads have reduced what it was given,
      // so its records come after the same batch at any speed.
      if (edges.schedulerFor !== undefined) await settled(states);
      await checkpointer?.afterBatch(batch);
    },
    pool,
    stop: edges.stop,
    // A checkpointed run leaves a line without its newline for the resumed run to read whole.
    keepUnterminated: options.checkpoint !== undefined,
    cursors,
    firstIndex: batch,
    ...readingOptionsOf(options),
  };
  const batches = edges.input?.(sourceOptions) ?? openSource(source, sourceOptions);
  const forwarded = new Subject<LogEvent>();
  const sideOutputs: SideOutputs = {
    // Only with a reader: each forwarded event is rebuilt from the columns for it.
    forwarded:
      options.forward === undefined && !edges.showsForwarded
        ? undefined
        : (event) => {
            forwardFile?.append(JSON.stringify(event));
            forwarded.next(event);
          },
    // Only with a file: describing each late event costs more than counting it.
    late:
      options.lateOutput === undefined
        ? undefined
        : (event) => lateFile?.append(JSON.stringify(event)),
  };
  // With --record, the operators' clock stands at each batch's and each tick's recorded time.
  const recordedClock = options.record === undefined ? undefined : new RecordedClock();
  const operators: TaskOperator[] = [];
  for (const [at, name] of options.task.entries()) {
    const saved = resumed?.states[at];
    const scheduler = edges.schedulerFor?.(name) ?? recordedClock?.schedulerFor(name);
    const task = await taskOf(name, options, pool, sideOutputs, scheduler, saved, resumed?.path);
    states.set(name, task.state);
    operators.push(task.operator);
  }
  // Before the output files: a port already taken leaves no file behind and cuts none back.
  const metricsServer: MetricsServer | undefined =
    metrics && options.metrics
      ? await openMetricsEndpoint(options.metrics, metrics, options.diagnostics)
      : undefined;
  try {
    if (states.has('bloom') && options.forward !== undefined) {
      const lost = 'events not forwarded';
      forwardFile = openOutputFile('--forward', options.forward, lost, resumed?.forward, onProblem);
    }
    if (options.lateOutput !== undefined) {
      const lost = 'late events not written';
      lateFile = openOutputFile(
        '--late-output',
        options.lateOutput,
        lost,
        resumed?.late,
        onProblem,
      );
    }
    if (options.record !== undefined) {
      recorder = Recorder.open(options.record, {
        label: `--record ${options.record}`,
        source,
        follow: !options.once,
        onProblem,
        timers: timerShapes(options),
      });
      if (recordedClock) recordedClock.recorder = recorder;
    }
  } catch (error) {
    await metricsServer?.close();
    await forwardFile?.close();
    await lateFile?.close();
    throw error;
  }

  let overflowReported = false;
  /** Says once, naming the batch's file, that the services outgrew --max-services. */
  const reportOverflow = () => {
    if (overflowReported) return;
    if (![...states.values()].some((state) => 'overflowed' in state && state.overflowed)) return;
    overflowReported = true;
    onProblem({
      kind: 'warning',
      file,
      reason: `more than ${options.maxServices} services: the others are counted together as service "${OTHER_SERVICES}" (--max-services sets the bound)`,
      count: 0,
    });
  };

  /** Every selected task's state, in task order: what --save-state and a checkpoint hold. */
  const encodeStates = () => [...states.values()].map((state) => state.encode());
  if (options.checkpoint !== undefined) {
    const take = async (): Promise<Checkpoint> => {
      await settled(states);
      await edges.delivered?.();
      const lengthOf = async (output: AppendFile | undefined, path: string | undefined) =>
        output && path !== undefined
          ? { path: resolve(path), length: await output.durableLength() }
          : null;
      return {
        source: resolve(source),
        batch,
        file,
        files: cursors.encode(),
        states: encodeStates(),
        forward: await lengthOf(forwardFile, options.forward),
        late: await lengthOf(lateFile, options.lateOutput),
      };
    };
    checkpointer = new Checkpointer(
      options.checkpoint,
      options.checkpointInterval * 1000,
      take,
      resumed?.batch,
    );
  }

  const outputs = batches.pipe(
    (source) => (recorder && recordedClock ? stamped(source, recorder, recordedClock) : source),
    tap((next) => {
      batch = next.index;
      file = next.file;
      metrics?.countBatch(next);
      edges.onBatch?.(next);
    }),
    map((next) => next.batch),
    // Every operator is subscribed before the source starts and receives each batch in
    // task order, so after each batch the records come out in task order too.
    connect((shared) =>
      merge(
        ...operators.map((operator) =>
          shared.pipe(
            operator,
            map((record): TaskOutput => {
              metrics?.countRecord(record);
              return { batch, file, record };
            }),
          ),
        ),
      ),
    ),
    // Once every task is done, not when the source is: Task 5 may still be taking in batches
    // reduced on other threads, and the services past the bound are then in its totals.
    tap({ complete: reportOverflow }),
  );

  return {
    outputs,
    forwarded,
    states,
    problems,
    saveAtExit: async () => {
      if (options.saveState !== undefined) {
        const saved: StateFile = {
          batches: batch,
          states: encodeStates(),
        };
        await writeStateFile(options.saveState, saved);
      }
      await checkpointer?.flush();
    },
    close: async () => {
      await metricsServer?.close();
      forwarded.complete();
      pool?.terminate();
      await forwardFile?.close();
      await lateFile?.close();
      await recorder?.close();
    },
  };
}

/** Which files are read and where an event's fields are: the same for `run` and `publish`. */
export function readingOptionsOf(
  options: RunOptions,
): Pick<SourceOptions, 'fields' | 'recursive' | 'include' | 'exclude'> {
  return {
    fields: eventFields(
      {
        service: options.serviceField,
        timestamp: options.timestampField,
        message: options.messageField,
      },
      options.timestampUnit,
    ),
    recursive: options.recursive,
    include: options.include,
    exclude: options.exclude,
  };
}

/**
 * The checkpoint to resume from: `undefined` without `--checkpoint` or on a first run.
 * @throws {UsageError} when it cannot be used with this source and these options.
 */
async function resumePointOf(
  source: string,
  options: RunOptions,
): Promise<ResumePoint | undefined> {
  if (options.checkpoint === undefined) return undefined;
  if (source === '-') {
    throw new UsageError(
      '--checkpoint: needs a directory source (standard input cannot be read again)',
    );
  }
  const point = await readCheckpoint(options.checkpoint);
  if (point !== undefined) {
    requireResumable(point, source, options.task, {
      forward: options.forward,
      late: options.lateOutput,
    });
  }
  return point;
}

/** Waits until every state can be encoded (no batch of Task 5 still being reduced). */
async function settled(states: ReadonlyMap<TaskName, AnyTaskState>): Promise<void> {
  await (states.get('lazy-groups') as LazyGroupsState | undefined)?.whenSettled();
}

type TaskOperator = OperatorFunction<OperatorInput, TaskRecord>;

/** Where the operators' second outputs go: Task 4's forwarded events, the late ones of 2 and 6. */
interface SideOutputs {
  readonly forwarded: ((event: LogEvent) => void) | undefined;
  readonly late: ((event: LateEvent) => void) | undefined;
}

/** One selected task: its state, and the operator that feeds it. */
async function taskOf(
  name: TaskName,
  options: RunOptions,
  pool: WorkerPool | undefined,
  sideOutputs: SideOutputs,
  scheduler: SchedulerLike | undefined,
  saved?: EncodedState,
  checkpoint?: string,
): Promise<{ state: AnyTaskState; operator: TaskOperator }> {
  const fresh = await freshStateOf(name, options);
  const state =
    saved === undefined ? fresh : restoredState(name, saved, fresh, `checkpoint ${checkpoint}`);
  return { state, operator: operatorOf(state, options, pool, sideOutputs, scheduler) };
}

/**
 * The saved state, once it is known to be of the options this run was given (the fresh
 * state shows what they make).
 * @throws {UsageError} naming `where` (the checkpoint, the partition) when it is not, or does not decode.
 */
export function restoredState(
  name: TaskName,
  saved: EncodedState,
  fresh: AnyTaskState,
  where: string,
): AnyTaskState {
  try {
    requireSameOptions(name, saved.options, fresh.encode().options);
  } catch (error) {
    throw refusal(where, 'taken with other options', error);
  }
  try {
    return decodeTaskState(saved);
  } catch (error) {
    // A field that does not decode (or a state of another version) is no option's doing.
    throw refusal(where, 'task state unusable', error);
  }
}

/** A {@link StateError} of a saved task state as the one line a refusal prints, after `where`. */
function refusal(where: string, why: string, error: unknown): unknown {
  if (!(error instanceof StateError)) return error;
  return new UsageError(`${where}: ${why} (${error.message})`);
}

/** The state of task `name` at the start, as `options` shape it. */
export async function freshStateOf(name: TaskName, options: RunOptions): Promise<AnyTaskState> {
  switch (name) {
    case 'running-average':
      return RunningAverageState.create({ maxServices: options.maxServices });
    case 'sliding-window':
      return options.clock === 'processing'
        ? SlidingPanesState.create({
            windowSeconds: options.slidingWindow,
            slideSeconds: options.slidingSlide,
            maxServices: options.maxServices,
          })
        : SlidingWindowState.create({
            windowSeconds: options.slidingWindow,
            maxServices: options.maxServices,
          });
    case 'reservoir':
      return ReservoirState.create({ capacity: options.reservoirSize, seed: options.seed });
    case 'bloom':
      return BloomState.create({ filter: await bloomFilterOf(options) });
    case 'lazy-groups':
      return LazyGroupsState.create({
        batchSize: options.batchSize,
        groupEverySeconds: options.groupEvery,
        maxServices: options.maxServices,
      });
    case 'keyed-windows':
      return KeyedWindowsState.create({
        windowSeconds: options.keyedWindow,
        slideSeconds: options.keyedSlide ?? options.keyedWindow,
        watermarkSeconds: options.watermark,
        allowedLatenessSeconds: options.allowedLateness,
        anomalyThreshold: options.anomalyThreshold,
        maxServices: options.maxServices,
      });
  }
}

/** The operator that feeds `state`, one batch at a time, with the run's threads and outputs. */
function operatorOf(
  state: AnyTaskState,
  options: RunOptions,
  pool: WorkerPool | undefined,
  { forwarded, late }: SideOutputs,
  scheduler: SchedulerLike | undefined,
): TaskOperator {
  return operatorOfState(state, {
    scheduler,
    forwarded,
    late,
    reducer:
      state instanceof LazyGroupsState ? poolReducer(pool, options.lazyWorkers ?? 0) : undefined,
    idleFlushSeconds: idleFlushSecondsOf(options),
  });
}

/**
 * Task 6's idle flush: only while following: with --once the end of input closes every
 * window anyway, and a long read must not be taken for a quiet source.
 */
export function idleFlushSecondsOf(options: RunOptions): number | undefined {
  return options.once ? undefined : (options.idleFlush ?? options.watermark);
}

/**
 * What shapes the timers of each selected task that has any (a recording's `timers`): a
 * replay fires a task's timers at the recorded ticks only when its own are shaped alike.
 */
export function timerShapes(options: RunOptions): { [task: string]: unknown } {
  const shapes: { [task: string]: unknown } = {};
  for (const task of options.task) {
    if (task === 'sliding-window' && options.clock === 'processing') {
      shapes[task] = { slideSeconds: options.slidingSlide, windowSeconds: options.slidingWindow };
    }
    if (task === 'lazy-groups') shapes[task] = { idleMs: LAZY_GROUPS_DEFAULTS.idleMs };
    const idleFlushSeconds = idleFlushSecondsOf(options);
    if (task === 'keyed-windows' && idleFlushSeconds !== undefined) {
      shapes[task] = { idleFlushSeconds };
    }
  }
  return shapes;
}

/**
 * The source's batches, each recorded as it leaves the source and processed with the clock
 * standing at its recorded time; the end recorded, and the final records made, at its time.
 */
function stamped(
  source: Observable<SourceBatch>,
  recorder: Recorder,
  clock: RecordedClock,
): Observable<SourceBatch> {
  return new Observable<SourceBatch>((subscriber) =>
    source.subscribe({
      next: (next) => clock.standAt(recorder.batch(next), () => subscriber.next(next)),
      error: (error: unknown) => subscriber.error(error),
      complete: () => clock.standAt(recorder.end(), () => subscriber.complete()),
    }),
  );
}

/**
 * Threads beside the main thread, which runs the operators: every core when few tasks leave
 * the main thread mostly waiting for input, one less when it has several operators to run
 * (measured on 2 cores: Task 5 alone is 25 % faster with two reader threads, all six tasks
 * are fastest with one); at least as many as `--lazy-workers` asks for.
 */
function threadsFor(options: RunOptions): number {
  const cores = availableParallelism();
  const readers = options.task.length <= 2 ? cores : Math.max(1, cores - 1);
  const lazy = options.lazyWorkers === 'auto' ? cores : (options.lazyWorkers ?? 0);
  return Math.max(readers, lazy);
}

async function bloomFilterOf(options: RunOptions): Promise<BloomFilter> {
  try {
    if (options.bloomFilter !== undefined) return await loadFilter(options.bloomFilter);
    return await buildFilterFromPatterns(options.bloomPatterns ?? defaultPath(DEFAULT_PATTERNS), {
      bits: options.bloomBits,
      hashes: options.bloomHashes,
      falsePositiveRate: options.bloomFpRate,
      capacity: options.bloomCapacity ?? DEFAULT_BLOOM_CAPACITY,
    });
  } catch (error) {
    if (error instanceof BloomFileError || error instanceof RangeError)
      throw new UsageError(error.message);
    throw error;
  }
}

/** An output file (--forward, --late-output), cut back to its checkpointed length on a resume. */
function openOutputFile(
  flag: string,
  path: string,
  lostLines: string,
  checkpointed: OutputLength | null | undefined,
  onProblem: (problem: SourceProblem) => void,
): AppendFile {
  const label = `${flag} ${path}`;
  return AppendFile.open(path, {
    label,
    lostLines,
    truncateTo: checkpointed?.length,
    onProblem: (reason) => onProblem({ kind: 'warning', file: label, reason, count: 0 }),
  });
}
