/**
 * `logstream run --nats <url> --group <name>`: one worker of a group. It joins the group's
 * leases, runs a {@link PartitionWorker} for each partition it holds, hands partitions over
 * as members come and go, and on SIGINT/SIGTERM stores every partition's state, releases its
 * leases and leaves, so the others take over at once instead of after the lease timeout.
 * It prints nothing on stdout: the group's records come from `run --merged`.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RunOptions } from '../cli/run-options.js';
import {
  connectNats,
  ensureWindowStream,
  eventPartitions,
  type Nats,
  openBuckets,
} from './connection.js';
import { EVENT_STREAM } from './names.js';
import { notice } from './notice.js';
import { PartitionLeases } from './partition-leases.js';
import { type PartitionContext, PartitionWorker } from './partition-worker.js';
import { retrying } from './retry.js';

/** How often a partition's folded batches are stored and acknowledged. */
const COMMIT_EVERY_MS = 1000;

/** The end of a worker's run: a signal, or a partition's failure. */
class Leaving {
  stopped = false;
  failure: Error | undefined;
  private end: () => void = () => {};
  readonly ended = new Promise<void>((resolve) => {
    this.end = resolve;
  });

  leave(failure?: Error): void {
    this.failure ??= failure;
    this.stopped = true;
    this.end();
  }

  /** A pause that a leave cuts short. */
  pause(ms: number): Promise<void> {
    return Promise.race([this.ended, new Promise<void>((resolve) => setTimeout(resolve, ms))]);
  }
}

export async function runWorker(url: string, group: string, options: RunOptions): Promise<number> {
  // Listening from the first moment: a signal while joining still leaves in order.
  const leaving = new Leaving();
  const onSignal = () => {
    if (leaving.stopped) process.exit(1);
    leaving.leave();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    await work(url, group, options, leaving);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  if (leaving.failure !== undefined) throw leaving.failure;
  return 0;
}

async function work(
  url: string,
  group: string,
  options: RunOptions,
  leaving: Leaving,
): Promise<void> {
  const id = `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const nats = await connectNats(url, `logstream worker ${id}`);
  // Each step of joining waits out a busy cluster, until a signal says to leave.
  const joining = <T>(what: string, step: () => Promise<T>) =>
    retrying(step, {
      say: (reason) => notice(`group ${group}: ${what} (${reason})`),
      givenUp: () => leaving.stopped,
      pause: (ms) => leaving.pause(ms),
    });
  try {
    const partitions = await joining('cannot read the events stream yet', () =>
      streamPartitions(nats, group, leaving),
    );
    if (partitions === undefined) return;
    const buckets = await joining('cannot open its buckets yet', async () => {
      await ensureWindowStream(nats);
      return openBuckets(nats);
    });
    if (buckets === undefined) return;
    const context: PartitionContext = {
      nats,
      states: buckets.states,
      group,
      options,
      commitEveryMs: COMMIT_EVERY_MS,
    };
    const running = new Map<number, PartitionWorker>();
    /** Works on a partition whose lease this worker holds, until it is handed over or lost. */
    const startPartition = (partition: number) => {
      const worker = new PartitionWorker(
        context,
        partition,
        () => {
          running.delete(partition);
          if (leaving.stopped || !leases.owned.includes(partition)) {
            notice(`group ${group}: partition ${partition} was taken over by another worker`);
            return;
          }
          // The lease is still this worker's: the state was written by the previous owner,
          // whose last store landed after this worker loaded it. Load it again, from there.
          notice(
            `group ${group}: partition ${partition}: its previous owner stored it meanwhile, loading it again`,
          );
          startPartition(partition);
        },
        (error) => leaving.leave(error),
      );
      running.set(partition, worker);
    };
    const leases: PartitionLeases = new PartitionLeases(
      buckets.leases,
      group,
      id,
      partitions,
      options.leaseTimeout * 1000,
      {
        acquired: (partition) => startPartition(partition),
        handOver: (partition) => {
          const worker = running.get(partition);
          running.delete(partition);
          void (worker?.stop() ?? Promise.resolve()).then(async () => {
            await leases.release(partition);
            notice(`group ${group}: partition ${partition} handed over`);
          });
        },
        lost: (partition) => {
          const worker = running.get(partition);
          running.delete(partition);
          void worker?.abandon();
        },
        say: (text) => notice(`group ${group}: ${text}`),
      },
    );
    const joined = await joining('cannot join yet', () => leases.start().then(() => true));
    if (joined === undefined) {
      await leases.stop();
      return;
    }
    notice(`group ${group}: worker ${id} joins (${partitions} partitions)`);
    await leaving.ended;
    // No round of the leases after this: none taken while leaving. Members see this one
    // gone; its partitions they take once released below.
    await leases.stop();
    await Promise.all([...running.values()].map((worker) => worker.stop()));
    await Promise.all(leases.owned.map((partition) => leases.release(partition)));
    notice(`group ${group}: worker ${id} left`);
  } finally {
    await nats.close();
  }
}

/**
 * The events stream's partition count, once a publisher has created the stream: workers may
 * start first. Undefined when asked to leave before.
 */
async function streamPartitions(
  nats: Nats,
  group: string,
  leaving: Leaving,
): Promise<number | undefined> {
  for (let waited = false; !leaving.stopped; waited = true) {
    const partitions = await eventPartitions(nats);
    if (partitions !== undefined) return partitions;
    if (!waited) {
      notice(
        `group ${group}: waiting for the stream ${EVENT_STREAM} (\`logstream publish --nats …\` creates it)`,
      );
    }
    await leaving.pause(500);
  }
  return undefined;
}
