/**
 * The topology of `run` and `dashboard`, in one place, the way a Vector config declares its
 * sources, transforms and sinks:
 *
 * ```
 *   source (directory | stdin) ─► batches ─┬─► running-average ─┐
 *     reader threads ◄─ pool ─┐            ├─► sliding-window  ─┤
 *                             │            ├─► reservoir       ─┤
 *                             │            ├─► bloom ──────────┼─► records ─► NDJSON (run)
 *                             │            │     └─ forwarded ─┼─► --forward file  | dashboard
 *                             └─ Task 5 ◄──├─► lazy-groups     ─┤
 *                                reducer   └─► keyed-windows   ─┘
 *   every task's state ─► --save-state file (at the end)
 * ```
 *
 * Each task's operator is a thin wrapper over a state value created here, so the states can
 * be read, encoded and saved while and after the operators run.
 */
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  connect,
  map,
  merge,
  type Observable,
  type OperatorFunction,
  Subject,
  takeUntil,
  tap,
} from 'rxjs';
import type { OperatorInput } from '../operators/batch.js';
import type { BloomFilter } from '../operators/bloom-filter.js';
import { BloomState, bloomForward } from '../operators/bloom-forward.js';
import type { LogEvent } from '../operators/event.js';
import { KeyedWindowsState, keyedWindows } from '../operators/keyed-windows.js';
import { LazyGroupsState, lazyGroups } from '../operators/lazy-groups/lazy-groups.js';
import type { TaskName, TaskRecord } from '../operators/records.js';
import { ReservoirState, reservoirSample } from '../operators/reservoir-sample.js';
import { RunningAverageState, runningAverage } from '../operators/running-average.js';
import { SlidingWindowState, slidingWindow } from '../operators/sliding-window.js';
import type { AnyTaskState } from '../operators/states.js';
import { BloomFileError, buildFilterFromPatterns, loadFilter } from './bloom-file.js';
import { defaultPath } from './bundled.js';
import { DEFAULT_PATTERNS, type RunOptions } from './cli/run-options.js';
import { openSource } from './source/open-source.js';
import type { SourceBatch, SourceProblem } from './source/types.js';
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
  /** Sees each source batch before the tasks do (the dashboard's header counts them). */
  readonly onBatch?: (batch: SourceBatch) => void;
  /** Ends the input as `--once` would, when it emits: the tasks emit their final records. */
  readonly stop: Observable<void>;
}

export interface Topology {
  /** Every selected task's records, tagged with their batch; subscribing starts the source. */
  readonly outputs: Observable<TaskOutput>;
  /** The Bloom filter's second output: the events it forwarded. */
  readonly forwarded: Observable<LogEvent>;
  /** Each selected task's state, as its operator leaves it after each batch. */
  readonly states: ReadonlyMap<TaskName, AnyTaskState>;
  /** Writes `--save-state`, if asked for: the states after the last batch. */
  saveState(): Promise<void>;
  /** Flushes and closes what the topology opened (the --forward file, the threads). */
  close(): Promise<void>;
}

/** Builds the topology of `options` over `source` (a directory, or `-`). */
export async function openTopology(
  source: string,
  options: RunOptions,
  edges: TopologyEdges,
): Promise<Topology> {
  const pool = WorkerPool.create(threadsFor(options));
  try {
    return await build(source, options, edges, pool);
  } catch (error) {
    pool?.terminate();
    throw error;
  }
}

async function build(
  source: string,
  options: RunOptions,
  edges: TopologyEdges,
  pool: WorkerPool | undefined,
): Promise<Topology> {
  const batches = openSource(source, {
    follow: !options.once,
    onProblem: edges.onProblem,
    ready: edges.ready,
    pool,
  });
  const forwarded = new Subject<LogEvent>();
  // Opened once the Bloom filter is known to load, so a bad filter leaves no file behind.
  let forwardFile: WriteStream | undefined;
  const onForward = (event: LogEvent) => {
    forwardFile?.write(`${JSON.stringify(event)}\n`);
    forwarded.next(event);
  };
  const states = new Map<TaskName, AnyTaskState>();
  const operators: TaskOperator[] = [];
  for (const name of options.task) {
    const task = await taskOf(name, options, pool, onForward);
    states.set(name, task.state);
    operators.push(task.operator);
    if (name === 'bloom' && options.forward !== undefined) {
      forwardFile = openForwardFile(options.forward);
    }
  }

  let batch = 0;
  let file = '-';
  const outputs = batches.pipe(
    takeUntil(edges.stop),
    tap((next) => {
      batch = next.index;
      file = next.file;
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
            map((record): TaskOutput => ({ batch, file, record })),
          ),
        ),
      ),
    ),
  );

  return {
    outputs,
    forwarded,
    states,
    saveState: async () => {
      if (options.saveState === undefined) return;
      const saved: StateFile = {
        batches: batch,
        states: [...states.values()].map((state) => state.encode()),
      };
      await writeStateFile(options.saveState, saved);
    },
    close: async () => {
      forwarded.complete();
      pool?.terminate();
      if (forwardFile) await new Promise<void>((resolve) => forwardFile.end(resolve));
    },
  };
}

type TaskOperator = OperatorFunction<OperatorInput, TaskRecord>;

/** One selected task: its state, and the operator that feeds it. */
async function taskOf(
  name: TaskName,
  options: RunOptions,
  pool: WorkerPool | undefined,
  onForward: (event: LogEvent) => void,
): Promise<{ state: AnyTaskState; operator: TaskOperator }> {
  switch (name) {
    case 'running-average': {
      const state = RunningAverageState.create();
      return { state, operator: runningAverage({ state }) };
    }
    case 'sliding-window': {
      const state = SlidingWindowState.create({
        windowSeconds: options.slidingWindow,
        clock: options.clock,
      });
      return { state, operator: slidingWindow({ state }) };
    }
    case 'reservoir': {
      const state = ReservoirState.create({ capacity: options.reservoirSize, seed: options.seed });
      return { state, operator: reservoirSample({ state }) };
    }
    case 'bloom': {
      const state = BloomState.create({ filter: await bloomFilterOf(options) });
      return { state, operator: bloomForward({ state, forwarded: onForward }) };
    }
    case 'lazy-groups': {
      const state = LazyGroupsState.create({
        batchSize: options.batchSize,
        groupEverySeconds: options.groupEvery,
      });
      return {
        state,
        operator: lazyGroups({ state, reducer: poolReducer(pool, options.lazyWorkers ?? 0) }),
      };
    }
    case 'keyed-windows': {
      const state = KeyedWindowsState.create({
        windowSeconds: options.keyedWindow,
        slideSeconds: options.keyedSlide ?? options.keyedWindow,
        watermarkSeconds: options.watermark,
        anomalyThreshold: options.anomalyThreshold,
      });
      return { state, operator: keyedWindows({ state }) };
    }
  }
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
    });
  } catch (error) {
    if (error instanceof BloomFileError || error instanceof RangeError)
      throw new UsageError(error.message);
    throw error;
  }
}

function openForwardFile(path: string): WriteStream {
  try {
    return createWriteStream('', { fd: openSync(path, 'a') });
  } catch (error) {
    throw new UsageError(`--forward ${path}: ${(error as Error).message}`);
  }
}
