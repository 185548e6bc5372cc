/**
 * The recording format of `logstream record` and `--record`: every source batch as the
 * operators received it, with its arrival time, so that a run can be replayed exactly.
 *
 * A recording is NDJSON, one frame per line, so a recording cut short by a kill is still
 * read up to its last whole line, and `head -1` or `jq` can look into it. The first line is
 * the header; then, in arrival order:
 *
 * ```
 * {"type":"logstream-recording","version":1,"startedAt":1764770000000,"source":"logs/","follow":true}
 * {"type":"batch","at":1250,"index":1,"file":"a.json","invalid":0,"services":["api"],"serviceIds":"…","times":"…","statuses":"…","messages":["…"],"messageIds":"…"}
 * {"type":"problem","at":1300,"problem":{"kind":"broken","file":"b.json","reason":"…","count":0}}
 * {"type":"tick","at":2251,"task":"lazy-groups"}
 * {"type":"end","at":30000}
 * ```
 *
 * `at` is milliseconds since the recording started. A tick is a timer of a task's
 * processing-time feature (Task 2's panes, the idle flushes of Tasks 5 and 6) firing in the
 * recorded run, written by `run --record`: a replay fires that task's timers at these times
 * instead of when they were due, so it decides as the recorded run did. A batch keeps its columns as the
 * source made them (services and messages dictionary-coded, each column's bytes in base64):
 * about 24 bytes an event, against about 100 for the JSON it was read from. Not compressed:
 * a compressed stream cut short by a kill loses its last block, and the columns of one batch
 * are already small next to its distinct strings.
 *
 * Pure (no I/O): `src/` writes and streams the files, `logstream/testing` reads them whole.
 */
import { EventBatch } from '../batch.js';
import type { SourceProblem } from '../source-problem.js';
import { decodeColumn, encodeColumn } from '../task-state.js';

/** The format version this build writes and reads. */
export const RECORDING_VERSION = 1;

const HEADER_TYPE = 'logstream-recording';

/** The first line of a recording. */
export interface RecordingHeader {
  readonly version: number;
  /** Epoch milliseconds when the recording started: the replay clock's origin. */
  readonly startedAt: number;
  /** The source that was recorded, as it was named. */
  readonly source: string;
  /** Whether the source was followed (a replay then behaves as a followed run), or read once. */
  readonly follow: boolean;
  /**
   * The tasks whose timers the recording ticks, each with what shapes its timers (a slide,
   * an idle time): a replay uses a task's ticks only when its own timers are shaped alike.
   */
  readonly timers?: { readonly [task: string]: unknown };
}

/** What a recording holds after its header, in arrival order. */
export type RecordingFrame =
  | {
      readonly type: 'batch';
      /** Milliseconds since the recording started. */
      readonly at: number;
      /** The source's batch number (1, 2, …; a resumed run continues its numbers). */
      readonly index: number;
      /** The batch's file under the source, `-` for standard input. */
      readonly file: string;
      /** Events of the batch that failed validation (reported as problems). */
      readonly invalid: number;
      readonly batch: EventBatch;
    }
  | { readonly type: 'problem'; readonly at: number; readonly problem: SourceProblem }
  /** A timer of `task` fired (see the header's `timers`). */
  | { readonly type: 'tick'; readonly at: number; readonly task: string }
  /** The recording ended in order (the source completed, or the run was stopped). */
  | { readonly type: 'end'; readonly at: number };

/** A line that is not a frame of this format. */
export class RecordingError extends Error {
  override readonly name = 'RecordingError';
}

/** The header line (without its newline). */
export function encodeHeader(header: Omit<RecordingHeader, 'version'>): string {
  return JSON.stringify({ type: HEADER_TYPE, version: RECORDING_VERSION, ...header });
}

/** One frame as one line (without its newline). */
export function encodeFrame(frame: RecordingFrame): string {
  if (frame.type !== 'batch') return JSON.stringify(frame);
  const { batch } = frame;
  return JSON.stringify({
    type: 'batch',
    at: frame.at,
    index: frame.index,
    file: frame.file,
    invalid: frame.invalid,
    services: batch.serviceNames,
    serviceIds: encodeColumn(batch.serviceIds),
    times: encodeColumn(batch.times),
    statuses: encodeColumn(batch.statuses),
    messages: batch.messageTexts,
    messageIds: encodeColumn(batch.messageIds),
  });
}

/**
 * The header of a recording's first line.
 * @throws {RecordingError} when the line is not a header, or of another version.
 */
export function decodeHeader(line: string): RecordingHeader {
  const value = parseLine(line);
  if (value?.type !== HEADER_TYPE) {
    throw new RecordingError('not a logstream recording (its first line is no recording header)');
  }
  if (value.version !== RECORDING_VERSION) {
    throw new RecordingError(
      `recording format version ${JSON.stringify(value.version)}, this build reads version ${RECORDING_VERSION}`,
    );
  }
  const { startedAt, source, follow, timers } = value;
  if (typeof startedAt !== 'number' || !Number.isFinite(startedAt)) {
    throw new RecordingError('recording header: startedAt is not a time');
  }
  if (typeof source !== 'string') throw new RecordingError('recording header: source missing');
  if (typeof follow !== 'boolean') throw new RecordingError('recording header: follow missing');
  if (timers !== undefined && !isFields(timers)) {
    throw new RecordingError('recording header: timers is not a JSON object');
  }
  return {
    version: RECORDING_VERSION,
    startedAt,
    source,
    follow,
    ...(timers === undefined ? {} : { timers }),
  };
}

/**
 * The frame of one line after the header.
 * @throws {RecordingError} saying what is wrong with it.
 */
