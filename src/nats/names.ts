/**
 * The names scale-out shares with every process of a group (SPEC "Scale-out"): the events
 * stream and its subjects, the key-value buckets, the keys, and the partition of a service.
 * Publishers, workers and the merged view all take them from here, so they cannot disagree.
 */

/** The JetStream stream the publisher writes events to. */
export const EVENT_STREAM = 'LOGSTREAM';
/** Partition `p` of the events: `logstream.events.<p>`. */
export const eventSubject = (partition: number): string => `logstream.events.${partition}`;
/** Partitions when `publish` creates the stream without `--partitions`. */
export const DEFAULT_PARTITIONS = 16;

/**
 * The Task 6 window records each worker emitted, one subject per group and partition: a
 * window is emitted once, when the watermark passes it, so it lives here and not in the state.
 */
export const WINDOW_STREAM = 'LOGSTREAM_WINDOWS';
export const windowSubject = (group: string, partition: number): string =>
  `logstream.windows.${group}.${partition}`;

/** Leases (who owns each partition) and members (who is alive), per group. */
export const LEASE_BUCKET = 'logstream-leases';
/** Each partition's task states and the last stream sequence they cover, per group. */
export const STATE_BUCKET = 'logstream-state';

export const leaseKey = (group: string, partition: number): string => `${group}.lease.${partition}`;
export const memberKey = (group: string, worker: string): string => `${group}.member.${worker}`;
export const stateKey = (group: string, partition: number): string => `${group}.${partition}`;
/** The prefix of the consumers a group reads partition `p` with (one per session). */
export const consumerName = (group: string, partition: number): string => `${group}-p${partition}`;

/** Header on the last event of a source batch in each partition: the worker folds there. */
export const BATCH_END_HEADER = 'Logstream-Batch-End';

/** What a group name may hold: it is part of subjects, keys and consumer names. */
export const GROUP_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The partition of `service` among `partitions`: FNV-1a (32 bits) over the name's UTF-16
 * units, modulo the count. Stable across processes, machines and releases, since every
 * publisher of a stream must send a service to the same partition.
 */
export function partitionOf(service: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) {
    hash ^= service.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
