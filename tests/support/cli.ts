import { spawn } from 'node:child_process';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';

/** The built command line, as users run it (`npm test` builds before testing). */
export const CLI = resolve(import.meta.dirname, '../../dist/src/cli.js');
export const REPO = resolve(import.meta.dirname, '../..');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as NDJSON records. */
  readonly records: Record<string, unknown>[];
}

/** Runs `logstream <args>` to completion. */
export function runCli(
  args: readonly string[],
  options: { input?: string; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr, records: parseRecords(stdout) }));
    child.stdin.end(options.input ?? '');
  });
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
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
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
