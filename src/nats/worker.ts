/**
 * `logstream run --nats <url> --group <name>`: one worker of a group. It joins the group's
 * leases, runs a {@link PartitionWorker} for each partition it holds, hands partitions over
 * as members come and go, and on SIGINT/SIGTERM stores every partition's state, releases its
 * leases and leaves, so the others take over at once instead of after the lease timeout.
 * It prints nothing on stdout: the group's records come from `run --merged`.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { jetstream } from '@nats-io/jetstream';
import type { RunOptions } from '../cli/run-options.js';
import { connectNats, ensureWindowStream, eventPartitions, openBuckets } from './connection.js';
import { notice } from './notice.js';
import { PartitionLeases } from './partition-leases.js';
import { type PartitionContext, PartitionWorker } from './partition-worker.js';

/** How often a partition's folded batches are stored and acknowledged. */
const COMMIT_EVERY_MS = 1000;

export async function runWorker(url: string, group: string, options: RunOptions): Promise<number> {
  const id = `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const nats = await connectNats(url, `logstream worker ${id}`);
  const partitions = await eventPartitions(nats);
  await ensureWindowStream(nats);
  const buckets = await openBuckets(nats);
  const context: PartitionContext = {
    nats,
    js: jetstream(nats.connection, { timeout: 10_000 }),
    states: buckets.states,
    group,
    options,
    commitEveryMs: COMMIT_EVERY_MS,
  };
  const running = new Map<number, PartitionWorker>();
  let failure: Error | undefined;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const leases: PartitionLeases = new PartitionLeases(
    buckets.leases,
    group,
    id,
    partitions,
    options.leaseTimeout * 1000,
    {
      acquired: (partition) => {
        const worker = new PartitionWorker(
          context,
          partition,
          () => running.delete(partition),
          (error) => {
            failure = error;
            finish();
          },
        );
        running.set(partition, worker);
      },
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
    },
  );
  notice(`group ${group}: worker ${id} joins (${partitions} partitions)`);
  await leases.start();

  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(1);
    stopping = true;
    finish();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    await finished;
    // No round of the leases after this: none taken while leaving. Members see this one
    // gone; its partitions they take once released below.
    await leases.stop();
    await Promise.all([...running.values()].map((worker) => worker.stop()));
    await Promise.all(leases.owned.map((partition) => leases.release(partition)));
    notice(`group ${group}: worker ${id} left`);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await nats.close();
  }
  if (failure !== undefined) throw failure;
  return 0;
}
