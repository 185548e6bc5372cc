/**
 * The group's answer: every partition's stored state merged (each task's own `merge`,
 * partition by partition), with the Task 6 windows the workers emitted. With `once`, one
 * snapshot: what `logstream merge` prints for the merged state, the emitted windows before
 * the open ones, as `run --once` prints them at its end. Following, a new set of records
 * whenever workers store new state (at most one per `everyMs`): Tasks 1–5's records and the
 * windows emitted since the last set.
 */
import { DeliverPolicy } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Observable } from 'rxjs';
import {
  type KeyedWindowRecord,
  TASK_NAMES,
  type TaskName,
  type TaskRecord,
} from '../../operators/records.js';
import { type AnyTaskState, decodeTaskState, mergeTaskStates } from '../../operators/states.js';
import { StateError } from '../../operators/task-state.js';
import type { TaskOutput } from '../topology.js';
import { UsageError } from '../usage-error.js';
import type { Nats } from './connection.js';
import { WINDOW_STREAM, windowSubject } from './names.js';
import { decodePartitionState, type PartitionState } from './partition-state.js';

export interface MergedViewOptions {
  readonly once: boolean;
  /** Following: the least time between two sets of records. */
  readonly everyMs: number;
  /** Ends a following view. */
  readonly stop?: Observable<void>;
  /** Told before each set of records how much the stored states cover (the dashboard's header). */
  readonly onProgress?: (progress: MergedProgress) => void;
}

export interface MergedProgress {
  /** Partitions with a stored state. */
  readonly partitions: number;
  /** Events folded into them. */
  readonly events: number;
}

/** The merged records of `group`, as {@link TaskOutput}s with `file` null. */
export function mergedOutputs(
  nats: Nats,
  states: KV,
  group: string,
  options: MergedViewOptions,
): Observable<TaskOutput> {
  return new Observable<TaskOutput>((subscriber) => {
    const partitions = new Map<number, PartitionState>();
    const windows: KeyedWindowRecord[] = [];
    let shown = 0;
    let changed = false;
    let closed = false;
    const stops: (() => void)[] = [];

    const emit = (final: boolean) => {
      const { batches, merged } = mergeAll(group, partitions);
      let events = 0;
      for (const state of partitions.values()) events += state.events;
      options.onProgress?.({ partitions: partitions.size, events });
      const out = (record: TaskRecord) => subscriber.next({ batch: batches, file: null, record });
      for (const task of TASK_NAMES) {
        const state = merged.get(task);
        if (state === undefined) continue;
        if (task === 'keyed-windows') {
          // Partitions interleave in the stream as their workers happened to store them:
          // the final set is in the order one run emits, by window end, then service.
          const due = final ? [...windows].sort(byEmission) : windows.slice(shown);
          for (const record of due) out(record);
          shown = windows.length;
          if (final) for (const record of state.finalRecords()) out(record);
        } else {
          for (const record of state.finalRecords()) out(record);
        }
      }
      changed = false;
    };

    const run = async () => {
      const consumer = await nats.js.consumers.get(WINDOW_STREAM, {
        filter_subjects: windowSubject(group, 0).replace(/\.0$/, '.*'),
        deliver_policy: DeliverPolicy.All,
      });
      if (options.once) {
        const entries = await states.keys(`${group}.*`);
        for await (const key of entries) {
          const entry = await states.get(key);
          if (entry?.operation === 'PUT') put(partitions, entry.value);
        }
        let pending = (await consumer.info()).num_pending;
        while (pending > 0) {
          const messages = await consumer.fetch({ max_messages: Math.min(pending, 10_000) });
          for await (const message of messages) {
            windows.push(message.json<KeyedWindowRecord>());
            pending = message.info.pending;
          }
        }
        if (partitions.size === 0) {
          throw new UsageError(`group ${group}: no worker has stored a state yet`);
        }
        emit(true);
        subscriber.complete();
        return;
      }
      const watch = await states.watch({ key: `${group}.*` });
      stops.push(() => watch.stop());
      void (async () => {
        for await (const entry of watch) {
          if (entry.operation === 'PUT') put(partitions, entry.value);
          changed = true;
        }
      })().catch((error) => subscriber.error(error));
      const messages = await consumer.consume();
      stops.push(() => void messages.stop());
      void (async () => {
        for await (const message of messages) {
          windows.push(message.json<KeyedWindowRecord>());
          changed = true;
        }
      })().catch((error) => subscriber.error(error));
      const timer = setInterval(() => {
        if (changed && partitions.size > 0) emit(false);
      }, options.everyMs);
      stops.push(() => clearInterval(timer));
      const stopped = options.stop?.subscribe(() => {
        if (closed) return;
        if (partitions.size > 0) emit(true);
        subscriber.complete();
      });
      stops.push(() => stopped?.unsubscribe());
    };
    run().catch((error) => subscriber.error(error));
    return () => {
      closed = true;
      for (const stop of stops) stop();
    };
  });
}

function put(partitions: Map<number, PartitionState>, value: Uint8Array): void {
  const state = decodePartitionState(value);
  partitions.set(state.partition, state);
}

/** Every partition's states merged per task, in partition order, and their batch count. */
function mergeAll(
  group: string,
  partitions: ReadonlyMap<number, PartitionState>,
): { batches: number; merged: Map<TaskName, AnyTaskState> } {
  const merged = new Map<TaskName, AnyTaskState>();
  let batches = 0;
  for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
    const state = partitions.get(partition)!;
    batches += state.batches;
    for (const encoded of state.states) {
      try {
        const decoded = decodeTaskState(encoded);
        const before = merged.get(encoded.task);
        merged.set(encoded.task, before === undefined ? decoded : mergeTaskStates(before, decoded));
      } catch (error) {
        if (error instanceof StateError) {
          throw new UsageError(`group ${group}, partition ${partition}: ${error.message}`);
        }
        throw error;
      }
    }
  }
  return { batches, merged };
}

function byEmission(a: KeyedWindowRecord, b: KeyedWindowRecord): number {
  return (
    a.windowEnd - b.windowEnd ||
    (a.service < b.service ? -1 : a.service > b.service ? 1 : 0) ||
    Number(a.update) - Number(b.update)
  );
}
