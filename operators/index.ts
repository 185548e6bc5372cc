/**
 * logstream's operators: six streaming techniques over microservice logs, as RxJS operators.
 * Pure: no I/O. Each accepts an Observable of events in which a value is one event or an
 * array of events (a batch), and emits the records of its task.
 */
export { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
export { BloomFilter, type BloomSize, MAX_BITS, MAX_HASHES } from './bloom-filter.js';
export {
  type BloomForwardOptions,
  BloomState,
  type BloomStateOptions,
  bloomForward,
  forwardedEvents,
} from './bloom-forward.js';
export {
  type EventInput,
  type FieldLabels,
  isFailure,
  isSuccess,
  type LogEvent,
  type ParsedEvent,
  parseStatus,
  rate,
  toEpochSeconds,
  type Validation,
  validateEvent,
} from './event.js';
export {
  type BaselineScore,
  type EncodedBaseline,
  FailureRateBaseline,
  type FailureRateBaselineOptions,
} from './ewma.js';
export {
  KEYED_WINDOWS_DEFAULTS,
  type KeyedWindowsOperatorOptions,
  type KeyedWindowsOptions,
  KeyedWindowsState,
  keyedWindows,
} from './keyed-windows.js';
export {
  type BatchedLazyGroupsRecord,
  type BatchReducedInfo,
  type BatchReducer,
  LAZY_GROUPS_DEFAULTS,
  type LazyGroupsOptions,
  LazyGroupsState,
  type LazyGroupsStateOptions,
  lazyGroups,
  type ReducerContext,
  type Reduction,
} from './lazy-groups/lazy-groups.js';
export { createRandom, type Random, SeededRandom } from './random.js';
export * from './records.js';
export {
  DEFAULT_RESERVOIR_CAPACITY,
  type ReservoirSampleOptions,
  ReservoirState,
  type ReservoirStateOptions,
  reservoirSample,
} from './reservoir-sample.js';
export {
  type RunningAverageOptions,
  RunningAverageState,
  type RunningAverageStateOptions,
  runningAverage,
} from './running-average.js';
export { checkMaxServices, DEFAULT_MAX_SERVICES, OTHER_SERVICES } from './service-limit.js';
export { type SideOutput, sideOutputObserver } from './side-output.js';
export {
  DEFAULT_WINDOW_SECONDS,
  type SlidingWindowClock,
  type SlidingWindowOptions,
  SlidingWindowState,
  type SlidingWindowStateOptions,
  slidingWindow,
} from './sliding-window.js';
export {
  DEFAULT_SLIDE_SECONDS,
  SlidingPanesState,
  type SlidingPanesStateOptions,
} from './sliding-window-panes.js';
export type { SourceProblem } from './source-problem.js';
export {
  type AnyTaskState,
  decodeTaskState,
  mergeTaskStates,
  operatorOfState,
  type StateOperatorOptions,
} from './states.js';
export { StringCodes } from './string-codes.js';
export { type EncodedSuccessCounts, SuccessCounts, type SuccessTally } from './success-counts.js';
export { type EncodedState, StateError, type TaskState } from './task-state.js';
