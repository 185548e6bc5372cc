/**
 * The edge to a NATS cluster: one connection per process, the events stream and the
 * group's buckets, created when missing. Every refusal is one line naming `--nats`, the
 * stream or the bucket.
 */
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { UsageError } from '../usage-error.js';
import {
  DEFAULT_PARTITIONS,
  EVENT_STREAM,
  eventSubject,
  LEASE_BUCKET,
  STATE_BUCKET,
  WINDOW_STREAM,
} from './names.js';
import { notice } from './notice.js';
import { retrying } from './retry.js';

/**
 * How long the events stream remembers a message id: a publisher started again over the
 * same files within this time adds no duplicate (JetStream's duplicate window).
 */
export const DUPLICATE_WINDOW_SECONDS = 20 * 60;

/**
 * How long a request to JetStream may take: a replicated write waits for a quorum, which on
 * a loaded machine takes longer than the client's 2-second default.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

/** How long a process waits at its start for JetStream to answer before it gives up. */
const JETSTREAM_WAIT_MS = 30_000;

/** A task state can be large (Task 5's pending batch, Task 4's filter): the state bucket allows it. */
const MAX_STATE_BYTES = 8 * 1024 * 1024;

export interface Nats {
  readonly connection: NatsConnection;
  readonly manager: JetStreamManager;
  readonly js: JetStreamClient;
  /** Replicas for what this process creates: min(3, the cluster's size). */
  readonly replicas: number;
  close(): Promise<void>;
}

/**
 * Connects to the servers of `url` (comma-separated, as `--nats` takes them) and keeps
 * reconnecting to any of them for as long as the process runs.
 * @throws {UsageError} naming `--nats` when no server answers.
 */
export async function connectNats(url: string, name: string): Promise<Nats> {
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: url.split(','),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5000,
    });
  } catch (error) {
    throw new UsageError(`--nats ${url}: cannot connect (${(error as Error).message})`);
  }
  // A cluster electing its leaders does not answer for some seconds: waited for, up to a limit.
  const manager = await retrying(
    () => jetstreamManager(connection, { timeout: REQUEST_TIMEOUT_MS }),
    {
      say: (reason) => notice(`--nats ${url}: waiting for JetStream to answer (${reason})`),
      limitMs: JETSTREAM_WAIT_MS,
    },
  ).catch(async (error: Error) => {
    await connection.close();
    throw new UsageError(`--nats ${url}: JetStream is not enabled (${error.message})`);
  });
  // The servers a client learns of are the cluster's (connect_urls lists the others).
  const servers = 1 + (connection.info?.connect_urls?.length ?? 0);
  return {
    connection,
    manager,
    js: jetstream(connection, { timeout: REQUEST_TIMEOUT_MS }),
    replicas: Math.min(3, Math.max(1, servers)),
    close: () => connection.close(),
  };
}

/**
 * The events stream, created when missing with `partitions` subjects (default
 * {@link DEFAULT_PARTITIONS}); resolves with its partition count.
 * @throws {UsageError} when it exists with another count than `partitions` asks for.
 */
export async function ensureEventStream(nats: Nats, partitions?: number): Promise<number> {
  const existing = await streamInfo(nats, EVENT_STREAM);
  if (existing !== undefined) {
    const count = partitionCount(existing);
    if (partitions !== undefined && count !== partitions) {
      throw new UsageError(
        `--partitions ${partitions}: the stream ${EVENT_STREAM} already has ${count} partitions`,
      );
    }
    return count;
  }
  const count = partitions ?? DEFAULT_PARTITIONS;
  await nats.manager.streams.add({
    name: EVENT_STREAM,
    subjects: Array.from({ length: count }, (_, p) => eventSubject(p)),
    num_replicas: nats.replicas,
    duplicate_window: DUPLICATE_WINDOW_SECONDS * 1e9,
  });
  return count;
}

/** The partition count of the events stream (its subjects are the partitions); undefined when it does not exist yet. */
export async function eventPartitions(nats: Nats): Promise<number | undefined> {
  const info = await streamInfo(nats, EVENT_STREAM);
  return info === undefined ? undefined : partitionCount(info);
}

/** The stream of Task 6's emitted windows, created when missing. */
export async function ensureWindowStream(nats: Nats): Promise<void> {
  if ((await streamInfo(nats, WINDOW_STREAM)) !== undefined) return;
  await nats.manager.streams.add({
    name: WINDOW_STREAM,
    subjects: ['logstream.windows.>'],
    num_replicas: nats.replicas,
    // A worker that takes a partition over emits again the windows its owner emitted after
    // the state it resumes from: the message ids drop them.
    duplicate_window: DUPLICATE_WINDOW_SECONDS * 1e9,
  });
}

/** The buckets of leases and states, created when missing. */
export async function openBuckets(nats: Nats): Promise<{ leases: KV; states: KV }> {
  const kvm = new Kvm(nats.js);
  const common = { history: 1, replicas: nats.replicas, timeout: REQUEST_TIMEOUT_MS };
  const leases = await kvm.create(LEASE_BUCKET, common);
  const states = await kvm.create(STATE_BUCKET, { ...common, maxValueSize: MAX_STATE_BYTES });
  return { leases, states };
}

async function streamInfo(nats: Nats, name: string): Promise<StreamInfo | undefined> {
  try {
    return await nats.manager.streams.info(name);
  } catch (error) {
    if (/not found/i.test((error as Error).message)) return undefined;
    throw error;
  }
}

function partitionCount(info: StreamInfo): number {
  return info.config.subjects?.length ?? 0;
}
