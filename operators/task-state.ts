/**
 * What every task's state has in common: it is a value (Algebird's aggregators and Apache
 * DataSketches' sketches are the models) that can be created from options, fed batches,
 * merged with another state of the same options, turned into the task's record, and encoded
 * as versioned JSON that decodes only into a state of the same version and options.
 * Checkpoints, `--save-state`, `logstream merge`, metrics and scale-out all work on these
 * values; the RxJS operators are thin wrappers that feed them.
 */
import type { EventBatch } from './batch.js';
import type { Column } from './columns.js';
import type { TaskName, TaskRecord } from './records.js';
import { isMaxServices, OTHER_SERVICES } from './service-limit.js';

/** A state as JSON: safe to write to a file, send over a network, and read back. */
export interface EncodedState {
  readonly task: TaskName;
  /** The format version of this task's state. */
  readonly version: number;
  /** The options that shape the state: two states merge only when these are equal. */
  readonly options: { readonly [name: string]: unknown };
  /** The task's own fields. */
  readonly state: unknown;
}

/** The common surface of the six state types. */
export interface TaskState<Self, Record extends TaskRecord = TaskRecord> {
  readonly task: TaskName;
  /** Adds one batch, in place (a batch is one unit: one emission of the operator). */
  add(batch: EventBatch): unknown;
  /**
   * A new state equal to the state over both inputs (see each task for what "equal" means
   * when the task depends on order); neither this nor `other` changes.
   * @throws {StateError} when the options differ.
   */
  merge(other: Self): Self;
  /**
   * The task's record for the events added so far. Task 6 has none (it emits one record per
   * closed window): its windows come from `add` and {@link finalRecords}.
   */
  record?(): Record;
  /** What `run --once` prints for this state at the end of its input. */
  finalRecords(): Record[];
  /**
   * Tasks that count per service: whether services past their `maxServices` bound were
   * counted together as `(other)`.
   */
  readonly overflowed?: boolean;
  encode(): EncodedState;
}

/** A state that cannot be decoded or merged: another version, other options, corrupt fields. */
export class StateError extends Error {
  override readonly name = 'StateError';
}

/**
 * Checks that `encoded` is a `task` state of `version` and returns its fields; with
 * `options`, also that it was made with these options.
 */
export function openEncoded(
  encoded: unknown,
  task: TaskName,
  version: number,
  options?: EncodedState['options'],
): { options: EncodedState['options']; state: { readonly [field: string]: unknown } } {
  if (!isObject(encoded)) throw new StateError(`${task} state: not a JSON object`);
  if (encoded.task !== task) {
    throw new StateError(`${task} state: holds the state of ${describe(encoded.task)}`);
  }
  if (encoded.version !== version) {
    throw new StateError(
      `${task} state: format version ${describe(encoded.version)}, this build reads version ${version}`,
    );
  }
  if (!isObject(encoded.options)) throw new StateError(`${task} state: options missing`);
  if (!isObject(encoded.state)) throw new StateError(`${task} state: fields missing`);
  if (options !== undefined) requireSameOptions(task, encoded.options, options);
  return { options: encoded.options, state: encoded.state };
}

/** @throws {StateError} naming the first option in which `a` and `b` differ. */
export function requireSameOptions(
  task: TaskName,
  a: EncodedState['options'],
  b: EncodedState['options'],
): void {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of names) {
    if (JSON.stringify(a[name]) !== JSON.stringify(b[name])) {
      throw new StateError(
        `${task} states differ in ${name}: ${JSON.stringify(a[name]) ?? 'none'} and ${JSON.stringify(b[name]) ?? 'none'}`,
      );
    }
  }
}

/** @throws {StateError} naming the first option of a decoded state that is not in `names`. */
export function requireKnownOptions(
  task: TaskName,
  options: EncodedState['options'],
  names: readonly string[],
): void {
  for (const name of Object.keys(options)) {
    if (!names.includes(name)) {
      throw new StateError(`${task} state: unknown option ${JSON.stringify(name)}`);
    }
  }
}

/** A field of a decoded state that must be a finite number. */
export function numberField(task: TaskName, state: object, name: string): number {
  const value = (state as { [field: string]: unknown })[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StateError(`${task} state: ${name} is ${describe(value)}, not a number`);
  }
  return value;
}

/** Whether `value` is a count: a safe integer >= 0. */
export function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** A field of a decoded state that must be a count (a safe integer >= 0). */
export function countField(task: TaskName, state: object, name: string): number {
  const value = numberField(task, state, name);
  if (!isCount(value)) throw new StateError(`${task} state: ${name} is ${value}, not a count`);
  return value;
}

