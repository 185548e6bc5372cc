import fc from 'fast-check';
import { EventBatch } from '../../operators/batch.js';
import type { LogEvent } from '../../operators/event.js';

/** Cut points: where a stream is cut into batches, or a list of batches into parts. */
export const anyCuts = fc.array(fc.nat(), { maxLength: 8 });

/** `items` cut at `cuts` (taken modulo its length + 1): consecutive, possibly empty, pieces. */
export function cut<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const at = cuts.map((c) => c % (items.length + 1)).sort((a, b) => a - b);
  const pieces: T[][] = [];
  let start = 0;
  for (const end of [...at, items.length]) {
    pieces.push(items.slice(start, end));
    start = end;
  }
  return pieces;
}

/** `events` cut at `cuts` into batches. */
export function batchesOf(events: readonly LogEvent[], cuts: readonly number[]): EventBatch[] {
  return cut(events, cuts).map((piece) => EventBatch.of(piece));
}
