/**
 * One partition, while this worker owns it: loads the partition's stored state, reads the
 * partition's events with a consumer of its own from the sequence after it, folds them into
 * the task states one source batch at a time (the publisher marks where each ends), and
 * stores state and sequence with one compare-and-set put, and only then acknowledges the
 * events it covers. The stored sequence is where a new session starts; the
 * acknowledgements tell the stream, and whoever inspects the consumer, how far it is safe.
 *
 * Exactly-once, by construction:
 * - the consumer is made afresh from the stored sequence at each start, so its deliveries
 *   are numbered 1, 2, …: any gap or repeat (a delivery lost with a server) ends the
 *   session, which stores what was folded and starts again from there. Each session's
 *   consumer has a name of its own: a shared durable name let a delete that timed out
 *   while a server was down, or the previous owner's, remove the consumer made after it;
 * - the put is conditional on the revision this worker loaded or last wrote: a worker that
 *   lost the partition (its lease taken while it stalled) cannot overwrite the new owner's
 *   state, and stops;
 * - Task 6's emitted windows are published before the state that covers them, with ids
 *   naming the partition's batch, so a new owner that folds those batches again emits them
 *   again under the same ids, and JetStream drops them.
 */
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { nanos, nuid } from '@nats-io/transport-node';
import type { TaskName } from '../../operators/records.js';
import type { AnyTaskState } from '../../operators/states.js';
import type { RunOptions } from '../cli/run-options.js';
import { freshStateOf, restoredState } from '../topology.js';
import { UsageError } from '../usage-error.js';
import type { Nats } from './connection.js';
import { EventBodyError, EventGatherer } from './event-messages.js';
import {
  BATCH_END_HEADER,
  consumerName,
  EVENT_STREAM,
  eventSubject,
  stateKey,
  windowSubject,
} from './names.js';
import { notice } from './notice.js';
import { OrderedPublisher } from './ordered-publisher.js';
import { isWrongRevision } from './partition-leases.js';
import { decodePartitionState, encodePartitionState, tasksOf } from './partition-state.js';
import { retrying } from './retry.js';

/** Events asked for at a time. */
const FETCH_MESSAGES = 2000;
/** How long a fetch waits for events before it returns what it has. */
const FETCH_WAIT_MS = 1000;
/**
 * A batch whose end has not come this long after its first event is folded as it is (its
 * publisher stopped). Long enough for a restarted publisher to send the rest again: folded
 * in two, a batch could move Task 6's watermark differently.
 */
const IDLE_FOLD_MS = 30_000;
/** A session's consumer left behind (its worker killed) is removed after this long. */
const CONSUMER_IDLE_MS = 30_000;
/**
 * Events are acknowledged when the state covering them is stored, every commit interval or
 * so: a redelivery before then would be folded twice, so the wait is far longer than any
 * commit and the pending count is not what limits a session.
 */
const ACK_WAIT_MS = 15 * 60_000;
const MAX_ACK_PENDING = 10_000_000;

export interface PartitionContext {
  readonly nats: Nats;
  readonly states: KV;
  readonly group: string;
  readonly options: RunOptions;
  /** How often folded batches are stored. */
  readonly commitEveryMs: number;
}

/** The partition was taken by another worker: nothing more may be stored. */
class PartitionLost extends Error {}

export class PartitionWorker {
  private stopping = false;
  private abandoned = false;
  private wake: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(
    private readonly context: PartitionContext,
    readonly partition: number,
    /**
     * Told when another worker wrote the partition's state (a failed compare-and-set): the
     * new owner, or the previous one whose last store landed after this one loaded it.
     */
    private readonly onLost: () => void,
    /** Told of an error that stops this partition (a state of other options, say). */
    private readonly onError: (error: Error) => void,
  ) {
    this.done = this.run().catch((error: Error) => {
      if (error instanceof PartitionLost) this.onLost();
      else if (error instanceof UsageError) {
        this.onError(error);
      } else {
        this.onError(new Error(`group ${context.group}, partition ${partition}: ${error.message}`));
      }
    });
  }

  /** Stores what was folded and stops (a hand-over, or the worker leaving). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.done;
  }

  /** Stops without storing: the lease is gone, so is the right to write. */
  async abandon(): Promise<void> {
    this.abandoned = true;
    await this.stop();
  }

