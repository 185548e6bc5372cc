import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach } from 'vitest';
import { CLI, type CliResult, parseRecords, spawnNode, withRecords } from './cli.js';
import { WAIT_MS, waitUntil } from './wait.js';

export { WAIT_MS };

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
  const spawned = spawnNode([CLI, ...args]);
  const { child } = spawned;
  running.add(child);
  let exitedResult: CliResult | undefined;
  const exited = spawned.exited.then((output) => {
    running.delete(child);
    exitedResult = withRecords(output);
    return exitedResult;
  });
  const printed = () => `\nstdout:\n${spawned.stdout()}\nstderr:\n${spawned.stderr()}`;

  const cli: RunningCli = {
    child,
    exited,
    records: () => {
      const stdout = spawned.stdout();
      return parseRecords(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
    },
    stderr: spawned.stderr,
    waitFor: (condition, what, timeoutMs = WAIT_MS) =>
      waitUntil(
        () => {
          if (condition(cli)) return true;
          if (exitedResult !== undefined) {
            throw new Error(`the process exited (${exitedResult.code}) before ${what}${printed()}`);
          }
          return false;
        },
        what,
        { timeoutMs, seen: printed },
      ),
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
  return cli;
}

/** How long a run may take to end after SIGTERM before it counts as ignoring the signal. */
export const STOP_MS = 5_000;

/**
 * Sends SIGTERM and resolves with what the process printed; fails when it has not exited
 * within {@link STOP_MS} (a reader blocked on a FIFO, a watcher left open), killing it then.
 */
export async function stopPromptly(cli: RunningCli): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cli.child.kill('SIGKILL');
      reject(new Error(`still running ${STOP_MS} ms after SIGTERM\nstderr:\n${cli.stderr()}`));
    }, STOP_MS);
  });
  try {
    return await Promise.race([cli.stop('SIGTERM'), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `logstream generate` writing `files` files of 1,000 events (seed 3) into `dir`, one every
 * `delay`, as services write them: the files jump back in time, as the generator's do.
 */
export function startGenerator(dir: string, files: number, delay: string): RunningCli {
  return startCli([
    'generate',
    dir,
    '--files',
    String(files),
    '--events',
    '1000',
    '--seed',
    '3',
    '--delay',
    delay,
  ]);
}
