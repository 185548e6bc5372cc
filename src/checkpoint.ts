/**
 * Checkpoints of `run` and `dashboard` (`--checkpoint <dir>`), as Spark keeps an offset log and
 * saved state, in one file written atomically: which files were read and how far (with each
 * file's identity), every task's state, the last batch number, and the length of the
 * `--forward` and `--late-output` files, all after the same batch. A run started again with the directory resumes
 * from it exactly once; see README "Delivery guarantees".
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TaskName } from '../operators/records.js';
import type { EncodedState } from '../operators/task-state.js';
import { writeFileAtomically } from './atomic-write.js';
import { type EncodedCursor, FileCursors } from './source/file-cursors.js';
import { UsageError } from './usage-error.js';

/** The file of a checkpoint directory that holds the checkpoint. */
export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT = 'logstream-checkpoint';
const VERSION = 1;

/** An output file that a resumed run cuts back to `length` before adding to it. */
export interface OutputLength {
  readonly path: string;
  readonly length: number;
}

/** Everything a checkpoint holds, all as it was after batch {@link batch}. */
export interface Checkpoint {
  /** The source directory, resolved. */
  readonly source: string;
  /** Source batches read so far; the resumed run's first batch is `batch + 1`. */
  readonly batch: number;
  /**
   * The file of batch {@link batch} (`-` before the first): the `file` of the records a
   * resumed run emits before it reads a batch (the final ones, when nothing new is there).
   */
  readonly file: string;
  /** Where each file was read up to. */
  readonly files: readonly EncodedCursor[];
  /** Every selected task's state, in task order. */
  readonly states: readonly EncodedState[];
  readonly forward: OutputLength | null;
  /** The `--late-output` file; a checkpoint written before that option existed has none. */
  readonly late: OutputLength | null;
}

/** A checkpoint as read back: the same, with the file positions decoded for the source. */
export interface ResumePoint extends Omit<Checkpoint, 'files'> {
  readonly cursors: FileCursors;
  /** The checkpoint file, for messages. */
  readonly path: string;
}

/**
 * The checkpoint in `dir` (a directory: see {@link lockCheckpoint}), or `undefined` when
 * there is none yet (a first run).
 * @throws {UsageError} naming the file when it cannot be read, is corrupt or of another
 * format version.
 */