  private async run(): Promise<void> {
    const { group } = this.context;
    const key = stateKey(group, this.partition);
    const loaded = await this.retrying(
      'cannot load its state yet',
      () => this.load(key),
      () => this.stopping,
    );
    if (loaded === undefined) return;
    let { revision, sequence, batches, events } = loaded;
    const { states } = loaded;
    notice(
      `group ${group}: partition ${this.partition} taken, from sequence ${sequence} (${batches} batches)`,
    );
    const gatherer = new EventGatherer();
    const windows = new OrderedPublisher(this.context.nats.connection, 4096);
    const emitted: { id: string; body: Uint8Array }[] = [];
    let lastPending: JsMsg | undefined;
    /** The event at `sequence`: acknowledged (with every one before it) once stored. */
    let lastFolded: JsMsg | undefined;
    let pendingSince = 0;
    let dirty = false;
    let lastCommit = Date.now();
    const encoder = new TextEncoder();

    const fold = () => {
      const batch = gatherer.take();
      batches += 1;
      events += batch.length;
      for (const state of states.values()) {
        const records = state.add(batch);
        if (Array.isArray(records)) {
          records.forEach((record, i) => {
            emitted.push({
              id: `${group}.${this.partition}.${batches}.${i}`,
              body: encoder.encode(JSON.stringify(record)),
            });
          });
        }
      }
      sequence = lastPending!.seq;
      lastFolded = lastPending;
      lastPending = undefined;
      dirty = true;
    };

    const commit = async () => {
      if (!dirty || this.abandoned) return;
      for (const { id, body } of emitted.splice(0)) {
        windows.publish(windowSubject(group, this.partition), body, id);
      }
      await windows.flush();
      const value = encodePartitionState({
        partition: this.partition,
        sequence,
        batches,
        events,
        states: [...states.values()].map((state) => state.encode()),
      });
      const stored = await this.retrying(
        'cannot store its state yet',
        () => this.store(key, value, revision),
        () => this.abandoned,
      );
      if (stored === undefined) return; // abandoned meanwhile
      revision = stored;
      dirty = false;
      lastCommit = Date.now();
      // Only now: an acknowledged event is one the stored state covers. A lost ack is
      // harmless, the next session starts from the stored sequence anyway.
      lastFolded?.ack();
      lastFolded = undefined;
    };

    while (!this.stopping) {
      gatherer.clear();
      lastPending = undefined;
      lastFolded = undefined;
      const consumer = await this.retrying(
        'cannot make its consumer yet',
        () => this.consumeFrom(sequence),
        () => this.stopping,
      );
      if (consumer === undefined) break;
      let expected = 1;
      try {
        session: while (!this.stopping) {
          const messages = await consumer.fetch({
            max_messages: FETCH_MESSAGES,
            expires: FETCH_WAIT_MS,
          });
          let received = 0;
          for await (const message of messages) {
            received += 1;
            // A gap, a repeat or a redelivery: start again from the stored sequence.
            if (message.info.deliverySequence !== expected || message.info.redelivered) {
              break session;
            }
            expected += 1;
            if (message.seq <= sequence) continue;
            try {
              gatherer.add(message.data);
            } catch (error) {
              if (!(error instanceof EventBodyError)) throw error;
              notice(
                `group ${group}: partition ${this.partition}: message ${message.seq} skipped (${error.message})`,
              );
            }
            if (lastPending === undefined) pendingSince = Date.now();
            lastPending = message;
            if (message.headers?.has(BATCH_END_HEADER)) fold();
          }
          if (lastPending !== undefined && Date.now() - pendingSince >= IDLE_FOLD_MS) fold();
          if (dirty && (received === 0 || Date.now() - lastCommit >= this.context.commitEveryMs)) {
            await commit();
          }
        }
      } catch (error) {
        if (error instanceof PartitionLost) throw error;
        // The consumer or the connection failed: store what was folded, start again there.
        if (!this.stopping) {
          this.say(`reading again from sequence ${sequence + 1} (${(error as Error).message})`);
          await this.pause(250);
        }
      }
      await commit();
    }
    try {
      await commit();
    } finally {
      windows.close();
      // Awaited here, so a worker that leaves leaves no consumer behind for the idle timeout.
      await this.dropConsumer();
    }
  }

