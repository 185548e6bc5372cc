import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findNatsServer, startCluster } from '../../scripts/nats-cluster.mjs';
import { caughtUp, streamEvents } from '../../scripts/nats-progress.mjs';
import { assertSucceeded, measureNode } from './measure.js';
import { CLI } from './paths.js';
import { median } from './stats.js';

/** How often a group's progress is looked at: the resolution of the workers' wall times. */
const POLL_MS = 250;

/**
 * Measurement (h): scale-out on a local three-node JetStream cluster (scripts/nats-cluster.mjs,
 * in a temporary directory). The corpus is published once (`publish --once`, timed); then, for
 * each count of `workers` and each of `runs` rounds, that many workers of a fresh group fold
 * the whole stream, timed from their start until every partition's stored state covers its
 * last event. Every group's merged Task 5 must count every event of the corpus.
 *
 * Resolves with `{ publish: { wall, cpu, rssMB, eventsPerSecond }, groups: [{ workers, wall,
 * eventsPerSecond, ratio (to one worker's wall), runs }] }`.
 */
export async function scaleOutThroughput(corpus, { workers = [1, 2, 3], runs, log }) {
  if (findNatsServer() === undefined) {
    throw new Error('nats-server is not installed (scripts/install-nats.sh installs it)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-nats-'));
  const cluster = await startCluster({ dir });
  try {
    const url = cluster.url;
    const published = await measureNode([CLI, 'publish', corpus.dir, '--once', '--nats', url]);
    assertSucceeded('publish', published);
    const inStream = await streamEvents(url);
    if (inStream !== corpus.events) {
      throw new Error(`publish left ${inStream} events in the stream, not ${corpus.events}`);
    }
    log(`  publish: ${published.wall.toFixed(1)} s (${rate(corpus.events, published.wall)})`);
    const walls = new Map(workers.map((n) => [n, []]));
    for (let round = 1; round <= runs; round++) {
      for (const n of workers) {
        const wall = await foldAll(url, `bench-${n}-${round}`, n, corpus.events);
        walls.get(n).push(wall);
        log(
          `  ${n} worker${n === 1 ? ' ' : 's'} run ${round}/${runs}: ${wall.toFixed(1)} s (${rate(corpus.events, wall)})`,
        );
      }
    }
    const one = median(walls.get(workers[0]));
    return {
      publish: {
        wall: published.wall,
        cpu: published.cpu,
        rssMB: published.rssMB,
        eventsPerSecond: corpus.events / published.wall,
      },
      groups: workers.map((n) => {
        const wall = median(walls.get(n));
        return {
          workers: n,
          wall,
          eventsPerSecond: corpus.events / wall,
          ratio: wall / one,
          runs: walls.get(n),
        };
      }),
    };
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts `n` workers of `group`, waits until they have folded the stream; their wall time. */
async function foldAll(url, group, n, events) {
  const stops = [];
  const ends = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    ends.push(
      measureNode([CLI, 'run', '--nats', url, '--group', group], {
        onStart: (stop) => stops.push(stop),
      }),
    );
  }
  let wall;
  try {
    for (;;) {
      if (await caughtUp(url, group)) {
        wall = Number(process.hrtime.bigint() - started) / 1e9;
        break;
      }
      if (Number(process.hrtime.bigint() - started) / 1e9 > 1200) {
        throw new Error(`group ${group} had not folded the stream after 20 minutes`);
      }
      await sleep(POLL_MS);
    }
  } finally {
    for (const stop of stops) stop();
  }
  for (const end of await Promise.all(ends)) assertSucceeded(`worker of ${group}`, end);
  const lines = [];
  const merged = await measureNode(
    [CLI, 'run', '--nats', url, '--group', group, '--merged', '--once'],
    {
      onLine: (line) => lines.push(line),
    },
  );
  assertSucceeded(`merged view of ${group}`, merged);
  const record = lines.map((line) => JSON.parse(line)).find((r) => r.task === 'lazy-groups');
  if (record?.events !== events) {
    throw new Error(
      `group ${group}'s merged Task 5 counts ${record?.events} events, not ${events}`,
    );
  }
  return wall;
}

function rate(events, seconds) {
  return `${Math.round(events / seconds).toLocaleString('en-US')} events/s`;
}
