import { BehaviorSubject, EMPTY, Subject } from 'rxjs';
import type { RunOptions } from '../cli/run-options.js';
import { connectNats, openBuckets } from '../nats/connection.js';
import { mergedOutputs } from '../nats/merged-view.js';
import { runWorker } from '../nats/worker.js';
import { NdjsonSink } from '../ndjson-sink.js';
import type { SourceStats } from '../source-stats.js';
import { UsageError } from '../usage-error.js';

/** Options of `run` that a worker or the merged view has no use for: refused, not ignored. */
const LOCAL_ONLY = [
  ['checkpoint', '--checkpoint', 'a worker stores its state in JetStream'],
  ['saveState', '--save-state', 'a worker stores its state in JetStream'],
  ['forward', '--forward', 'not supported by workers yet'],
  ['lateOutput', '--late-output', 'not supported by workers yet'],
  ['metrics', '--metrics', 'not supported by workers yet'],
] as const;

/**
 * `run --nats <url> --group <name>`: a worker of the group, or with `--merged` the group's
 * merged records on stdout (see {@link mergedOutputs}). `source` is what was typed: a
 * worker reads the stream, not a directory.
 * @throws {UsageError} for a source, a missing --group, or an option only a local run has.
 */
export async function scaleOutRunCommand(
  source: string | undefined,
  options: RunOptions,
): Promise<number> {
  const { url, group } = requireGroup(source, options);
  if (options.merged) return printMerged(url, group, options);
  for (const [name, flag, why] of LOCAL_ONLY) {
    if (options[name] !== undefined)
      throw new UsageError(`${flag}: cannot be used with --nats (${why})`);
  }
  if (options.clock === 'processing') {
    throw new UsageError(
      '--clock processing: cannot be used with --nats (arrival times differ from worker to worker)',
    );
  }
  return runWorker(url, group, options);
}

/** The checks every scale-out mode of `run` and `dashboard` shares. */
export function requireGroup(
  source: string | undefined,
  options: RunOptions,
): { url: string; group: string } {
  if (source !== undefined) {
    throw new UsageError(
      `source '${source}': a worker reads the events from NATS, not a directory (publish them with \`logstream publish ${source} --nats …\`)`,
    );
  }
  if (options.group === undefined) {
    throw new UsageError(
      '--nats: give --group <name> too (a worker of that group, or --merged for its records); to send events, use `logstream publish`',
    );
  }
  return { url: options.nats!, group: options.group };
}

async function printMerged(url: string, group: string, options: RunOptions): Promise<number> {
  const nats = await connectNats(url, `logstream merged ${group}`);
  const stop = new Subject<void>();
  const sink = new NdjsonSink(process.stdout, () => stop.next());
  const onSignal = () => stop.next();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    const { states } = await openBuckets(nats);
    await new Promise<void>((resolve, reject) => {
      mergedOutputs(nats, states, group, { once: options.once, everyMs: 1000, stop }).subscribe({
        next: (output) => sink.write(output),
        error: reject,
        complete: resolve,
      });
    });
    await sink.end();
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await nats.close();
  }
  return 0;
}

/**
 * `dashboard --nats <url> --group <name>` (`--merged` or not: a worker has no screen): the
 * dashboard of the group's merged state, updated as workers store new state. The header
 * counts the events the stored states cover; Task 4's forwarded events stay with the workers.
 */
export async function mergedDashboardCommand(
  source: string | undefined,
  options: RunOptions,
): Promise<number> {
  const { url, group } = requireGroup(source, options);
  const { showOnTerminal } = await import('./dashboard.js');
  return showOnTerminal(undefined, options, `group ${group} (merged) at ${url}`, async (quit) => {
    const nats = await connectNats(url, `logstream merged ${group}`);
    try {
      const { states } = await openBuckets(nats);
      const stats = new BehaviorSubject<SourceStats>(progressStats(0));
      const outputs = mergedOutputs(nats, states, group, {
        once: false,
        everyMs: 1000,
        stop: quit,
        onProgress: ({ events }) => stats.next(progressStats(events)),
      });
      return {
        outputs,
        stats,
        forwarded: EMPTY,
        finish: async () => {},
        close: async () => {
          stats.complete();
          await nats.close();
        },
        exitStatus: () => 0,
      };
    } catch (error) {
      await nats.close();
      throw error;
    }
  });
}

function progressStats(events: number): SourceStats {
  return { files: 0, events, invalid: 0, brokenFiles: 0, latestError: null };
}
