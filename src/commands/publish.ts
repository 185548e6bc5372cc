import { createHash } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { Subject } from 'rxjs';
import type { RunOptions } from '../cli/run-options.js';
import { connectNats, ensureEventStream } from '../nats/connection.js';
import { eventBody } from '../nats/event-messages.js';
import { BATCH_END_HEADER, EVENT_STREAM, eventSubject, partitionOf } from '../nats/names.js';
import { notice } from '../nats/notice.js';
import { OrderedPublisher } from '../nats/ordered-publisher.js';
import { retrying } from '../nats/retry.js';
import { ProblemTally, reportProblem } from '../problems.js';
import { openSource } from '../source/open-source.js';
import type { SourceBatch } from '../source/types.js';
import { onStopSignals } from '../stop-signals.js';
import { WorkerPool } from '../threads/worker-pool.js';
import { readingOptionsOf } from '../topology.js';
import { UsageError } from '../usage-error.js';

/**
 * `logstream publish [source] --nats <url>`: reads the source as `run` does (same files,
 * validation and diagnostics) and publishes each valid event to `logstream.events.<p>` of
 * the stream `LOGSTREAM`, `p` the service's partition. Each message's id names the
 * publishing host, the source, the file and the event's place among the file's valid
 * events, so a publisher started again over the same files adds nothing the stream holds.
 * The last event of each partition in a source batch carries {@link BATCH_END_HEADER}: the
 * workers fold a partition's events in the batches the source read them in.
 * Resolves with the exit status once the source ended (`--once`) or a signal asked to stop,
 * and every message is stored.
 */
export async function publishCommand(source: string, options: RunOptions): Promise<number> {
  if (options.nats === undefined) {
    throw new UsageError('publish: --nats <url> is required (the NATS servers to publish to)');
  }
  const nats = await connectNats(options.nats, `logstream publish ${hostname()}`);
  const problems = new ProblemTally();
  const pool = WorkerPool.create(Math.max(1, availableParallelism() - 1));
  try {
    const partitions = await retrying(() => ensureEventStream(nats, options.partitions), {
      say: (reason) => notice(`publish: cannot reach the stream ${EVENT_STREAM} yet (${reason})`),
    });
    const publisher = new OrderedPublisher(nats.connection, 4096, (reason, messages) =>
      notice(`publish: retrying ${messages} messages (${reason})`),
    );
    const origin = createHash('sha256')
      .update(`${hostname()}\0${source === '-' ? '-' : resolve(source)}`)
      .digest('base64url')
      .slice(0, 16);
    // A file's valid events so far: the place of its next event, whatever the batches.
    const placed = new Map<string, number>();
    const publishBatch = ({ file, batch }: SourceBatch) => {
      const first = placed.get(file) ?? 0;
      placed.set(file, first + batch.length);
      const fileId = encodeURIComponent(file);
      const lastOf = new Map<number, number>();
      const partitionOfEvent = new Uint16Array(batch.length);
      const partitionOfService = batch.serviceNames.map((name) => partitionOf(name, partitions));
      for (let i = 0; i < batch.length; i++) {
        const p = partitionOfService[batch.serviceIds[i]!]!;
        partitionOfEvent[i] = p;
        lastOf.set(p, i);
      }
      for (let i = 0; i < batch.length; i++) {
        const p = partitionOfEvent[i]!;
        publisher.publish(
          eventSubject(p),
          eventBody(batch, i),
          `${origin}:${fileId}:${first + i}`,
          lastOf.get(p) === i ? [BATCH_END_HEADER, '1'] : undefined,
        );
      }
    };

    const stop = new Subject<void>();
    const removeSignals = onStopSignals(() => stop.next(), 1);
    try {
      const batches = openSource(source, {
        follow: !options.once,
        onProblem: (problem) => {
          problems.add(problem);
          reportProblem(problem, process.stderr, options.diagnostics);
        },
        ready: () => publisher.ready(),
        pool,
        stop,
        ...readingOptionsOf(options),
      });
      await new Promise<void>((done, fail) => {
        batches.subscribe({ next: publishBatch, error: fail, complete: done });
      });
      await publisher.flush();
      publisher.close();
    } finally {
      removeSignals();
    }
    const already = publisher.duplicates;
    notice(
      `published ${publisher.stored - already} events to ${EVENT_STREAM} (${partitions} partitions)${already > 0 ? `; ${already} were there already` : ''}`,
    );
  } finally {
    pool?.terminate();
    await nats.close();
  }
  return problems.exitStatus(options.strict);
}