  /**
   * Puts the state if the key is still at `revision`, and resolves with the new revision.
   * A put whose answer was lost may have been stored: a refused retry then finds exactly
   * these bytes under the key, and takes that revision as its own.
   * @throws {PartitionLost} when another worker wrote the key.
   */
  private async store(key: string, value: Uint8Array, revision: number): Promise<number> {
    const { states } = this.context;
    try {
      return revision === 0
        ? await states.create(key, value)
        : await states.update(key, value, revision);
    } catch (error) {
      if (!isWrongRevision(error)) throw error;
      const entry = await states.get(key);
      if (entry?.operation === 'PUT' && sameBytes(entry.value, value)) return entry.revision;
      throw new PartitionLost();
    }
  }

  /** Runs `step` until it succeeds or `givenUp()`, waiting out a busy cluster. */
  private retrying<T>(waiting: string, step: () => Promise<T>, givenUp: () => boolean) {
    return retrying(step, {
      say: (reason) =>
        notice(`group ${this.context.group}: partition ${this.partition}: ${waiting} (${reason})`),
      givenUp,
      isRefusal: (error) => error instanceof UsageError || error instanceof PartitionLost,
      pause: (ms) => this.pause(ms),
    });
  }

  /** The stored state of the partition, or fresh states at sequence 0. */
  private async load(key: string): Promise<{
    revision: number;
    sequence: number;
    batches: number;
    events: number;
    states: Map<TaskName, AnyTaskState>;
  }> {
    const { group, options } = this.context;
    const where = `group ${group}, partition ${this.partition}`;
    const entry = await this.context.states.get(key);
    const states = new Map<TaskName, AnyTaskState>();
    if (entry === null || entry.operation !== 'PUT') {
      for (const name of options.task) states.set(name, await freshStateOf(name, options));
      return { revision: entry?.revision ?? 0, sequence: 0, batches: 0, events: 0, states };
    }
    let stored: ReturnType<typeof decodePartitionState>;
    try {
      stored = decodePartitionState(entry.value);
    } catch (error) {
      throw new UsageError(`${where}: ${(error as Error).message}`);
    }
    const tasks = tasksOf(stored);
    if (tasks.join(',') !== options.task.join(',')) {
      throw new UsageError(
        `${where}: the stored state holds the tasks ${tasks.join(',')}; this worker runs ${options.task.join(',')} (give the same --task to every worker of a group)`,
      );
    }
    for (const [i, name] of options.task.entries()) {
      const fresh = await freshStateOf(name, options);
      states.set(name, restoredState(name, stored.states[i]!, fresh, where));
    }
    return {
      revision: entry.revision,
      sequence: stored.sequence,
      batches: stored.batches,
      events: stored.events,
      states,
    };
  }

  /**
   * A consumer of this partition for one session, starting after `sequence`; the previous
   * session's is removed (if that fails, the server removes it once idle).
   */
  private async consumeFrom(sequence: number) {
    const { nats, group } = this.context;
    void this.dropConsumer();
    const name = `${consumerName(group, this.partition)}-${nuid.next()}`;
    await nats.manager.consumers.add(EVENT_STREAM, {
      name,
      filter_subject: eventSubject(this.partition),
      ack_policy: AckPolicy.All,
      ack_wait: nanos(ACK_WAIT_MS),
      max_ack_pending: MAX_ACK_PENDING,
      inactive_threshold: nanos(CONSUMER_IDLE_MS),
      ...(sequence === 0
        ? { deliver_policy: DeliverPolicy.All }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: sequence + 1 }),
    });
    this.consumerInUse = name;
    return nats.js.consumers.get(EVENT_STREAM, name);
  }

  private consumerInUse: string | undefined;

  /**
   * Deletes the session's consumer. Not awaited between sessions: a server that is away
   * must not hold the next session up, and an undeleted consumer goes once idle.
   */
  private dropConsumer(): Promise<void> {
    const name = this.consumerInUse;
    this.consumerInUse = undefined;
    if (name === undefined) return Promise.resolve();
    return this.context.nats.manager.consumers.delete(EVENT_STREAM, name).then(
      () => {},
      () => {},
    );
  }

  private lastSaid: string | undefined;

  /** A notice about this partition; the same one twice in a row only once. */
  private say(text: string): void {
    if (text === this.lastSaid) return;
    this.lastSaid = text;
    notice(`group ${this.context.group}: partition ${this.partition}: ${text}`);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
