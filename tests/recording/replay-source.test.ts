import { setImmediate as nextTurn } from 'node:timers/promises';
import { lastValueFrom, Subject, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import {
  encodeFrame,
  encodeHeader,
  type RecordingFrame,
  readRecording,
} from '../../operators/testing/recording.js';
import type { RecordingFile } from '../../src/recording/recording-file.js';
import { ReplayClock } from '../../src/recording/replay-clock.js';
import { ReplayPace } from '../../src/recording/replay-pace.js';
import { replaySource } from '../../src/recording/replay-source.js';
import type { SourceProblem } from '../../src/source/types.js';

const STARTED_AT = 1_764_000_000_000;

function batchAt(at: number, index: number): RecordingFrame {
  const batch = EventBatch.fromColumns(
    ['api'],
    Float64Array.of(1_700_000_000 + index),
    Uint16Array.of(200),
    ['HTTP Status Code: 200'],
  );
  return { type: 'batch', at, index, file: `f${index}.json`, invalid: 0, batch };
}

/** A recording held in memory, as `openRecordingFile` would read it from a file. */
function recordingOf(frames: RecordingFrame[], torn = false): RecordingFile {
  const lines = [
    encodeHeader({ startedAt: STARTED_AT, source: 'logs', follow: true }),
    ...frames.map(encodeFrame),
  ];
  const text = `${lines.join('\n')}\n${torn ? '{"type":"bat' : ''}`;
  const read = readRecording(text);
  return {
    path: 'test.lsrec',
    header: read.header,
    frames: (async function* () {
      yield* read.frames;
    })(),
    cut: () => read.cut,
  };
}

const FRAMES = [
  batchAt(250, 1),
  batchAt(1250, 2),
  batchAt(4000, 3),
  { type: 'end', at: 5000 } as const,
];

function replay(
  frames: RecordingFrame[],
  options: { from?: number; to?: number; torn?: boolean; ticked?: string[] } = {},
) {
  const clock = new ReplayClock(STARTED_AT, options.from ?? 0, new Set(options.ticked));
  const pace = new ReplayPace(clock, 'max');
  const problems: SourceProblem[] = [];
  const stop = new Subject<void>();
  const seen: { index: number; now: number }[] = [];
  const batches = replaySource(
    recordingOf(frames, options.torn),
    pace,
    { from: options.from ?? 0, to: options.to ?? Number.POSITIVE_INFINITY },
    { onProblem: (problem) => problems.push(problem), stop },
  );
  return { clock, pace, problems, stop, seen, batches };
}

describe('replaySource', () => {
  it('hands on each batch at its recorded time, the timers between running in order', async () => {
    const { clock, batches, problems } = replay(FRAMES);
    const order: string[] = [];
    clock.schedulerFor('a task').schedule(() => order.push(`timer at ${clock.time}`), 1000);
    const times: number[] = [];
    const all = await lastValueFrom(
      batches.pipe(
        tap(() => times.push(clock.time)),
        toArray(),
      ),
    );
    expect(all.map((batch) => [batch.index, batch.file])).toEqual([
      [1, 'f1.json'],
      [2, 'f2.json'],
      [3, 'f3.json'],
    ]);
    expect(times).toEqual([250, 1250, 4000]);
    expect(order).toEqual(['timer at 1000']);
    // The clock ran on to the recorded end, and tells the recorded run's epoch time.
    expect(clock.time).toBe(5000);
    expect(clock.now()).toBe(STARTED_AT + 5000);
    expect(problems).toEqual([]);
  });

  it("fires a ticked task's timers at the recorded ticks, whenever they were due", async () => {
    const ticks: RecordingFrame[] = [
      batchAt(250, 1),
      { type: 'tick', at: 1007, task: 'late timers' },
      batchAt(1250, 2),
      { type: 'tick', at: 3000, task: 'other' },
      { type: 'end', at: 5000 },
    ];
    const { clock, batches } = replay(ticks, { ticked: ['late timers', 'other'] });
    const fired: string[] = [];
    const lane = clock.schedulerFor('late timers');
    // Due at 1000, and again 1000 later: the recorded run fired it once, 7 ms late.
    lane.schedule(function (this: { schedule(state?: unknown, delay?: number): unknown }) {
      fired.push(`late timers at ${clock.time}, now ${lane.now() - STARTED_AT}`);
      this.schedule(undefined, 1000);
    }, 1000);
    // A lane not ticked fires when due.
    clock
      .schedulerFor('due timers')
      .schedule(() => fired.push(`due timers at ${clock.time}`), 2000);
    await lastValueFrom(batches.pipe(toArray()));
    expect(fired).toEqual(['late timers at 1007, now 1007', 'due timers at 2000']);
  });

  it('holds still while paused, steps one batch at a time, and goes on when resumed', async () => {
    const { pace, batches } = replay(FRAMES);
    pace.togglePause();
    const indexes: number[] = [];
    let completed = false;
    batches.subscribe({
      next: (batch) => indexes.push(batch.index),
      complete: () => (completed = true),
    });
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(indexes).toEqual([]);
    pace.step();
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(indexes).toEqual([1]);
    expect(pace.status.value.paused).toBe(true);
    pace.step();
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(indexes).toEqual([1, 2]);
    pace.togglePause();
    for (let i = 0; i < 50 && !completed; i++) await nextTurn();
    expect(indexes).toEqual([1, 2, 3]);
    expect(completed).toBe(true);
  });

  it('jumps ahead but never back', async () => {
    const { pace, clock, batches } = replay(FRAMES);
    pace.togglePause();
    const indexes: number[] = [];
    batches.subscribe((batch) => indexes.push(batch.index));
    expect(pace.jumpTo(2000)).toBe(true);
    for (let i = 0; i < 30; i++) await nextTurn();
    // At max speed the jump's end changes nothing: the replay runs on to the end.
    expect(indexes).toEqual([1, 2, 3]);
    expect(pace.jumpTo(clock.time - 1)).toBe(false);
  });

  it('stops when told to, even while paused', async () => {
    const { pace, stop, batches } = replay(FRAMES);
    pace.step();
    const indexes: number[] = [];
    const done = new Promise<void>((resolve) =>
      batches.subscribe({ next: (batch) => indexes.push(batch.index), complete: resolve }),
    );
    for (let i = 0; i < 20; i++) await nextTurn();
    stop.next();
    await done;
    expect(indexes).toEqual([1]);
  });

  it('plays a slice, and says once where a recording cut short ends', async () => {
    const sliced = replay(FRAMES, { from: 1000, to: 3000 });
    const slicedBatches = await lastValueFrom(sliced.batches.pipe(toArray()));
    expect(slicedBatches.map((batch) => batch.index)).toEqual([2]);
    expect(sliced.clock.time).toBe(3000);
    expect(sliced.problems).toEqual([]);

    const torn = replay(FRAMES.slice(0, 2), { torn: true });
    const tornBatches = await lastValueFrom(torn.batches.pipe(toArray()));
    expect(tornBatches.map((batch) => batch.index)).toEqual([1, 2]);
    expect(torn.problems).toEqual([
      {
        kind: 'warning',
        file: 'test.lsrec',
        reason: 'cut short at line 4 (incomplete), after batch 2: replayed up to there',
        count: 0,
      },
    ]);
    // The clock stops at the last whole frame.
    expect(torn.clock.time).toBe(1250);
  });
});