export async function readCheckpoint(dir: string): Promise<ResumePoint | undefined> {
  const path = join(dir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') return undefined;
    throw new UsageError(`checkpoint ${path}: ${message}`);
  }
  const corrupt = (why: string) => new UsageError(`checkpoint ${path}: corrupt (${why})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt('truncated or not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corrupt('not a JSON object');
  }
  const fields = value as Record<string, unknown>;
  if (fields.format !== FORMAT)
    throw new UsageError(`checkpoint ${path}: not a logstream checkpoint`);
  if (fields.version !== VERSION) {
    throw new UsageError(
      `checkpoint ${path}: format version ${JSON.stringify(fields.version)}, this build reads version ${VERSION}`,
    );
  }
  const { source, batch, file, files, states, forward, late = null } = fields;
  if (typeof source !== 'string') throw corrupt('source missing');
  if (!Number.isSafeInteger(batch) || (batch as number) < 0) throw corrupt('batch missing');
  if (typeof file !== 'string') throw corrupt('file missing');
  if (!Array.isArray(states) || !states.every(isEncodedState)) throw corrupt('states missing');
  if (forward !== null && !isOutputLength(forward)) throw corrupt('forward missing');
  if (late !== null && !isOutputLength(late)) throw corrupt('late malformed');
  let cursors: FileCursors;
  try {
    cursors = FileCursors.decode(files);
  } catch (error) {
    throw corrupt((error as Error).message);
  }
  return {
    path,
    source,
    batch: batch as number,
    file,
    states: states as EncodedState[],
    forward: forward as OutputLength | null,
    late: late as OutputLength | null,
    cursors,
  };
}

/** Writes `checkpoint` into `dir` (created if missing), atomically: write, fsync, rename. */
export async function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  const path = join(dir, CHECKPOINT_FILE);
  try {
    await mkdir(dir, { recursive: true });
    await writeFileAtomically(
      path,
      `${JSON.stringify({ format: FORMAT, version: VERSION, ...checkpoint })}\n`,
    );
  } catch (error) {
    throw new UsageError(`checkpoint ${path}: ${(error as Error).message}`);
  }
}

/** The file that marks a checkpoint directory as in use, holding the process id. */
export const LOCK_FILE = 'lock';

/**
 * Takes `dir` (created if missing) for this process: two runs writing one checkpoint would
 * each cut the other's --forward file and skip the other's files. A lock left by a process
 * that died (SIGKILL, a crash) is taken over. Resolves with the function that releases it.
 * @throws {UsageError} when a live process holds it.
 */
export async function lockCheckpoint(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    // EEXIST: `dir` is a file; ENOTDIR: one of its parents is.
    const { code, message } = error as NodeJS.ErrnoException;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'not a directory' : message;
    throw new UsageError(`--checkpoint ${dir}: ${why}`);
  }
  for (;;) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UsageError(`--checkpoint ${dir}: ${(error as Error).message}`);
      }
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new UsageError(`--checkpoint ${dir}: in use by process ${holder}`);
    }
    await rm(path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The output files a run appends to, as given on its command line. */
export interface OutputPaths {
  readonly forward: string | undefined;
  readonly late: string | undefined;
}

const OUTPUT_FLAGS = { forward: '--forward', late: '--late-output' } as const;

/**
 * Checks that a run of `tasks` over `source` with `outputs` may resume from `point`: the
 * same source, the same tasks, the same --forward and --late-output files; each task's
 * options are checked when its state is restored.
 * @throws {UsageError} naming the difference.
 */
export function requireResumable(
  point: ResumePoint,
  source: string,
  tasks: readonly TaskName[],
  outputs: OutputPaths,
): void {
  const where = `checkpoint ${point.path}`;
  if (point.source !== resolve(source)) {
    throw new UsageError(`${where}: taken over source ${point.source}, not ${resolve(source)}`);
  }
  const saved = point.states.map((state) => state.task).join(',');
  if (saved !== tasks.join(',')) {
    throw new UsageError(
      `${where}: taken with --task ${saved}, this run asks for ${tasks.join(',')}`,
    );
  }
  for (const output of ['forward', 'late'] as const) {
    const flag = OUTPUT_FLAGS[output];
    const savedPath = point[output]?.path;
    const given = outputs[output];
    const asked = given === undefined ? undefined : resolve(given);
    if (savedPath !== asked) {
      const describe = (path: string | undefined, none: string) =>
        path === undefined ? none : `${flag} ${path}`;
      throw new UsageError(
        `${where}: taken with ${describe(savedPath, `no ${flag}`)}, this run has ${describe(asked, 'none')}`,
      );
    }
  }
}

/**
 * Writes checkpoints at most once per `intervalMs` (coalescing the batches in between), when
 * {@link afterBatch} finds one due, and once more at the end ({@link flush}). `take` gathers
 * the checkpoint of the batch just processed; it may wait (a batch of Task 5 still being
 * reduced), holding the source back meanwhile.
 */
export class Checkpointer {
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastBatch: number;

  constructor(
    private readonly dir: string,
    private readonly intervalMs: number,
    private readonly take: () => Promise<Checkpoint>,
    /** The batch of the checkpoint resumed from: no checkpoint is due before the next. */
    resumedAt = -1,
  ) {
    this.lastBatch = resumedAt;
  }

  /** Writes a checkpoint if one is due and a batch came since the last. */
  async afterBatch(batch: number): Promise<void> {
    if (batch === this.lastBatch || performance.now() - this.lastAt < this.intervalMs) return;
    await this.save();
  }

  /** Writes the last checkpoint. */
  async flush(): Promise<void> {
    await this.save();
  }

  private async save(): Promise<void> {
    const checkpoint = await this.take();
    await writeCheckpoint(this.dir, checkpoint);
    this.lastAt = performance.now();
    this.lastBatch = checkpoint.batch;
  }
}

function isEncodedState(value: unknown): value is EncodedState {
  if (typeof value !== 'object' || value === null) return false;
  const { task, options, state } = value as Record<string, unknown>;
  // A resumed run compares the options before it decodes the state, and that needs an object.
  return (
    typeof task === 'string' &&
    typeof options === 'object' &&
    options !== null &&
    typeof state === 'object'
  );
}

function isOutputLength(value: unknown): value is OutputLength {
  if (typeof value !== 'object' || value === null) return false;
  const { path, length } = value as Record<string, unknown>;
  return typeof path === 'string' && Number.isSafeInteger(length) && (length as number) >= 0;
}
