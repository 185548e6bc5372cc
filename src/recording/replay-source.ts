import { Observable } from 'rxjs';
import type { SourceBatch, SourceOptions } from '../source/types.js';
import type { RecordingFile } from './recording-file.js';
import type { ReplayPace } from './replay-pace.js';

/** The part of a recording a replay plays: the recording's milliseconds, both ends included. */
export interface ReplaySlice {
  readonly from: number;
  readonly to: number;
}

/**
 * A recording as a source: each batch handed on when the replay's clock reaches its arrival
 * time, each problem reported then, each timer tick fired on the clock then, and completion at the recording's end (its end frame, the
 * slice's end, or its last whole frame when it was cut short, said once through
 * `onProblem`). The batches and problems before the slice are skipped; the clock runs on to
 * the end, so timers set after the last batch still fire as they did in the recorded run.
 * Like a directory source, it awaits `ready` before each batch and stops at `stop`.
 */
export function replaySource(
  recording: RecordingFile,
  pace: ReplayPace,
  slice: ReplaySlice,
  options: Pick<SourceOptions, 'onProblem' | 'ready' | 'stop'>,
): Observable<SourceBatch> {
  return new Observable<SourceBatch>((subscriber) => {
    let stopped = false;
    const stopping = options.stop?.subscribe(() => {
      stopped = true;
      pace.interrupt();
    });
    const isStopped = () => stopped || subscriber.closed;
    const play = async () => {
      let endAt: number | undefined;
      let lastAt = slice.from;
      for await (const frame of recording.frames) {
        if (frame.at < slice.from) continue;
        if (frame.at > slice.to) {
          endAt = slice.to;
          break;
        }
        await pace.until(frame.at, isStopped);
        if (isStopped()) break;
        lastAt = frame.at;
        if (frame.type === 'end') {
          endAt = frame.at;
          break;
        }
        if (frame.type === 'problem') {
          options.onProblem(frame.problem);
          continue;
        }
        if (frame.type === 'tick') {
          pace.clock.tick(frame.task, frame.at);
          continue;
        }
        await options.ready?.();
        if (isStopped()) break;
        const { index, file, batch, invalid } = frame;
        subscriber.next({ index, file, batch, invalid });
        pace.batchDone();
      }
      if (!isStopped()) {
        const cut = recording.cut();
        if (cut !== undefined && endAt === undefined) {
          options.onProblem({
            kind: 'warning',
            file: recording.path,
            reason: `${cut}: replayed up to there`,
            count: 0,
          });
        }
        await pace.until(Math.min(endAt ?? lastAt, slice.to), isStopped);
      }
      subscriber.complete();
    };
    play().catch((error: unknown) => subscriber.error(error));
    return () => {
      stopped = true;
      stopping?.unsubscribe();
    };
  });
}
