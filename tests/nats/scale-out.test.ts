// Scale-out on a real three-node JetStream cluster: a publisher, workers of a group and the
// merged view, through the command line. The group's answer must be one run's answer (in
// timestamp order, exactly), and killing a worker, a NATS node and the publisher must change
// nothing: the same merged records as a group that met no fault.

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../../scripts/nats-cluster.mjs';
import { caughtUp, lagging, streamEvents } from '../../scripts/nats-progress.mjs';
import { CLI, type CliResult, runCli, tempDir } from '../support/cli.js';
import { PANEL_TITLES } from '../support/dashboard.js';
import { type RunningCli, startCli, startGenerator } from '../support/follow.js';
import { hasTmux, tmuxServer } from '../support/terminal.js';
import { waitUntil } from '../support/wait.js';

const TIMEOUT_MS = 180_000;
const LEASE = ['--lease-timeout', '2s'];
type Row = Record<string, unknown>;

const { tmux, inTerminal } = tmuxServer('scale-out');

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** A record without what depends on how the input was cut (batch numbers, Task 4's batch ratio). */
function comparable(record: Row): Row {
  const { batch, file, batchChecked, batchForwarded, batchRatio, ...rest } = record;
  return rest;
}

const byTask = (records: readonly Row[], task: string) => records.filter((r) => r.task === task);

/** Records as sorted JSON lines: equal when they hold the same records, in whatever order. */
const asSet = (records: readonly Row[]) => records.map((r) => JSON.stringify(comparable(r))).sort();

/**
 * Waits until `group` has folded all `events`; on time-out, says what its workers printed.
 * Gives up in time for that to be said before the test's own time-out (`testStarted`).
 */
async function waitCaughtUp(
  url: string,
  group: string,
  events: number,
  workers: readonly RunningCli[],
  testStarted = Date.now(),
): Promise<void> {
  const timeoutMs = Math.min(120_000, testStarted + TIMEOUT_MS - 15_000 - Date.now());
  try {
    await waitUntil(
      async () => (await streamEvents(url)) === events && (await caughtUp(url, group)),
      `group ${group} to fold all ${events} events`,
      { timeoutMs, intervalMs: 250 },
    );
  } catch (error) {
    const printed = workers.map((worker, i) => `worker ${i}:\n${worker.stderr()}`).join('\n');
    const behind = (await lagging(url, group)).join('\n');
    throw new Error(
      `${(error as Error).message} (${await streamEvents(url)} in the stream)\n${behind}\n${printed}`,
    );
  }
}

/** Task 6's windows' events plus each service's late count (its last, the highest). */
function windowEventsAndLate(windows: readonly Row[]): number {
  const late = new Map<unknown, number>();
  let inWindows = 0;
  for (const w of windows) {
    inWindows += w.events as number;
    late.set(w.service, Math.max(late.get(w.service) ?? 0, w.late as number));
  }
  return inWindows + [...late.values()].reduce((a, b) => a + b, 0);
}

/** The names of the consumers of the events stream. */
async function consumersOf(url: string): Promise<string[]> {
  const nc = await connect({ servers: url.split(',') });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const info of jsm.consumers.list('LOGSTREAM')) names.push(info.name);
    return names;
  } finally {
    await nc.close();
  }
}

function startWorker(url: string, group: string): RunningCli {
  return startCli(['run', '--nats', url, '--group', group, '--seed', '7', ...LEASE]);
}

