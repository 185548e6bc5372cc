import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { EventBatch, NO_STATUS } from '../../operators/batch.js';
import { runningAverage } from '../../operators/running-average.js';
import { expectRecords } from '../../operators/testing/expect-records.js';
import {
  decodeFrame,
  encodeFrame,
  encodeHeader,
  RecordingError,
  type RecordingFrame,
  readRecording,
} from '../../operators/testing/recording.js';
import { recordingObservable } from '../../operators/testing/recording-observable.js';

const header = encodeHeader({ startedAt: 1_764_000_000_000, source: 'logs/', follow: true });

function batchFrame(at: number, index: number, services: string[], statuses: number[]) {
  const batch = EventBatch.fromColumns(
    services,
    Float64Array.from(services, (_, i) => 1_700_000_000 + index * 10 + i),
    Uint16Array.from(statuses),
    statuses.map((status) => (status === NO_STATUS ? 'no status' : `HTTP Status Code: ${status}`)),
  );
  return { type: 'batch', at, index, file: `f${index}.json`, invalid: 0, batch } as const;
}

const frames: RecordingFrame[] = [
  batchFrame(250, 1, ['api', 'web', 'api'], [200, 500, NO_STATUS]),
  {
    type: 'problem',
    at: 300,
    problem: { kind: 'broken', file: 'x.json', reason: 'no JSON', count: 0 },
  },
  { type: 'tick', at: 1000, task: 'lazy-groups' },
  batchFrame(1250, 2, ['web'], [204]),
  { type: 'end', at: 2000 },
];
const recording = `${[header, ...frames.map(encodeFrame)].join('\n')}\n`;

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('the recording format', () => {
  it('reads back every frame as it was written: columns, dictionaries and problems', () => {
    const read = readRecording(new TextEncoder().encode(recording));
    expect(read.header).toEqual({
      version: 1,
      startedAt: 1_764_000_000_000,
      source: 'logs/',
      follow: true,
    });
    expect(read.cut).toBeUndefined();
    expect(read.frames.map((frame) => [frame.type, frame.at])).toEqual([
      ['batch', 250],
      ['problem', 300],
      ['tick', 1000],
      ['batch', 1250],
      ['end', 2000],
    ]);
    const first = read.frames[0]!;
    if (first.type !== 'batch') throw new Error('not a batch');
    expect(first.batch.services).toEqual(['api', 'web', 'api']);
    expect([...first.batch.statuses]).toEqual([200, 500, NO_STATUS]);
    expect(first.batch.messages).toEqual([
      'HTTP Status Code: 200',
      'HTTP Status Code: 500',
      'no status',
    ]);
    expect(read.frames[1]).toEqual(frames[1]);
    expect(read.frames[2]).toEqual({ type: 'tick', at: 1000, task: 'lazy-groups' });
    const timed = encodeHeader({
      startedAt: 5,
      source: '-',
      follow: false,
      timers: { 'lazy-groups': { idleMs: 1000 } },
    });
    expect(readRecording(`${timed}\n`).header.timers).toEqual({ 'lazy-groups': { idleMs: 1000 } });
  });

  it('stops at a line cut short, or one that does not decode, and says after which batch', () => {
    const lines = recording.split('\n');
    const torn = `${lines.slice(0, 3).join('\n')}\n${lines[3]!.slice(0, 20)}`;
    expect(readRecording(torn).frames).toHaveLength(2);
    expect(readRecording(torn).cut).toBe('cut short at line 4 (incomplete), after batch 1');
    const garbled = `${lines.slice(0, 2).join('\n')}\n{"type":"batch","at":5}\n${lines[3]}\n`;
    expect(readRecording(garbled).cut).toBe(
      'cut short at line 3 (batch: index is not a batch number), after batch 1',
    );
    expect(readRecording(`${header}\n{"type":"end"`).cut).toBe(
      'cut short at line 2 (incomplete), before its first batch',
    );
  });

  it('refuses what is no recording, and frames that do not hold together', () => {
    expect(() => readRecording('{"service":"api"}\n')).toThrow(RecordingError);
    expect(() => readRecording('')).toThrow(/no complete first line/);
    expect(() => readRecording(`${header.replace('"version":1', '"version":9')}\n`)).toThrow(
      /format version 9, this build reads version 1/,
    );
    const good = JSON.parse(encodeFrame(frames[0]!)) as Record<string, unknown>;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...good, at: -1 }, /at is not a time/],
      [{ ...good, type: 'tock' }, /unknown frame type "tock"/],
      [{ ...good, times: '!!' }, /times is not base64/],
      [{ ...good, statuses: btoa('abc') }, /statuses has a partial value/],
      [{ ...good, services: ['api'] }, /event 1 refers to a service or message it does not list/],
      [{ ...good, messageIds: btoa('') }, /columns differ in length/],
      [{ type: 'problem', at: 1, problem: { kind: 'odd' } }, /problem: unknown kind/],
      [{ type: 'tick', at: 1 }, /tick: task missing/],
    ];
    for (const [frame, message] of cases) {
      expect(() => decodeFrame(JSON.stringify(frame))).toThrow(message);
    }
  });
});

describe('recordingObservable', () => {
  it('emits each batch at its arrival time, and completes at the end frame', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const sizes = recordingObservable(recording, scheduler).pipe(map((batch) => batch.length));
      expectObservable(sizes).toBe('250ms a 999ms b 749ms |', { a: 3, b: 1 });
    });
  });

  it('stops emitting when unsubscribed', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const sizes = recordingObservable(recording, scheduler).pipe(map((batch) => batch.length));
      expectObservable(sizes, '^ 500ms !').toBe('250ms a', { a: 3 });
    });
  });

  it('plays a slice, its times counted from the slice start', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const slice = recordingObservable(recording, scheduler, { from: 1000, to: 1500 });
      expectObservable(slice.pipe(map((batch) => batch.length))).toBe('250ms (b|)', { b: 1 });
    });
  });

  it('feeds an operator, whose records expectRecords pins, and a changed record fails', () => {
    const run = (successes: number) => {
      const scheduler = testScheduler();
      scheduler.run((helpers) => {
        const records = recordingObservable(recording, scheduler).pipe(
          runningAverage(),
          map((record) => record.successes),
        );
        expectRecords(helpers, records, {
          values: [
            { at: 250, value: 1 },
            { at: 1250, value: successes },
          ],
          end: 2000,
        });
      });
    };
    run(2);
    expect(() => run(3)).toThrow();
  });

  it('throws a RecordingError for bytes that are no recording', () => {
    expect(() => recordingObservable('not a recording\n', testScheduler())).toThrow(RecordingError);
  });
});
