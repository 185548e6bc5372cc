import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPOSITION_CONTENT_TYPE } from '../../src/metrics/exposition.js';
import { announcedPort, generatedLogs, parseSamples, scrape } from '../metrics/scrape.js';
import { CLI, runCli, tempDir } from '../support/cli.js';
import { PANEL_TITLES } from '../support/dashboard.js';
import { type RunningCli, startCli, stopPromptly } from '../support/follow.js';
import { hasTmux, tmuxServer } from '../support/terminal.js';
import { waitUntil } from '../support/wait.js';

type Row = Record<string, unknown>;
type ServiceRow = { service: string; successes: number; failures: number; total: number };

const lastOf = (records: Row[], task: string): Row => {
  const found = records.filter((record) => record.task === task).at(-1);
  expect(found, `a ${task} record`).toBeDefined();
  return found!;
};

/** Waits for the `metrics on …` line and returns its port. */
async function portOf(cli: RunningCli): Promise<number> {
  await cli.waitFor((c) => announcedPort(c.stderr()) !== undefined, 'the metrics address');
  return announcedPort(cli.stderr())!;
}

describe('--metrics', () => {
  it('serves the values of the records printed so far, then stops serving at SIGTERM', async () => {
    const logs = await generatedLogs(await tempDir());
    const cli = startCli([
      'run',
      logs,
      '--metrics',
      '0',
      '--seed',
      '1',
      // Task 5 emits a record per 100 events: 1,200 leave no partial batch behind.
      '--batch-size',
      '100',
      // Short windows and a low threshold: anomalies to count.
      '--keyed-window',
      '2s',
      '--anomaly-threshold',
      '0.5',
      // No idle flush during the test: the records stay those of the three batches.
      '--idle-flush',
      '1h',
    ]);
    const port = await portOf(cli);
    await cli.waitFor(
      (c) =>
        c.records().some((r) => r.task === 'bloom' && r.batch === 3) &&
        c.records().some((r) => r.task === 'lazy-groups' && r.events === 1200),
      'the records of the third file',
    );
    const response = await scrape(port);
    const records = cli.records();
    expect(response.status).toBe(200);
    expect(response.contentType).toBe(EXPOSITION_CONTENT_TYPE);
    const samples = parseSamples(response.body);
    const sample = (name: string, service?: string) => {
      const key = service === undefined ? name : `${name}{service="${service}"}`;
      expect(samples.has(key), key).toBe(true);
      return samples.get(key);
    };

    const bloom = lastOf(records, 'bloom');
    expect(sample('logstream_events_total')).toBe(1200);
    expect(sample('logstream_events_total')).toBe(bloom.checked);
    expect(sample('logstream_invalid_events_total')).toBe(0);
    expect(sample('logstream_broken_files_total')).toBe(0);
    expect(sample('logstream_last_batch')).toBe(3);
    expect(sample('logstream_bloom_checked_total')).toBe(bloom.checked);
    expect(sample('logstream_bloom_forwarded_total')).toBe(bloom.forwarded);
    expect(sample('logstream_reservoir_seen_total')).toBe(lastOf(records, 'reservoir').seen);
    expect(sample('logstream_lazy_groups_events_total')).toBe(1200);
    expect(sample('logstream_lazy_groups_batches_total')).toBe(12);

    const running = lastOf(records, 'running-average').services as ServiceRow[];
    expect(running.length).toBe(4);
    for (const { service, successes, total } of running) {
      expect(sample('logstream_status_events_total', service)).toBe(total);
      expect(sample('logstream_success_events_total', service)).toBe(successes);
    }
    const sliding = lastOf(records, 'sliding-window') as { services: ServiceRow[]; late: number };
    for (const { service, failures, total } of sliding.services) {
      expect(sample('logstream_window_failure_ratio', service)).toBe(failures / total);
      expect(sample('logstream_window_status_events', service)).toBe(total);
    }
    expect(sample('logstream_window_late_events_total')).toBe(sliding.late);

    const windows = records.filter((r) => r.task === 'keyed-windows');
    expect(sample('logstream_windows_emitted_total')).toBe(windows.length);
    let anomalies = 0;
    let late = 0;
    for (const { service } of running) {
      const own = windows.filter((r) => r.service === service);
      // Every service closed windows in the last batch, after all its events were placed:
      // its last record holds its late count as the state does.
      expect(own.at(-1)?.batch).toBe(3);
      expect(sample('logstream_late_events_total', service)).toBe(own.at(-1)?.late);
      const flagged = own.filter((r) => r.anomaly === true).length;
      expect(sample('logstream_window_anomalies_total', service)).toBe(flagged);
      anomalies += flagged;
      late += own.at(-1)?.late as number;
    }
    // The run must have had something to count for the comparisons to mean anything.
    expect(anomalies).toBeGreaterThan(0);
    expect(late).toBeGreaterThan(0);

    const health = await scrape(port, '/healthz');
    expect([health.status, health.body]).toEqual([200, 'ok\n']);
    expect((await scrape(port, '/')).status).toBe(404);
    expect((await scrape(port, '/metrics', 'POST')).status).toBe(405);
    const head = await scrape(port, '/metrics', 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);

    const stopped = await stopPromptly(cli);
    expect(stopped.code).toBe(0);
    await expect(scrape(port)).rejects.toThrow();
  });

  it('listens only while a --once run lasts, and says where as JSON with --diagnostics json', async () => {
    const logs = await generatedLogs(await tempDir());
    const result = await runCli([
      'run',
      logs,
      '--once',
      '--metrics',
      '0',
      '--diagnostics',
      'json',
      '--task',
      'bloom',
    ]);
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const notice = JSON.parse(lines[0]!) as { kind: string; url: string };
    expect(notice.kind).toBe('notice');
    expect(notice.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(result.records.filter((r) => r.task === 'bloom')).toHaveLength(3);
  });

  it('refuses a port already in use: one line naming --metrics and the address, exit 2', async () => {
    const logs = await generatedLogs(await tempDir());
    const taken = await listening();
    try {
      const port = (taken.address() as { port: number }).port;
      const result = await runCli(['run', logs, '--once', '--metrics', `127.0.0.1:${port}`]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `logstream: --metrics 127.0.0.1:${port}: cannot listen there (EADDRINUSE: address already in use)\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('refuses a malformed address and one that is not on this machine, exit 2', async () => {
    const bad = await runCli(['run', 'data', '--once', '--metrics', 'localhost:99999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--metrics');
    // TEST-NET-1 (RFC 5737) is never a local address.
    const elsewhere = await runCli(['run', 'data', '--once', '--metrics', '192.0.2.1:9464']);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toBe(
      'logstream: --metrics 192.0.2.1:9464: cannot listen there (EADDRNOTAVAIL: no such address on this machine)\n',
    );
  });
});

const { tmux, inTerminal } = tmuxServer('metrics');

describe.runIf(hasTmux)('--metrics on the dashboard', () => {
  it('serves while the dashboard runs in a terminal, and stops when it quits', async () => {
    const logs = await generatedLogs(await tempDir());
    const dir = await tempDir();
    const [stderr, status] = [join(dir, 'stderr'), join(dir, 'status')];
    const command = `node ${CLI} dashboard ${logs} --metrics 0 2>${stderr}; echo $? > ${status}`;
    const waitFor = (condition: () => boolean | Promise<boolean>, what: string) =>
      waitUntil(condition, what, { timeoutMs: 15_000, intervalMs: 100 });
    await inTerminal({ columns: 100, rows: 30 }, command, async (session, screen) => {
      await waitFor(() => PANEL_TITLES.every((title) => screen().includes(title)), 'the panels');
      const port = announcedPort(await readFile(stderr, 'utf8'));
      expect(port).toBeDefined();
      await waitFor(
        async () => parseSamples((await scrape(port!)).body).get('logstream_events_total') === 1200,
        'the three files in the metrics',
      );
      const samples = parseSamples((await scrape(port!)).body);
      const statusEvents = [...samples]
        .filter(([key]) => key.startsWith('logstream_status_events_total{'))
        .reduce((sum, [, value]) => sum + value, 0);
      expect(statusEvents).toBeGreaterThan(0);
      expect(samples.get('logstream_bloom_checked_total')).toBe(1200);
      tmux('send-keys', '-t', session, 'q');
      await waitFor(() => existsSync(status), 'the dashboard to exit');
      expect((await readFile(status, 'utf8')).trim()).toBe('0');
      await expect(scrape(port!)).rejects.toThrow();
    });
  });
});

/** A TCP server on a free loopback port, holding it. */
function listening(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
