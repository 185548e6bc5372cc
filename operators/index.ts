/**
 * logstream's operators: six streaming techniques over microservice logs, as RxJS operators.
 * Pure: no I/O. Each accepts an Observable of events in which a value is one event or an
 * array of events (a batch), and emits the records of its task.
 */
export { EventBatch, NO_STATUS, type OperatorInput } from './batch.js';
export { BloomFilter, type BloomSize, MAX_BITS, MAX_HASHES } from './bloom-filter.js';
export { type BloomForwardOptions, bloomForward, forwardedEvents } from './bloom-forward.js';
export {
  classifyStatus,
  type EventInput,
  type LogEvent,
  type ParsedEvent,
  parseStatus,
  rate,
  type StatusClass,
  toEpochSeconds,
  type Validation,
  validateEvent,
} from './event.js';
export {
  type BaselineScore,
  FailureRateBaseline,
  type FailureRateBaselineOptions,
} from './ewma.js';
export { KEYED_WINDOWS_DEFAULTS, type KeyedWindowsOptions, keyedWindows } from './keyed-windows.js';
export {
  type BatchedLazyGroupsRecord,
  type BatchReducedInfo,
  LAZY_GROUPS_DEFAULTS,
  type LazyGroupsOptions,
  lazyGroups,
} from './lazy-groups.js';
export type { ServiceBucket } from './lazy-groups-aggregate.js';
export { createRandom, type Random } from './random.js';
export * from './records.js';
export {
  DEFAULT_RESERVOIR_CAPACITY,
  type ReservoirSampleOptions,
  reservoirSample,
} from './reservoir-sample.js';
export { runningAverage } from './running-average.js';
export {
  DEFAULT_WINDOW_SECONDS,
  type SlidingWindowOptions,
  slidingWindow,
} from './sliding-window.js';
export { SuccessCounts, type SuccessTally } from './success-counts.js';
