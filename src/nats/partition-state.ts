/**
 * What the state bucket holds for one partition of a group: every task's state after the
 * partition's last folded batch, the stream sequence of that batch's last event, and the
 * batch and event counts, in one value written with one compare-and-set put. Gzip'd: Task 5's pending
 * columns and Task 4's filter are most of it.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { TaskName } from '../../operators/records.js';
import type { EncodedState } from '../../operators/task-state.js';

const FORMAT = 'logstream-partition';
const VERSION = 2;

export interface PartitionState {
  readonly partition: number;
  /** The stream sequence of the last event folded in; 0 before any. */
  readonly sequence: number;
  /** Batches folded in (the partition's share of the source batches). */
  readonly batches: number;
  /** Events folded in (what the merged dashboard counts). */
  readonly events: number;
  readonly states: readonly EncodedState[];
}

export function encodePartitionState(state: PartitionState): Uint8Array {
  return gzipSync(JSON.stringify({ format: FORMAT, version: VERSION, ...state }), { level: 1 });
}

/**
 * @throws {Error} with a one-line reason when `bytes` is not a partition state of this
 * format version.
 */
export function decodePartitionState(bytes: Uint8Array): PartitionState {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(gunzipSync(bytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error('not a logstream partition state (corrupt)');
  }
  if (value.format !== FORMAT) throw new Error('not a logstream partition state');
  if (value.version !== VERSION) {
    throw new Error(
      `partition state format version ${JSON.stringify(value.version)}, this build reads version ${VERSION}`,
    );
  }
  const { partition, sequence, batches, events, states } = value;
  if (
    !Number.isSafeInteger(partition) ||
    !Number.isSafeInteger(sequence) ||
    !Number.isSafeInteger(batches) ||
    !Number.isSafeInteger(events) ||
    !Array.isArray(states)
  ) {
    throw new Error('corrupt partition state (fields missing)');
  }
  return {
    partition: partition as number,
    sequence: sequence as number,
    batches: batches as number,
    events: events as number,
    states: states as EncodedState[],
  };
}

/** The tasks of a stored state, in order, for a message when a worker runs others. */
export function tasksOf(state: PartitionState): TaskName[] {
  return state.states.map((encoded) => encoded.task);
}
