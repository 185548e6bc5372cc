import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TestScheduler } from 'rxjs/testing';
import type { TaskName } from '../../operators/records.js';
import { decodeTaskState, operatorOfState } from '../../operators/states.js';
import type { EncodedState } from '../../operators/task-state.js';
import type { ExpectedRecords } from '../../operators/testing/expect-records.js';
import {
  encodeFrame,
  encodeHeader,
  type Recording,
  type RecordingFrame,
} from '../../operators/testing/recording.js';
import { recordingObservable } from '../../operators/testing/recording-observable.js';
import type { RunOptions } from '../cli/run-options.js';
import { freshStateOf } from '../topology.js';
import { openRecordingFile } from './recording-file.js';
import type { ReplaySlice } from './replay-source.js';

/** What {@link writeRegressionSpec} wrote. */
export interface WrittenSpec {
  readonly spec: string;
  /** The slice of the recording the spec replays, beside it. */
  readonly recording: string;
  /** Records the spec expects, over every task. */
  readonly records: number;
  readonly batches: number;
}

/**
 * `logstream replay <file> --spec <out.test.ts>`: a vitest file that replays a slice of the
 * recording through each selected task with TestScheduler and expects the records the
 * replay gives now, so that a surprise seen in production becomes a regression test. The
 * slice is written beside the spec (`out.lsrec`, its times counted from the slice's start),
 * and the spec reads it from there: edit the events out of it and the spec fails.
 */
export async function writeRegressionSpec(
  path: string,
  specPath: string,
  slice: ReplaySlice,
  options: RunOptions,
  command: string,
): Promise<WrittenSpec> {
  const whole = await readWhole(path);
  const sliced = sliceOf(whole, slice);
  const slicePath = join(dirname(specPath), `${specName(specPath)}.lsrec`);
  const sliceText = [
    encodeHeader({
      startedAt: whole.header.startedAt + slice.from,
      source: whole.header.source,
      follow: whole.header.follow,
    }),
    ...sliced.frames.map(encodeFrame),
    encodeFrame({ type: 'end', at: sliced.end }),
    '',
  ].join('\n');
  // The same idle flush as the replay: a followed run's windows close when traffic stops.
  const idleFlushSeconds =
    options.once || !whole.header.follow ? undefined : (options.idleFlush ?? options.watermark);
  const tests: string[] = [];
  let records = 0;
  for (const name of options.task) {
    const state = (await freshStateOf(name, options)).encode();
    const expected = expectedRecords(sliceText, state, idleFlushSeconds);
    records += expected.values.length;
    tests.push(specTest(name, state, expected, idleFlushSeconds, basename(slicePath)));
  }
  await writeFile(slicePath, sliceText);
  await writeFile(specPath, specFile(command, basename(slicePath), tests));
  const batches = sliced.frames.filter((frame) => frame.type === 'batch').length;
  return { spec: specPath, recording: slicePath, records, batches };
}

/** `out` of `out.test.ts` (or `out.spec.js`, `out.ts`). */
function specName(specPath: string): string {
  return basename(specPath).replace(/(\.(test|spec))?\.[cm]?[jt]sx?$/, '');
}

/** The recording at `path`, every frame read, through the one reader `replay` uses. */
async function readWhole(path: string): Promise<Recording> {
  const file = await openRecordingFile(path);
  const frames: RecordingFrame[] = [];
  for await (const frame of file.frames) frames.push(frame);
  return { header: file.header, frames };
}

/** The frames of `slice`, their times counted from its start, and when it ends. */
function sliceOf(recording: Recording, { from, to }: ReplaySlice) {
  const frames = recording.frames
    // No ticks: the spec's timers fire when due, on TestScheduler's clock.
    .filter(
      (frame) =>
        (frame.type === 'batch' || frame.type === 'problem') && frame.at >= from && frame.at <= to,
    )
    .map((frame) => ({ ...frame, at: frame.at - from }));
  const recordedEnd = recording.frames.find((frame) => frame.type === 'end')?.at;
  const last = recording.frames.at(-1)?.at ?? from;
  const end = Math.max(0, Math.min(recordedEnd ?? last, to) - from);
  return { frames, end };
}

/** What the spec will expect: the task's records over the slice, in TestScheduler's time. */
function expectedRecords(
  sliceText: string,
  state: EncodedState,
  idleFlushSeconds: number | undefined,
): ExpectedRecords<unknown> {
  const values: { at: number; value: unknown }[] = [];
  let end = 0;
  const scheduler = new TestScheduler(() => {});
  scheduler.run(() => {
    const operator = operatorOfState(decodeTaskState(state), { scheduler, idleFlushSeconds });
    recordingObservable(sliceText, scheduler)
      .pipe(operator)
      .subscribe({
        next: (value) => values.push({ at: scheduler.now(), value }),
        complete: () => {
          end = scheduler.now();
        },
      });
  });
  return { values, end };
}

function specTest(
  name: TaskName,
  state: EncodedState,
  expected: ExpectedRecords<unknown>,
  idleFlushSeconds: number | undefined,
  sliceFile: string,
): string {
  const idle = idleFlushSeconds === undefined ? '' : `, idleFlushSeconds: ${idleFlushSeconds}`;
  return `it(${JSON.stringify(`${name}: the records of ${sliceFile}`)}, () => {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run((helpers) => {
    const state = decodeTaskState(${JSON.stringify(state)});
    const records = recordingObservable(recording, scheduler).pipe(
      operatorOfState(state, { scheduler${idle} }),
    );
    expectRecords(helpers, records, ${expectedText(expected)});
  });
});
`;
}

/** The expected records, one per line, so that a failing spec's diff reads record by record. */
function expectedText({ values, end }: ExpectedRecords<unknown>): string {
  const lines = values.map((value) => `        ${JSON.stringify(value)},`);
  return `{\n      end: ${end},\n      values: [\n${lines.join('\n')}\n      ],\n    }`;
}

function specFile(command: string, sliceFile: string, tests: readonly string[]): string {
  return `// Written by ${JSON.stringify(command)}.
// Replays the recording beside this file through each task in virtual time and expects the
// records it gave then: a regression test of what the recording showed.
import { readFileSync } from 'node:fs';
import { decodeTaskState, operatorOfState } from 'logstream/operators';
import { expectRecords, recordingObservable } from 'logstream/testing';
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';

const recording = readFileSync(new URL(${JSON.stringify(`./${sliceFile}`)}, import.meta.url));

${tests.join('\n')}`;
}