async function merged(url: string, group: string): Promise<CliResult> {
  const result = await runCli([
    'run',
    '--nats',
    url,
    '--group',
    group,
    '--merged',
    '--once',
    '--seed',
    '7',
  ]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

/** The merged records of one worker of a new `group` that met no fault, over the whole stream. */
async function aloneOverTheStream(url: string, group: string, events: number): Promise<Row[]> {
  const worker = startWorker(url, group);
  await waitCaughtUp(url, group, events, [worker]);
  await worker.stop();
  return (await merged(url, group)).records;
}

/** What one `run --once` over `dir` prints, and its final records (the state's, via merge). */
async function singleRun(dir: string): Promise<{ all: Row[]; final: Row[] }> {
  const stateFile = join(await tempDir(), 'single.state');
  const run = await runCli(['run', dir, '--once', '--seed', '7', '--save-state', stateFile]);
  expect(run.code).toBe(0);
  const final = await runCli(['merge', stateFile]);
  expect(final.code).toBe(0);
  return { all: run.records, final: final.records };
}

/**
 * A group at work on a live source: `files` generated files arriving over a few seconds, a
 * publisher following them, and `workers` workers of `group`.
 */
async function liveGroup(url: string, group: string, files: number, workers: number) {
  const dir = join(await tempDir(), 'logs');
  const generator = startGenerator(dir, files, '150ms');
  const publisher = startCli(['publish', dir, '--nats', url]);
  return {
    dir,
    generator,
    publisher,
    workers: Array.from({ length: workers }, () => startWorker(url, group)),
  };
}

/** NDJSON files of events in timestamp order, every event with a status: 24 services. */
async function writeOrderedCorpus(dir: string, files: number, perFile: number): Promise<number> {
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const statuses = [200, 200, 200, 201, 204, 301, 404, 500, 503];
  let time = 1_767_225_600;
  for (let f = 0; f < files; f++) {
    const lines: string[] = [];
    for (let i = 0; i < perFile; i++) {
      time += random() * 0.05;
      const service = `svc-${Math.floor(random() * 24)}`;
      const status = statuses[Math.floor(random() * statuses.length)];
      lines.push(
        JSON.stringify({ service, timestamp: time, message: `GET /x HTTP Status Code: ${status}` }),
      );
    }
    await writeFile(
      join(dir, `part-${String(f).padStart(4, '0')}.ndjson`),
      `${lines.join('\n')}\n`,
    );
  }
  return files * perFile;
}

describe('scale-out on NATS JetStream', () => {
  it(
    'three workers over events in timestamp order give exactly the records of one run',
    async () => {
      cluster = await startCluster();
      const dir = join(await tempDir(), 'logs');
      await mkdir(dir);
      const events = await writeOrderedCorpus(dir, 20, 500);
      const published = await runCli([
        'publish',
        dir,
        '--once',
        '--nats',
        cluster.url,
        '--partitions',
        '8',
      ]);
      expect(published.code).toBe(0);
      expect(published.stderr).toContain(`published ${events} events to LOGSTREAM (8 partitions)`);
      // Published again: the message ids make JetStream drop every one.
      const again = await runCli(['publish', dir, '--once', '--nats', cluster.url]);
      expect(again.stderr).toContain(
        `published 0 events to LOGSTREAM (8 partitions); ${events} were there already`,
      );

      const workers = [0, 1, 2].map(() => startWorker(cluster!.url, 'ordered'));
      await waitCaughtUp(cluster.url, 'ordered', events, workers);
      const group = (await merged(cluster.url, 'ordered')).records;
      const single = await singleRun(dir);

      for (const task of ['running-average', 'sliding-window', 'bloom', 'lazy-groups']) {
        expect(byTask(group, task).map(comparable), task).toEqual(
          byTask(single.final, task).map(comparable),
        );
      }
      const [sample] = byTask(group, 'reservoir');
      expect(sample?.seen).toBe(byTask(single.final, 'reservoir')[0]?.seen);
      expect(sample?.size).toBe(1000);
      // Task 6: every window one run emitted, emitted once by the group, nothing late.
      const windows = byTask(single.all, 'keyed-windows');
      expect(windows.length).toBeGreaterThan(100);
      expect(asSet(byTask(group, 'keyed-windows'))).toEqual(asSet(windows));
      expect(windows.every((w) => w.late === 0)).toBe(true);

      const stopped = await Promise.all(workers.map((worker) => worker.stop()));
      for (const result of stopped) {
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(/worker \S+ left/);
      }
      // Each left its consumers deleted, not waiting for the server's idle timeout.
      expect(await consumersOf(cluster.url)).toEqual([]);
      // Between them, the three took all eight partitions.
      const taken = stopped.flatMap((r) =>
        [...r.stderr.matchAll(/partition (\d+) taken/g)].map((m) => m[1]),
      );
      expect(new Set(taken).size).toBe(8);
    },
    TIMEOUT_MS,
  );

  it(
    'a worker and a NATS node killed and the publisher restarted mid-run change nothing',
    async () => {
      const started = Date.now();
      cluster = await startCluster();
      const url = cluster.url;
      const files = 40;
      const events = files * 1000;
      const live = await liveGroup(url, 'faults', files, 3);
      const { dir, generator, workers } = live;
      let { publisher } = live;
      await waitUntil(async () => (await streamEvents(url)) >= 8000, 'the first files published', {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      workers[0]!.child.kill('SIGKILL');
      await cluster.kill(1);
      publisher.child.kill('SIGKILL');
      await publisher.exited;
      publisher = startCli(['publish', dir, '--nats', url]);
      await generator.exited;
      await cluster.restart(1);
      await waitCaughtUp(url, 'faults', events, [...workers, publisher], started);
      const published = await publisher.stop();
      expect(published.code).toBe(0);
      expect(published.stderr).toMatch(/published \d+ events to LOGSTREAM .*were there already/);
      await Promise.all(workers.slice(1).map((worker) => worker.stop()));

      // The answer of a group that met no fault, over the same stream.
      const clean = await aloneOverTheStream(url, 'reference', events);
      const faulted = (await merged(url, 'faults')).records;
      // The batch the killed publisher left unfinished is folded whole, once sent again.
      expect(faulted.map((r) => JSON.stringify(r)).sort()).toEqual(
        clean.map((r) => JSON.stringify(r)).sort(),
      );

      // And one run's counts, exactly, for the tasks whose counts do not depend on order.
      const single = await singleRun(dir);
      for (const task of ['running-average', 'bloom', 'lazy-groups']) {
        expect(byTask(faulted, task).map(comparable), task).toEqual(
          byTask(single.final, task).map(comparable),
        );
      }
      expect(byTask(faulted, 'reservoir')[0]?.seen).toBe(
        byTask(single.final, 'reservoir')[0]?.seen,
      );
      // The files jump back in time: which events are late depends on the partitions, but
      // every event is in one window or late, once.
      expect(windowEventsAndLate(byTask(faulted, 'keyed-windows'))).toBe(events);
    },
    TIMEOUT_MS,
  );

  it(
    'workers joining mid-run take partitions over and the answer is unchanged',
    async () => {
      cluster = await startCluster();
      const url = cluster.url;
      const files = 30;
      const { generator, publisher, workers } = await liveGroup(url, 'joined', files, 1);
      const first = workers[0]!;
      await first.waitFor(
        (w) => /partition 15 taken/.test(w.stderr()),
        'the first worker to take all partitions',
        30_000,
      );
      await waitUntil(async () => (await streamEvents(url)) >= 10_000, 'a third of the files', {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      const later = [startWorker(url, 'joined'), startWorker(url, 'joined')];
      await generator.exited;
      await waitCaughtUp(url, 'joined', files * 1000, [first, ...later]);
      await publisher.stop();
      const handedOver = (await first.stop()).stderr;
      expect(handedOver).toMatch(/partition \d+ handed over/);
      const took = (await Promise.all(later.map((w) => w.stop()))).map((r) => r.stderr);
      expect(took.join('')).toMatch(/partition \d+ taken, from sequence [1-9]/);

      const alone = await aloneOverTheStream(url, 'alone', files * 1000);
      const joined = (await merged(url, 'joined')).records;
      expect(joined.map((r) => JSON.stringify(r)).sort()).toEqual(
        alone.map((r) => JSON.stringify(r)).sort(),
      );
    },
    TIMEOUT_MS,
  );
  it.runIf(hasTmux)(
    'the merged dashboard follows the group as its workers store state',
    async () => {
      cluster = await startCluster();
      const url = cluster.url;
      const dir = join(await tempDir(), 'logs');
      await mkdir(dir);
      await writeOrderedCorpus(dir, 4, 500);
      const publish = () => runCli(['publish', dir, '--once', '--nats', url]);
      expect((await publish()).code).toBe(0);
      const worker = startWorker(url, 'shown');
      const status = join(await tempDir(), 'status');
      const command = `node ${CLI} dashboard --nats ${url} --group shown --merged; echo $? > ${status}`;
      await inTerminal({ columns: 120, rows: 40 }, command, async (session, screen) => {
        const waitFor = (condition: () => boolean, what: string) =>
          waitUntil(condition, what, { timeoutMs: 30_000, intervalMs: 200, seen: screen });
        await waitFor(() => PANEL_TITLES.every((t) => screen().includes(t)), 'the six panels');
        const header = () => screen().split('\n')[0]!;
        await waitFor(() => /events 2000 /.test(header()), 'the header to count 2000 events');
        expect(screen()).toMatch(/^logstream · source group shown \(merged\)/);
        // Eight files more, published while the dashboard is up: it counts them too.
        const more = join(await tempDir(), 'logs');
        await mkdir(more);
        await writeOrderedCorpus(more, 8, 500);
        expect((await runCli(['publish', more, '--once', '--nats', url])).code).toBe(0);
        await waitFor(() => /events 6000 /.test(header()), 'the header to count 6000 events');
        // Running average, merged over the partitions: every event has a status.
        await waitFor(() => /success [\d.]+% \d+\/6000 /.test(screen()), 'Task 1 over 6000');
        tmux('send-keys', '-t', session, 'q');
        await waitUntil(() => existsSync(status), 'the dashboard to exit', { timeoutMs: 10_000 });
        expect((await readFile(status, 'utf8')).trim()).toBe('0');
      });
      expect((await worker.stop()).code).toBe(0);
    },
    TIMEOUT_MS,
  );
});
