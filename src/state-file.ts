import { readFile } from 'node:fs/promises';
import type { EncodedState } from '../operators/task-state.js';
import { writeFileAtomically } from './atomic-write.js';
import { UsageError } from './usage-error.js';

/** What `--save-state` writes: every selected task's state after the same batch. */
export interface StateFile {
  /** Source batches the states cover. */
  readonly batches: number;
  readonly states: readonly EncodedState[];
}

/** Marks a file as a logstream state file, and its layout version. */
const FORMAT = 'logstream-state';
const VERSION = 1;

/** Writes `file` to `path` atomically (write, fsync, rename). */
export async function writeStateFile(path: string, file: StateFile): Promise<void> {
  const text = `${JSON.stringify({ format: FORMAT, version: VERSION, ...file })}\n`;
  try {
    await writeFileAtomically(path, text);
  } catch (error) {
    throw new UsageError(`--save-state ${path}: ${(error as Error).message}`);
  }
}

/**
 * Reads a state file written by {@link writeStateFile}.
 * @throws {UsageError} naming the file when it is missing, truncated, corrupt or of another
 * format version.
 */
export async function readStateFile(path: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new UsageError(`${path}: ${code === 'ENOENT' ? 'no such file' : message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${path}: not a logstream state file (truncated or corrupt JSON)`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${path}: not a logstream state file`);
  }
  const { format, version, batches, states } = value as Record<string, unknown>;
  if (format !== FORMAT) throw new UsageError(`${path}: not a logstream state file`);
  if (version !== VERSION) {
    throw new UsageError(
      `${path}: state file format version ${JSON.stringify(version)}, this build reads version ${VERSION}`,
    );
  }
  if (!Number.isSafeInteger(batches) || (batches as number) < 0 || !Array.isArray(states)) {
    throw new UsageError(`${path}: corrupt state file (batches or states missing)`);
  }
  return { batches: batches as number, states: states as EncodedState[] };
}
