import type { RunOptions } from '../cli/run-options.js';
import { openReplay, type ReplayOptions, sliceOf } from '../recording/open-replay.js';
import { escapeForTerminal } from '../terminal-text.js';

/**
 * `logstream replay <file>`: the recording's batches fed to the tasks at their recorded
 * arrival times on a virtual clock, printed as `run` prints them (or shown in the dashboard).
 * The records are the same at any speed; with the recorded run's options (and `--seed`),
 * they are the recorded run's.
 */
export async function replayCommand(
  path: string,
  replayOptions: ReplayOptions,
  options: RunOptions,
): Promise<number> {
  if (replayOptions.spec !== undefined)
    return writeSpec(path, replayOptions.spec, replayOptions, options);
  const replay = await openReplay(path, replayOptions, options);
  const source = replay.recording.header.source;
  if (replayOptions.dashboard) {
    const { replayDashboardCommand } = await import('./dashboard.js');
    return replayDashboardCommand(source, replay);
  }
  const { runCommand } = await import('./run.js');
  return runCommand(source, replay.options, replay.edges);
}

async function writeSpec(
  path: string,
  specPath: string,
  replayOptions: ReplayOptions,
  options: RunOptions,
): Promise<number> {
  const { writeRegressionSpec } = await import('../recording/regression-spec.js');
  const command = ['logstream', ...process.argv.slice(2)].join(' ');
  const written = await writeRegressionSpec(
    path,
    specPath,
    sliceOf(replayOptions),
    options,
    command,
  );
  process.stderr.write(
    `logstream: wrote ${escapeForTerminal(written.spec)} (${written.records} records over ${written.batches} batches) and ${escapeForTerminal(written.recording)}\n`,
  );
  return 0;
}