/** A time for JSON, which has no infinities: `null` stands for "none yet" (±Infinity). */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** A field that must be a number or null (JSON has no infinities: null stands for "none yet"). */
export function nullableNumberField(task: TaskName, state: object, name: string): number | null {
  const value = (state as { [field: string]: unknown })[name];
  return value === null ? null : numberField(task, state, name);
}

/** A field that must be an array of strings. */
export function stringsField(task: TaskName, state: object, name: string): string[] {
  const value = (state as { [field: string]: unknown })[name];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new StateError(`${task} state: ${name} is not a list of strings`);
  }
  return value;
}

/**
 * @throws {StateError} when a decoded list of services is longer than a state bounded to
 * `maxServices` can hold (they, and `(other)` when it is listed).
 */
export function requireWithinLimit(
  task: TaskName,
  name: string,
  services: readonly string[],
  maxServices: number,
): void {
  if (services.length > maxServices + (services.includes(OTHER_SERVICES) ? 1 : 0)) {
    throw new StateError(
      `${task} state: ${name} lists ${services.length} services, more than maxServices ${maxServices} allows`,
    );
  }
}

/** The `maxServices` option of a decoded state's options (`checkMaxServices`'s rule). */
export function maxServicesOption(task: TaskName, options: object): number {
  const value = (options as { readonly maxServices?: unknown }).maxServices;
  if (!isMaxServices(value)) {
    throw new StateError(`${task} state: maxServices is ${describe(value)}, not an integer >= 1`);
  }
  return value;
}

export type ColumnType<T extends Column> = {
  new (buffer: ArrayBuffer): T;
  readonly BYTES_PER_ELEMENT: number;
};

// Typed arrays are encoded as their bytes in the machine's order; every platform Node and
// browsers run on is little-endian, and a big-endian one is refused rather than misread.
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** A typed array as base64 text: compact in JSON, exact for every double. */
export function encodeColumn(column: Column): string {
  if (!LITTLE_ENDIAN) throw new StateError('state encoding needs a little-endian machine');
  return toBase64(new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_CODES = Uint8Array.from(BASE64, (char) => char.charCodeAt(0));
const PADDING = '='.charCodeAt(0);
/** Every 12 bits as their two base64 characters, one 16-bit code unit pair in memory order. */
const PAIRS = Uint16Array.from(
  { length: 4096 },
  (_, bits) => BASE64_CODES[bits >> 6]! | (BASE64_CODES[bits & 63]! << 8),
);
const ASCII = new TextDecoder('latin1');

/**
 * `bytes` as base64. Written here because `btoa` needs a binary string built first and runs
 * at about 16 MB/s in Node 20; this writes the characters' codes into bytes, two at a time,
 * and decodes them as text at once: about 200 MB/s, what a recording of a live run needs.
 */
function toBase64(bytes: Uint8Array): string {
  const whole = bytes.length - (bytes.length % 3);
  const out = new Uint16Array((Math.ceil(bytes.length / 3) * 4) / 2);
  let at = 0;
  for (let i = 0; i < whole; i += 3) {
    const bits = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[at++] = PAIRS[bits >> 12]!;
    out[at++] = PAIRS[bits & 4095]!;
  }
  if (bytes.length - whole === 1) {
    out[at++] = PAIRS[bytes[whole]! << 4]!;
    out[at] = PADDING | (PADDING << 8);
  } else if (bytes.length - whole === 2) {
    const bits = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8);
    out[at++] = PAIRS[bits >> 12]!;
    out[at] = BASE64_CODES[(bits >> 6) & 63]! | (PADDING << 8);
  }
  return ASCII.decode(out);
}

/** The typed array of {@link encodeColumn}'s text. */
export function columnField<T extends Column>(
  task: TaskName,
  state: object,
  name: string,
  type: ColumnType<T>,
): T {
  const value = (state as { [field: string]: unknown })[name];
  if (typeof value !== 'string') throw new StateError(`${task} state: ${name} missing`);
  try {
    return decodeColumn(value, type);
  } catch (error) {
    throw new StateError(`${task} state: ${name} ${(error as Error).message}`);
  }
}

/**
 * The typed array of {@link encodeColumn}'s `text`.
 * @throws {Error} saying what is wrong (`is not base64`, `has a partial value`), for the
 * caller to prefix with what the column is.
 */
export function decodeColumn<T extends Column>(text: string, type: ColumnType<T>): T {
  if (!LITTLE_ENDIAN) throw new Error('needs a little-endian machine to decode');
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new Error('is not base64');
  }
  if (binary.length % type.BYTES_PER_ELEMENT !== 0) throw new Error('has a partial value');
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new type(bytes.buffer);
}

function isObject(value: unknown): value is { readonly [field: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}