export function decodeFrame(line: string): RecordingFrame {
  const value = parseLine(line);
  if (value === undefined) throw new RecordingError('not a JSON object');
  const at = value.at;
  if (typeof at !== 'number' || !(at >= 0)) throw new RecordingError('at is not a time');
  switch (value.type) {
    case 'end':
      return { type: 'end', at };
    case 'problem':
      return { type: 'problem', at, problem: problemOf(value.problem) };
    case 'tick':
      if (typeof value.task !== 'string') throw new RecordingError('tick: task missing');
      return { type: 'tick', at, task: value.task };
    case 'batch':
      return { type: 'batch', at, ...batchOf(value) };
    default:
      throw new RecordingError(`unknown frame type ${JSON.stringify(value.type)}`);
  }
}

/** A whole recording, read by {@link readRecording}. */
export interface Recording {
  readonly header: RecordingHeader;
  readonly frames: readonly RecordingFrame[];
  /**
   * Why the recording ends before its end frame (a run killed while recording: its last
   * line incomplete; or a line that does not decode), as one sentence; undefined when it
   * ends in order, or simply stops after a whole frame.
   */
  readonly cut?: string;
}

/**
 * Reads a recording held whole in memory (a test fixture, a file a browser loaded). Frames
 * after a line that does not decode are not read: {@link Recording.cut} says where it stopped.
 * @throws {RecordingError} when the first line is not a recording header.
 */
export function readRecording(bytes: Uint8Array | string): Recording {
  const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);
  const lines = text.split('\n');
  // The piece after the last newline: empty when the recording ends with a whole line.
  const rest = lines.pop() ?? '';
  if (lines.length === 0) {
    throw new RecordingError('not a logstream recording (no complete first line)');
  }
  const header = decodeHeader(lines[0]!);
  const frames: RecordingFrame[] = [];
  const lastBatch = () => frames.findLast((frame) => frame.type === 'batch')?.index;
  for (let at = 1; at < lines.length; at++) {
    try {
      frames.push(decodeFrame(lines[at]!));
    } catch (error) {
      return { header, frames, cut: cutAt(lastBatch(), at + 1, (error as Error).message) };
    }
  }
  const cut = rest.length > 0 ? cutAt(lastBatch(), lines.length + 1, 'incomplete') : undefined;
  return { header, frames, cut };
}

/**
 * The sentence of a recording that stops at line `line` for `why`, after the batch numbered
 * `lastBatch` (none read: undefined): `cut short at line 12 (incomplete), after batch 10`.
 */
export function cutAt(lastBatch: number | undefined, line: number, why: string): string {
  const after = lastBatch === undefined ? 'before its first batch' : `after batch ${lastBatch}`;
  return `cut short at line ${line} (${why}), ${after}`;
}

function batchOf(value: Fields): Omit<RecordingFrame & { type: 'batch' }, 'type' | 'at'> {
  const { index, file, invalid, services, messages } = value;
  if (!Number.isSafeInteger(index) || (index as number) < 1) {
    throw new RecordingError('batch: index is not a batch number');
  }
  if (typeof file !== 'string') throw new RecordingError('batch: file missing');
  if (!Number.isSafeInteger(invalid) || (invalid as number) < 0) {
    throw new RecordingError('batch: invalid is not a count');
  }
  if (!isStrings(services)) throw new RecordingError('batch: services is not a list of strings');
  if (!isStrings(messages)) throw new RecordingError('batch: messages is not a list of strings');
  const serviceIds = columnOf(value, 'serviceIds', Uint32Array);
  const times = columnOf(value, 'times', Float64Array);
  const statuses = columnOf(value, 'statuses', Uint16Array);
  const messageIds = columnOf(value, 'messageIds', Uint32Array);
  const length = times.length;
  if (serviceIds.length !== length || statuses.length !== length || messageIds.length !== length) {
    throw new RecordingError('batch: its columns differ in length');
  }
  // An id past its dictionary would make an operator read `undefined` as a service.
  for (let i = 0; i < length; i++) {
    if (serviceIds[i]! >= services.length || messageIds[i]! >= messages.length) {
      throw new RecordingError(`batch: event ${i} refers to a service or message it does not list`);
    }
  }
  const batch = new EventBatch(serviceIds, services, times, statuses, messageIds, messages);
  return { index: index as number, file, invalid: invalid as number, batch };
}

function columnOf<T extends Uint16Array | Uint32Array | Float64Array>(
  value: Fields,
  name: string,
  type: { new (buffer: ArrayBuffer): T; readonly BYTES_PER_ELEMENT: number },
): T {
  const text = value[name];
  if (typeof text !== 'string') throw new RecordingError(`batch: ${name} missing`);
  try {
    return decodeColumn(text, type);
  } catch (error) {
    throw new RecordingError(`batch: ${name} ${(error as Error).message}`);
  }
}

function problemOf(value: unknown): SourceProblem {
  if (!isFields(value)) throw new RecordingError('problem: not a JSON object');
  const { kind, file, reason, count, cause, lines, indexes } = value;
  if (kind !== 'broken' && kind !== 'invalid' && kind !== 'warning') {
    throw new RecordingError('problem: unknown kind');
  }
  if (typeof file !== 'string' || typeof reason !== 'string') {
    throw new RecordingError('problem: file or reason missing');
  }
  if (!Number.isSafeInteger(count) || (count as number) < 0) {
    throw new RecordingError('problem: count is not a count');
  }
  return {
    kind,
    file,
    reason,
    count: count as number,
    ...(typeof cause === 'string' ? { cause } : {}),
    ...(isNumbers(lines) ? { lines } : {}),
    ...(isNumbers(indexes) ? { indexes } : {}),
  };
}

type Fields = { readonly [field: string]: unknown };

function parseLine(line: string): Fields | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isFields(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isNumbers(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'number');
}
