import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { afterEach } from 'vitest';
import { CLI, type CliResult, parseRecords, REPO } from './cli.js';

/** How long a test waits for an expected record or message before it fails. */
export const WAIT_MS = 10_000;

/** A `logstream` process left running (follow mode), watched while the test acts on its source. */
export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  /** Complete NDJSON lines on stdout so far, parsed. */
  records(): Record<string, unknown>[];
  stderr(): string;
  /**
   * Resolves once `condition` holds on the output so far; fails after `timeoutMs`, or when the
   * process exits first, with what it printed.
   */
  waitFor(condition: (cli: RunningCli) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves with everything the process printed and its exit status. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
  /** Resolves when the process has exited on its own. */
  readonly exited: Promise<CliResult>;
}

const running = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  // A failed test must not leave its process behind.
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Starts `logstream <args>` and keeps it running. */
export function startCli(args: readonly string[]): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: 'pipe' });
  running.add(child);
  let stdout = '';
  let stderr = '';
  let exitedResult: CliResult | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      exitedResult = { code, stdout, stderr, records: parseRecords(stdout) };
      resolve(exitedResult);
    });
  });

  const cli: RunningCli = {
    child,
    exited,
    records: () => parseRecords(stdout.slice(0, stdout.lastIndexOf('\n') + 1)),
    stderr: () => stderr,
    waitFor: (condition, what, timeoutMs = WAIT_MS) =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          if (condition(cli)) return resolve();
          const failure =
            exitedResult !== undefined
              ? `the process exited (${exitedResult.code}) before ${what}`
              : Date.now() > deadline
                ? `timed out after ${timeoutMs} ms waiting for ${what}`
                : undefined;
          if (failure) {
            return reject(new Error(`${failure}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          }
          setTimeout(check, 20);
        };
        check();
      }),
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
  return cli;
}
