import { EventBatch } from '../../operators/batch.js';
import type { LogEvent } from '../../operators/event.js';
import type { JsonRead } from './json.js';
import type { ScanPart } from './scan-events.js';
import type { InvalidValue } from './validate-values.js';

/**
 * A batch as it crosses between threads: the batch's own columns (typed arrays, transferred,
 * not copied) and its few distinct strings, exactly as the scanner made them.
 */
export interface TransferredPart {
  readonly serviceIds: Uint32Array;
  readonly serviceNames: readonly string[];
  readonly times: Float64Array;
  readonly statuses: Uint16Array;
  readonly messageIds: Uint32Array;
  readonly messageTexts: readonly string[];
  /** Events kept as they arrived (those the scanner handed to JSON.parse), by index. */
  readonly kept: readonly (readonly [number, LogEvent])[];
  readonly invalid: readonly InvalidValue[];
}

export type TransferredRead = JsonRead<TransferredPart>;

/** Encodes a read for postMessage; the second value lists the buffers to transfer. */
export function encodeRead(read: JsonRead): [TransferredRead, ArrayBuffer[]] {
  if (!read.ok) return [read, []];
  const parts = read.parts.map(encodePart);
  const buffers = new Set<ArrayBuffer>();
  for (const part of parts) {
    for (const column of [part.serviceIds, part.times, part.statuses, part.messageIds]) {
      buffers.add(column.buffer as ArrayBuffer);
    }
  }
  return [{ ok: true, parts, count: read.count, badUtf8: read.badUtf8 }, [...buffers]];
}

export function decodeRead(read: TransferredRead): JsonRead {
  if (!read.ok) return read;
  return { ok: true, parts: read.parts.map(decodePart), count: read.count, badUtf8: read.badUtf8 };
}

function encodePart({ batch, invalid }: ScanPart): TransferredPart {
  const kept: [number, LogEvent][] = [];
  // forEach skips the holes of a sparse array: only the events that were kept.
  batch.events?.forEach((event, i) => {
    if (event !== undefined) kept.push([i, event]);
  });
  return {
    serviceIds: batch.serviceIds,
    serviceNames: batch.serviceNames,
    times: batch.times,
    statuses: batch.statuses,
    messageIds: batch.messageIds,
    messageTexts: batch.messageTexts,
    kept,
    invalid,
  };
}

function decodePart(part: TransferredPart): ScanPart {
  let events: LogEvent[] | undefined;
  if (part.kept.length > 0) {
    events = new Array<LogEvent>(part.times.length);
    for (const [i, event] of part.kept) events[i] = event;
  }
  const batch = new EventBatch(
    part.serviceIds,
    part.serviceNames,
    part.times,
    part.statuses,
    part.messageIds,
    part.messageTexts,
    events,
  );
  return { batch, invalid: part.invalid };
}
