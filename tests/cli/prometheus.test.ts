/**
 * A real Prometheus scrapes `logstream run --metrics`, and its HTTP API gives back the values
 * of the run's NDJSON records. Debian's `prometheus` package provides `prometheus` and
 * `promtool`; scripts/install-prometheus.sh installs it when they are missing (as .ci/run
 * does before the tests).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcedPort, generatedLogs, scrape } from '../metrics/scrape.js';
import { REPO, writeLogFile } from '../support/cli.js';
import { type RunningCli, startCli, stopPromptly } from '../support/follow.js';
import { waitUntil } from '../support/wait.js';

const run = promisify(execFile);

/** Whether `command` is on PATH. */
async function onPath(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/** A port free on the loopback address now (taken and given back). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `promtool check metrics` over `text` on its standard input: exit status and everything printed. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: 'pipe' });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

interface QueryResult {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** An instant query of the Prometheus HTTP API; its vector, empty while it has no sample. */
async function query(port: number, promql: string): Promise<QueryResult[]> {
  const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { status: string; data: { result: QueryResult[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

/** A service name with every character the format escapes in a label value, and more. */
const HOSTILE = 'we"ird\\svc\nné 🚀';

/** The generated files' events, and two of {@link HOSTILE} in a file of their own. */
const EVENTS = 3 * 400 + 2;

let dir: string;
let logstream: RunningCli | undefined;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';

beforeAll(async () => {
  if (!(await onPath('prometheus')) || !(await onPath('promtool'))) {
    await run('bash', [join(REPO, 'scripts/install-prometheus.sh')], { timeout: 290_000 });
  }
  dir = await mkdtemp(join(tmpdir(), 'logstream-prometheus-'));
}, 300_000);

afterAll(async () => {
  const server = prometheus;
  if (server !== undefined && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    // Prometheus flushes its head block on SIGTERM; a stuck one must not hang the suite.
    const stuck = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(stuck);
  }
  if (logstream !== undefined) await stopPromptly(logstream).catch(() => {});
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('Prometheus', () => {
  it('scrapes --metrics: its API gives back the values of the records, and promtool finds no problem', async () => {
    const logs = await generatedLogs(dir);
    const hostile = [200, 500].map((status, i) =>
      JSON.stringify({
        service: HOSTILE,
        timestamp: 1_767_225_600 + i,
        message: `HTTP Status Code: ${status}`,
      }),
    );
    await writeLogFile(logs, 'hostile.ndjson', `${hostile.join('\n')}\n`);
    logstream = startCli(['run', logs, '--metrics', '0', '--seed', '1', '--idle-flush', '1h']);
    const cli = logstream;
    await cli.waitFor((c) => announcedPort(c.stderr()) !== undefined, 'the metrics address');
    const target = announcedPort(cli.stderr())!;
    await cli.waitFor(
      (c) => c.records().some((r) => r.task === 'bloom' && r.batch === 4),
      'the records of the fourth file',
    );

    const exposition = await scrape(target);
    const checked = await promtoolCheck(exposition.body);
    expect(checked).toEqual({ code: 0, output: '' });

    const port = await freePort();
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: logstream',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${target}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      prometheusLog += chunk;
    });
    prometheus.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      prometheusLog += chunk;
    });
    const server = prometheus;

    let events: QueryResult[] = [];
    await waitUntil(
      async () => {
        if (server.exitCode !== null) throw new Error(`prometheus exited:\n${prometheusLog}`);
        events = await query(port, 'logstream_events_total').catch(() => []);
        return events.some((result) => Number(result.value[1]) === EVENTS);
      },
      `a scrape of logstream_events_total ${EVENTS}`,
      { timeoutMs: 30_000, intervalMs: 250, seen: () => `\nprometheus:\n${prometheusLog}` },
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.metric).toMatchObject({ job: 'logstream', instance: `127.0.0.1:${target}` });
    expect(Number(events[0]?.value[1])).toBe(EVENTS);
    expect(await query(port, 'up{job="logstream"}')).toMatchObject([
      { value: [expect.any(Number), '1'] },
    ]);

    const records = cli.records();
    const running = records.filter((r) => r.task === 'running-average').at(-1) as {
      services: { service: string; successes: number; total: number; rate: number }[];
    };
    expect(running.services.map(({ service }) => service)).toContain(HOSTILE);
    // Every service by its name as Prometheus parsed it: the escaped label values read back.
    const successes = await query(port, 'logstream_success_events_total');
    const statuses = await query(port, 'logstream_status_events_total');
    const sampleFor = (results: QueryResult[], service: string) =>
      Number(results.find((result) => result.metric.service === service)?.value[1]);
    expect(successes).toHaveLength(running.services.length);
    for (const { service, successes: success, total } of running.services) {
      expect(sampleFor(successes, service)).toBe(success);
      expect(sampleFor(statuses, service)).toBe(total);
    }
    // The README's query: the success rate per service, from the two counters.
    const ratios = await query(
      port,
      'sum by (service) (logstream_success_events_total) / sum by (service) (logstream_status_events_total)',
    );
    for (const { service, rate } of running.services) expect(sampleFor(ratios, service)).toBe(rate);
    const bloom = records.filter((r) => r.task === 'bloom').at(-1)!;
    const [forwarded] = await query(port, 'logstream_bloom_forwarded_total');
    expect(Number(forwarded?.value[1])).toBe(bloom.forwarded);

    expect((await stopPromptly(cli)).code).toBe(0);
  }, 60_000);
});
