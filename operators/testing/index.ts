/**
 * logstream's testing kit: checks for authors of mergeable operator states, to run in their
 * own test suite (any runner: a failed check throws). Pure, like `logstream/operators`.
 */

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
