/**
 * The six task states as one type, for code that handles states whatever their task:
 * `--save-state` files, `logstream merge`, checkpoints and scale-out.
 */
import type { OperatorFunction, SchedulerLike } from 'rxjs';
import type { OperatorInput } from './batch.js';
import { BloomState, bloomForward } from './bloom-forward.js';
import type { LogEvent } from './event.js';
import { KeyedWindowsState, keyedWindows } from './keyed-windows.js';
import { type LazyGroupsOptions, LazyGroupsState, lazyGroups } from './lazy-groups/lazy-groups.js';
import { type LateEvent, TASK_NAMES, type TaskName, type TaskRecord } from './records.js';
import { ReservoirState, reservoirSample } from './reservoir-sample.js';
import { RunningAverageState, runningAverage } from './running-average.js';
import type { SideOutput } from './side-output.js';
import { SlidingWindowState, slidingWindow } from './sliding-window.js';
import { SlidingPanesState } from './sliding-window-panes.js';
import { StateError } from './task-state.js';

export type AnyTaskState =
  | RunningAverageState
  | SlidingWindowState
  | SlidingPanesState
  | ReservoirState
  | BloomState
  | LazyGroupsState
  | KeyedWindowsState;

const DECODERS: { readonly [T in TaskName]: (encoded: unknown) => AnyTaskState } = {
  'running-average': (encoded) => RunningAverageState.decode(encoded),
  // One task, two clocks: the options say which state the encoding is of.
  'sliding-window': (encoded) =>
    clockOf(encoded) === 'processing'
      ? SlidingPanesState.decode(encoded)
      : SlidingWindowState.decode(encoded),
  reservoir: (encoded) => ReservoirState.decode(encoded),
  bloom: (encoded) => BloomState.decode(encoded),
  'lazy-groups': (encoded) => LazyGroupsState.decode(encoded),
  'keyed-windows': (encoded) => KeyedWindowsState.decode(encoded),
};

/** The `options.clock` of an encoded state, whatever the rest of it holds. */
function clockOf(encoded: unknown): unknown {
  const options = (encoded as { options?: unknown }).options;
  return typeof options === 'object' && options !== null
    ? (options as { clock?: unknown }).clock
    : undefined;
}

/**
 * The state that {@link TaskState.encode} encoded, of whichever task it names.
 * @throws {StateError} for an unknown task, another version or corrupt fields.
 */
export function decodeTaskState(encoded: unknown): AnyTaskState {
  const task = (encoded as { task?: unknown } | null)?.task;
  if (typeof task !== 'string' || !TASK_NAMES.includes(task as TaskName)) {
    throw new StateError(`not a task state (task ${JSON.stringify(task) ?? 'missing'})`);
  }
  return DECODERS[task as TaskName](encoded);
}

/**
 * `a` merged with `b`: a new state, as each task's `merge` defines it.
 * @throws {StateError} when they are states of different tasks or options.
 */
export function mergeTaskStates(a: AnyTaskState, b: AnyTaskState): AnyTaskState {
  if (a.task !== b.task)
    throw new StateError(`cannot merge a ${a.task} state with a ${b.task} state`);
  // Each task's merge takes a state of its own type; the check above makes the cast true.
  return (a.merge as (other: AnyTaskState) => AnyTaskState)(b);
}

/** How {@link operatorOfState} wires a state's operator: its clock and second outputs. */
export interface StateOperatorOptions {
  /** The clock of the processing-time features: Task 2's processing panes, the idle flushes. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Task 4's forwarded events (absent: only counted). */
  readonly forwarded?: SideOutput<LogEvent>;
  /** Late events of Tasks 2 and 6 (absent: only counted). */
  readonly late?: SideOutput<LateEvent>;
  /** Where Task 5 reduces its batches (default: on the calling thread). */
  readonly reducer?: LazyGroupsOptions['reducer'];
  /** Task 6's idle flush, in seconds of `scheduler` time (default: never: a source read once). */
  readonly idleFlushSeconds?: number;
}

/**
 * The operator that feeds `state`, one batch at a time, whichever task it is of: what `run`
 * builds for each selected task, and what a test replaying a recording uses.
 *
 * @example
 * ```ts
 * const state = decodeTaskState(saved);
 * batches$.pipe(operatorOfState(state, { scheduler })).subscribe(print);
 * ```
 */
export function operatorOfState(
  state: AnyTaskState,
  { scheduler, forwarded, late, reducer, idleFlushSeconds }: StateOperatorOptions = {},
): OperatorFunction<OperatorInput, TaskRecord> {
  if (state instanceof RunningAverageState) return runningAverage({ state });
  if (state instanceof SlidingWindowState || state instanceof SlidingPanesState) {
    return slidingWindow({ state, late, scheduler });
  }
  if (state instanceof ReservoirState) return reservoirSample({ state });
  if (state instanceof BloomState) return bloomForward({ state, forwarded });
  if (state instanceof LazyGroupsState) return lazyGroups({ state, reducer, scheduler });
  return keyedWindows({ state, late, idleFlushSeconds, scheduler });
}
