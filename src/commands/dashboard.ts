import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { type Observable, Subject } from 'rxjs';
import type { LogEvent } from '../../operators/event.js';
import type { RunOptions } from '../cli/run-options.js';
import { renderDashboard } from '../dashboard/index.js';
import type { ReplayControls } from '../dashboard/types.js';
import type { Replay } from '../recording/open-replay.js';
import { SourceMonitor, type SourceStats } from '../source-stats.js';
import { openTopology, type TaskOutput, type TopologyEdges } from '../topology.js';
import { UsageError } from '../usage-error.js';

/**
 * `logstream dashboard`: one screen subscribed to every selected task. Resolves with the exit
 * status when the user quits (q, Ctrl-C) or a signal arrives (1 with `--strict` after
 * invalid input). It draws on stdout, which must
 * be a terminal; its keys come from standard input when that is the terminal, else (events
 * piped in with `-`, or stdin redirected) from the controlling terminal, /dev/tty.
 */
export async function dashboardCommand(
  source: string,
  options: RunOptions,
  label = source,
): Promise<number> {
  return showOnTerminal(source, options, label, (quit) => localFeed(source, options, quit));
}

/** `logstream replay <file> --dashboard`: the dashboard over a recording's replay. */
export async function replayDashboardCommand(source: string, replay: Replay): Promise<number> {
  const label = `${replay.recording.path} (replay of ${source})`;
  return showOnTerminal(undefined, replay.options, label, async (quit) => ({
    ...(await localFeed(source, replay.options, quit, replay.edges)),
    replay: replay.pace,
  }));
}

/**
 * What the dashboard shows and how it ends: a local topology over a source, or a scale-out
 * group's merged view.
 */
export interface DashboardFeed {
  readonly outputs: Observable<TaskOutput>;
  readonly stats: Observable<SourceStats>;
  readonly forwarded: Observable<LogEvent>;
  /** After the screen is gone, before closing: writes what quitting saves (`--save-state`). */
  finish(): Promise<void>;
  close(): Promise<void>;
  /** The command's exit status once closed. */
  exitStatus(): number;
  /** The replay being shown, which the keys drive. */
  readonly replay?: ReplayControls;
}

/**
 * Shows `openFeed`'s feed until the user quits. `source` is where the events come from (`-`:
 * standard input, so the keys come from /dev/tty), undefined when they come from elsewhere.
 */
export async function showOnTerminal(
  source: string | undefined,
  options: RunOptions,
  label: string,
  openFeed: (quit: Subject<void>) => Promise<DashboardFeed>,
): Promise<number> {
  if (!process.stdout.isTTY) {
    throw new UsageError('the dashboard needs a terminal; for pipes and files use `logstream run`');
  }
  const keys = openKeys(source);
  const quit = new Subject<void>();
  // The terminal went away (EIO after a hang-up): quit in order instead of crashing.
  keys.stream?.on('error', () => quit.next());
  try {
    return await showDashboard(await openFeed(quit), options, label, quit, keys.stream);
  } finally {
    keys.close();
  }
}

async function localFeed(
  source: string,
  options: RunOptions,
  quit: Subject<void>,
  replay?: Pick<TopologyEdges, 'input' | 'schedulerFor'>,
): Promise<DashboardFeed> {
  const monitor = new SourceMonitor();
  const topology = await openTopology(source, options, {
    onProblem: monitor.problem,
    onBatch: monitor.batch,
    showsForwarded: true,
    stop: quit,
    ...replay,
  });
  return {
    outputs: topology.outputs,
    stats: monitor.stats,
    forwarded: topology.forwarded,
    finish: () => topology.saveAtExit(),
    close: async () => {
      monitor.complete();
      await topology.close();
    },
    exitStatus: () => topology.problems.exitStatus(options.strict),
  };
}

async function showDashboard(
  feed: DashboardFeed,
  options: RunOptions,
  label: string,
  quit: Subject<void>,
  keys: ReadStream | undefined,
): Promise<number> {
  const dashboard = renderDashboard(
    {
      source: label,
      outputs: feed.outputs,
      stats: feed.stats,
      forwarded: feed.forwarded,
      lateOutput: options.lateOutput,
      keyedSlideSeconds: options.keyedSlide ?? options.keyedWindow,
      groupEverySeconds: options.groupEvery,
      thresholds: { failure: options.failureThresholds, rise: options.riseThresholds },
      onQuit: () => quit.next(),
      replay: feed.replay,
    },
    { keys },
  );
  const onSignal = () => quit.next();
  // A terminal that went away fails the next write (EIO): quit in order instead of crashing.
  const onOutputError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EIO' || error.code === 'EPIPE') quit.next();
    else throw error;
  };
  process.stdout.on('error', onOutputError);
  // SIGHUP: the terminal went away; quitting in order still removes the demo's directory.
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('SIGHUP', onSignal);
  try {
    const quitting = new Promise<void>((resolve) => quit.subscribe(() => resolve()));
    // Ink unmounts by itself when a component throws: its error ends the command too.
    await Promise.race([quitting, dashboard.waitUntilExit()]);
    dashboard.unmount();
    // Back on the normal screen once this resolves, before anything is printed there.
    await dashboard.waitUntilExit();
    await feed.finish();
  } finally {
    // Still listening for EIO: unmounting (on an error, too) writes to the terminal.
    dashboard.unmount();
    await dashboard.waitUntilExit().catch(() => {});
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('SIGHUP', onSignal);
    process.stdout.off('error', onOutputError);
    await feed.close();
  }
  return feed.exitStatus();
}

/** The dashboard's key input: `stream` for Ink (undefined: process.stdin), and its closing. */
interface KeyInput {
  readonly stream: ReadStream | undefined;
  close(): void;
}

/**
 * Where the keys come from: standard input when it is the terminal and carries no events,
 * else the controlling terminal, opened here and closed by `close()` (an open terminal
 * stream would keep the process alive).
 * @throws {UsageError} for `-` typed at a terminal (nothing piped in), or without a
 * controlling terminal to read the keys from.
 */
function openKeys(source: string | undefined): KeyInput {
  if (source === '-' && process.stdin.isTTY) {
    throw new UsageError(
      'dashboard -: the events and the keys cannot both come from the terminal; pipe the events in',
    );
  }
  if (process.stdin.isTTY) return { stream: undefined, close: () => {} };
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(
      `the dashboard reads its keys from /dev/tty, which cannot be opened (${code}); for pipes and files use \`logstream run\``,
    );
  }
  const stream = new ReadStream(fd);
  return { stream, close: () => stream.destroy() };
}
