import { Subject } from 'rxjs';
import type { RunOptions } from '../cli/run-options.js';
import { renderDashboard } from '../dashboard/index.js';
import { SourceMonitor } from '../source-stats.js';
import { openTopology } from '../topology.js';
import { UsageError } from '../usage-error.js';

/**
 * `logstream dashboard`: one screen subscribed to every selected task. Resolves with the exit
 * status when the user quits (q, Ctrl-C) or a signal arrives.
 */
export async function dashboardCommand(
  source: string,
  options: RunOptions,
  label = source,
): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError('the dashboard needs a terminal; for pipes and files use `logstream run`');
  }
  if (source === '-')
    throw new UsageError(
      'the dashboard reads keys from the terminal: give it a directory (or use `logstream run -`)',
    );
  const monitor = new SourceMonitor();
  const quit = new Subject<void>();
  const topology = await openTopology(source, options, {
    onProblem: monitor.problem,
    onBatch: monitor.batch,
    stop: quit,
  });
  const dashboard = renderDashboard({
    source: label,
    outputs: topology.outputs,
    stats: monitor.stats,
    forwarded: topology.forwarded,
    lateOutput: options.lateOutput,
    onQuit: () => quit.next(),
  });
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
    await new Promise<void>((resolve) => quit.subscribe(() => resolve()));
    dashboard.unmount();
    await dashboard.waitUntilExit();
    await topology.saveAtExit();
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('SIGHUP', onSignal);
    process.stdout.off('error', onOutputError);
    monitor.complete();
    await topology.close();
  }
  return 0;
}
