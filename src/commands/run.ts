import { Subject } from 'rxjs';
import type { RunOptions } from '../cli/run-options.js';
import { NdjsonSink } from '../ndjson-sink.js';
import { reportProblem } from '../problems.js';
import { onStopSignals } from '../stop-signals.js';
import { openTopology, type TopologyEdges } from '../topology.js';

/**
 * `logstream run`: the selected tasks as NDJSON records on stdout, diagnostics on stderr.
 * Resolves with the exit status once the source has ended (`--once`), a signal asked to stop,
 * or stdout was closed by its reader; then writes `--save-state`. With `--strict`, the status
 * is 1 when any file or event was invalid.
 */
export async function runCommand(
  source: string,
  options: RunOptions,
  /** A replay's input and clock, instead of reading `source`. */
  replay?: Pick<TopologyEdges, 'input' | 'schedulerFor'>,
): Promise<number> {
  const stop = new Subject<void>();
  const sink = new NdjsonSink(process.stdout, () => stop.next());
  const topology = await openTopology(source, options, {
    onProblem: (problem) => reportProblem(problem, process.stderr, options.diagnostics),
    ready: sink.ready,
    delivered: sink.delivered,
    stop,
    ...replay,
  });

  // A signal ends the input as --once would: the tasks emit their final records, which are
  // flushed before the process exits. A second signal does not wait.
  const removeSignals = onStopSignals(() => stop.next());
  try {
    await new Promise<void>((resolve, reject) => {
      topology.outputs.subscribe({
        next: (output) => sink.write(output),
        error: reject,
        complete: resolve,
      });
    });
    await sink.end();
    await topology.saveAtExit();
  } finally {
    removeSignals();
    await topology.close();
  }
  return topology.problems.exitStatus(options.strict);
}
