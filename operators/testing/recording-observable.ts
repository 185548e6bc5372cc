import { Observable, type SchedulerLike } from 'rxjs';
import type { EventBatch } from '../batch.js';
import { readRecording } from './recording.js';

/** The part of a recording to play: milliseconds since it started, both ends included. */
export interface RecordingSlice {
  readonly from?: number;
  readonly to?: number;
}

/**
 * A recording (`logstream record`, `--record`) as a cold Observable for RxJS's
 * TestScheduler: each batch emitted at its arrival time on `scheduler`, counted from the
 * subscription (from the slice's start with `from`), then completion at the recording's end.
 * Problems are not emitted: they never reach the operators. A recording cut short ends after
 * its last whole frame.
 *
 * ```
 * recording:  batch at 250 ms, batch at 1250 ms, end at 2000 ms
 * emits:      ---- 250ms -- a ---- 999ms -- b ---- 749ms --|
 * ```
 *
 * @example
 * ```ts
 * new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ expectObservable }) => {
 *   const records = recordingObservable(bytes, scheduler).pipe(runningAverage());
 *   expectObservable(records).toBe(…);
 * });
 * ```
 * @throws {RecordingError} when `bytes` is no recording.
 */
export function recordingObservable(
  bytes: Uint8Array | string,
  scheduler: SchedulerLike,
  { from = 0, to = Number.POSITIVE_INFINITY }: RecordingSlice = {},
): Observable<EventBatch> {
  const { frames } = readRecording(bytes);
  const played = frames.filter((frame) => frame.at >= from && frame.at <= to);
  const last = played.at(-1);
  const end = Math.min(to, last?.at ?? from);
  return new Observable<EventBatch>((subscriber) => {
    for (const frame of played) {
      if (frame.type !== 'batch') continue;
      const { batch } = frame;
      subscriber.add(scheduler.schedule(() => subscriber.next(batch), frame.at - from));
    }
    subscriber.add(scheduler.schedule(() => subscriber.complete(), end - from));
  });
}
