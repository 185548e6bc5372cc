import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';

/** The built command line, as users run it (`npm test` builds before testing). */
export const CLI = resolve(import.meta.dirname, '../../dist/src/cli.js');
export const REPO = resolve(import.meta.dirname, '../..');

/** What a finished process printed, and its exit status. */
export interface ProcessOutput {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliResult extends ProcessOutput {
  /** stdout parsed as NDJSON records. */
  readonly records: Record<string, unknown>[];
}

/** A Node.js process started by a test, with what it has printed so far. */
export interface NodeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once the process has exited and its output is closed. */
  readonly exited: Promise<ProcessOutput>;
}

/** Starts `node <args>` in `cwd` (with `env` added to the environment) and gathers what it prints. */
export function spawnNode(
  args: readonly string[],
  cwd = REPO,
  env: Record<string, string> = {},
): NodeProcess {
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: 'pipe',
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<ProcessOutput>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The output of a finished `logstream`, its stdout parsed as NDJSON records. */
export function withRecords(output: ProcessOutput): CliResult {
  return { ...output, records: parseRecords(output.stdout) };
}

/** Runs `logstream <args>` to completion, `input` on its standard input. */
export async function runCli(
  args: readonly string[],
  options: { input?: string; cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const cli = spawnNode([CLI, ...args], options.cwd, options.env);
  cli.child.stdin.end(options.input ?? '');
  return withRecords(await cli.exited);
}

export function parseRecords(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A fresh temporary directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'logstream-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/**
 * Writes a file of the source with a modification time `order` seconds after a fixed past
 * instant, so files are read in a known order and are old enough never to count as being
 * written.
 */
export async function writeLogFile(
  dir: string,
  name: string,
  content: unknown,
  order = 0,
): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content),
  );
  const time = 1_600_000_000 + order;
  await utimes(path, time, time);
  return path;
}

export const event = (service: string, timestamp: number, status: number | null, extra = '') => ({
  service,
  timestamp,
  message: status === null ? `no status ${extra}` : `HTTP Status Code: ${status}${extra}`,
});

/** The records of one task. */
export function recordsOf(result: CliResult, task: string): Record<string, unknown>[] {
  return result.records.filter((record) => record.task === task);
}

/** Writes a log file as a well-behaved producer does: under a temporary name, then a rename. */
export async function writeAtomically(dir: string, name: string, content: unknown): Promise<void> {
  const temporary = join(dir, `.${name}.tmp`);
  await writeFile(
    temporary,
    typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content),
  );
  await rename(temporary, join(dir, name));
}
