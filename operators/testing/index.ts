/**
 * logstream's testing kit: checks for authors of mergeable operator states, to run in their
 * own test suite (any runner: a failed check throws). Pure, like `logstream/operators`.
 */

export {
  type ExpectedRecords,
  expectRecords,
  type RecordsHelpers,
  type TimedValue,
  timedValues,
} from './expect-records.js';
export {
  encodeFrame,
  encodeHeader,
  RECORDING_VERSION,
  type Recording,
  RecordingError,
  type RecordingFrame,
  type RecordingHeader,
  readRecording,
} from './recording.js';
export { type RecordingSlice, recordingObservable } from './recording-observable.js';
export {
  type BatchOrder,
  ContractViolation,
  checkStateContract,
  DEFAULT_RUNS,
  DEFAULT_SEED,
  firstDifference,
  type Law,
  type SplitKind,
  type SplitRule,
  type StateContract,
  stateLaws,
  unordered,
} from './state-contract.js';
