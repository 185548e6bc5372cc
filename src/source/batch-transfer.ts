import { EventBatch } from '../../operators/batch.js';
import type { LogEvent } from '../../operators/event.js';
import type { JsonRead } from './json.js';
import type { StringCodes } from './scan-dictionary.js';
import type { ScanPart } from './scan-events.js';
import type { InvalidValue } from './validate-values.js';

/**
 * A batch as it crosses between threads: dictionary-coded strings (logs repeat their
 * services and messages, so the distinct values are few) and typed arrays that are
 * transferred, not copied.
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
  const buffers = parts.flatMap((part) => [
    part.serviceIds.buffer as ArrayBuffer,
    part.times.buffer as ArrayBuffer,
    part.statuses.buffer as ArrayBuffer,
    part.messageIds.buffer as ArrayBuffer,
  ]);
  return [{ ok: true, parts, count: read.count, badUtf8: read.badUtf8 }, buffers];
}

export function decodeRead(read: TransferredRead): JsonRead {
  if (!read.ok) return read;
  return { ok: true, parts: read.parts.map(decodePart), count: read.count, badUtf8: read.badUtf8 };
}

function encodePart({ batch, invalid, codes }: ScanPart): TransferredPart {
  const services = codes ? fromCodes(codes.services, batch.length) : dictionaryCode(batch.services);
  const messages = codes ? fromCodes(codes.messages, batch.length) : dictionaryCode(batch.messages);
  const kept: [number, LogEvent][] = [];
  // forEach skips the holes of a sparse array: only the events that were kept.
  batch.events?.forEach((event, i) => {
    kept.push([i, event]);
  });
  return {
    serviceIds: services.ids,
    serviceNames: services.values,
    // Copies: the batch's own arrays may be views into a larger buffer.
    times: batch.times.slice(),
    statuses: batch.statuses.slice(),
    messageIds: messages.ids,
    messageTexts: messages.values,
    kept,
    invalid,
  };
}

function decodePart(part: TransferredPart): ScanPart {
  const length = part.times.length;
  const services = new Array<string>(length);
  const messages = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    services[i] = part.serviceNames[part.serviceIds[i]!]!;
    messages[i] = part.messageTexts[part.messageIds[i]!]!;
  }
  let events: LogEvent[] | undefined;
  if (part.kept.length > 0) {
    events = new Array<LogEvent>(length);
    for (const [i, event] of part.kept) events[i] = event;
  }
  return {
    batch: new EventBatch(services, part.times, part.statuses, messages, events),
    invalid: part.invalid,
  };
}

function fromCodes(
  codes: StringCodes,
  length: number,
): { ids: Uint32Array; values: readonly string[] } {
  return { ids: codes.ids.slice(0, length), values: codes.values };
}

function dictionaryCode(strings: readonly string[]): { ids: Uint32Array; values: string[] } {
  const ids = new Uint32Array(strings.length);
  const index = new Map<string, number>();
  const values: string[] = [];
  for (let i = 0; i < strings.length; i++) {
    const value = strings[i]!;
    let id = index.get(value);
    if (id === undefined) {
      id = values.length;
      index.set(value, id);
      values.push(value);
    }
    ids[i] = id;
  }
  return { ids, values };
}
