import { finalize, Subject, takeUntil } from 'rxjs';
import type { RunOptions } from '../cli/run-options.js';
import { NdjsonSink } from '../ndjson-sink.js';
import { runTasks } from '../pipeline.js';
import { reportProblem } from '../problems.js';
import { openSource } from '../source/open-source.js';
import { createTasks, readerThreadsFor } from '../tasks.js';

/**
 * `logstream run`: the selected tasks as NDJSON records on stdout, diagnostics on stderr.
 * Resolves with the exit status once the source has ended (`--once`), a signal asked to stop,
 * or stdout was closed by its reader.
 */
export async function runCommand(source: string, options: RunOptions): Promise<number> {
  const stop = new Subject<void>();
  const sink = new NdjsonSink(process.stdout, () => stop.next());
  const batches = openSource(source, {
    follow: !options.once,
    onProblem: (p) => reportProblem(p),
    ready: sink.ready,
    readerThreads: readerThreadsFor(options.task),
  });
  const tasks = await createTasks(options);

  // A signal ends the input as --once would: the tasks emit their final records, which are
  // flushed before the process exits. A second signal does not wait.
  const onSignal = () => {
    if (stop.observed) stop.next();
    else process.exit(0);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    await new Promise<void>((resolve, reject) => {
      runTasks(batches.pipe(takeUntil(stop)), tasks.operators)
        .pipe(finalize(() => stop.complete()))
        .subscribe({ next: (output) => sink.write(output), error: reject, complete: resolve });
    });
    await sink.end();
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await tasks.close();
  }
  return 0;
}
