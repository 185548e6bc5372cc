/**
 * The six task states as one type, for code that handles states whatever their task:
 * `--save-state` files, `logstream merge`, checkpoints and scale-out.
 */
import { BloomState } from './bloom-forward.js';
import { KeyedWindowsState } from './keyed-windows.js';
import { LazyGroupsState } from './lazy-groups/lazy-groups.js';
import { TASK_NAMES, type TaskName } from './records.js';
import { ReservoirState } from './reservoir-sample.js';
import { RunningAverageState } from './running-average.js';
import { SlidingWindowState } from './sliding-window.js';
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
