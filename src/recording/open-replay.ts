import type { RecordingHeader } from '../../operators/testing/recording.js';
import type { RunOptions } from '../cli/run-options.js';
import { type TopologyEdges, timerShapes } from '../topology.js';
import { UsageError } from '../usage-error.js';
import { openRecordingFile, type RecordingFile } from './recording-file.js';
import { ReplayClock } from './replay-clock.js';
import { ReplayPace, type ReplaySpeed } from './replay-pace.js';
import { type ReplaySlice, replaySource } from './replay-source.js';

/** What `replay` takes besides the options of `run`. */
export interface ReplayOptions {
  readonly speed: ReplaySpeed;
  /** The slice of the recording to replay, in seconds since its start. */
  readonly from?: number;
  readonly to?: number;
  readonly dashboard: boolean;
  /** Write a vitest regression spec of the slice here, instead of replaying it. */
  readonly spec?: string;
}

/** A recording opened for replay: the topology's input and clock, and the pace that drives them. */
export interface Replay {
  readonly recording: RecordingFile;
  readonly pace: ReplayPace;
  /** The options of the run being replayed: `--once` when the recording was read once. */
  readonly options: RunOptions;
  readonly edges: Required<Pick<TopologyEdges, 'input' | 'schedulerFor'>>;
}

/** `--from` and `--to` in the recording's milliseconds. */
export function sliceOf({ from, to }: ReplayOptions): ReplaySlice {
  // Whole milliseconds, as the frames are stamped: 1.234 s is 1234 ms, not 1234.0000000000002.
  const slice = { from: Math.round((from ?? 0) * 1000), to: Math.round((to ?? Infinity) * 1000) };
  if (slice.to < slice.from) {
    throw new UsageError(`replay: --to (${to}s) is before --from (${from}s)`);
  }
  return slice;
}

/** Opens the recording at `path` and sets up its clock and pace. */
export async function openReplay(
  path: string,
  replayOptions: ReplayOptions,
  options: RunOptions,
): Promise<Replay> {
  for (const [name, given] of [
    ['--checkpoint', options.checkpoint],
    ['--record', options.record],
    ['--nats', options.nats],
  ] as const) {
    if (given !== undefined) {
      throw new UsageError(`replay: ${name} cannot be used (a replay reads a recording, once)`);
    }
  }
  const slice = sliceOf(replayOptions);
  const recording = await openRecordingFile(path);
  const replayed = { ...options, once: options.once || !recording.header.follow };
  const clock = new ReplayClock(
    recording.header.startedAt,
    slice.from,
    tickedTasks(recording.header, replayed, slice),
  );
  const pace = new ReplayPace(clock, replayOptions.speed);
  return {
    recording,
    pace,
    options: replayed,
    edges: {
      input: (sourceOptions) => replaySource(recording, pace, slice, sourceOptions),
      schedulerFor: (task) => clock.schedulerFor(task),
    },
  };
}

/**
 * The tasks whose timers fire at the recording's ticks: those whose timers the recorded run
 * ticked, shaped as this replay's (the same slide, the same idle times), when the replay
 * starts where the recording does (a slice starts its tasks empty, their timers unlike the
 * recorded run's). The others' timers fire when they are due.
 */
function tickedTasks(
  header: RecordingHeader,
  options: RunOptions,
  slice: ReplaySlice,
): Set<string> {
  const ticked = new Set<string>();
  if (slice.from > 0 || header.timers === undefined) return ticked;
  for (const [task, shape] of Object.entries(timerShapes(options))) {
    if (JSON.stringify(header.timers[task]) === JSON.stringify(shape)) ticked.add(task);
  }
  return ticked;
}
