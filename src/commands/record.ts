import { Subject } from 'rxjs';
import type { RunOptions } from '../cli/run-options.js';
import { ProblemTally, reportProblem } from '../problems.js';
import { Recorder } from '../recording/recorder.js';
import { openSource } from '../source/open-source.js';
import type { SourceProblem } from '../source/types.js';
import { onStopSignals } from '../stop-signals.js';
import { readingOptionsOf } from '../topology.js';

/**
 * `logstream record <source> -o <file>`: reads the source as `run` does (same files,
 * validation and diagnostics) and writes every batch and problem, with its arrival time, to
 * the recording, until the source ends (`--once`) or a signal asks to stop; then the end
 * frame. Nothing is computed: `logstream replay` runs the tasks over the recording later, at
 * any speed. Says on stderr what it recorded.
 */
export async function recordCommand(
  source: string,
  output: string,
  options: RunOptions,
): Promise<number> {
  const stop = new Subject<void>();
  const problems = new ProblemTally();
  let recorder: Recorder | undefined;
  const onProblem = (problem: SourceProblem) => {
    problems.add(problem);
    recorder?.problem(problem);
    reportProblem(problem, process.stderr, options.diagnostics);
  };
  // Opened first: a missing source is refused before the recording is created.
  const batches = openSource(source, {
    follow: !options.once,
    onProblem,
    ready: () => recorder?.ready() ?? Promise.resolve(),
    stop,
    ...readingOptionsOf(options),
  });
  recorder = Recorder.open(output, {
    label: `record -o ${output}`,
    source,
    follow: !options.once,
    onProblem,
  });
  const removeSignals = onStopSignals(() => stop.next());
  let count = 0;
  let events = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      batches.subscribe({
        next: (batch) => {
          recorder?.batch(batch);
          count++;
          events += batch.batch.length;
        },
        error: reject,
        complete: resolve,
      });
    });
  } finally {
    removeSignals();
    await recorder.close();
  }
  if (options.diagnostics === 'text') {
    process.stderr.write(`logstream: recorded ${count} batches (${events} events)\n`);
  }
  return problems.exitStatus(options.strict);
}
