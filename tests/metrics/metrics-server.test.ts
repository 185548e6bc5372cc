import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPOSITION_CONTENT_TYPE } from '../../src/metrics/exposition.js';
import { LogstreamMetrics } from '../../src/metrics/logstream-metrics.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/metrics-server.js';
import { openMetricsEndpoint } from '../../src/metrics/open-metrics.js';
import { ProblemTally } from '../../src/problems.js';
import { UsageError } from '../../src/usage-error.js';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request to the loopback server, its reply read whole. */
function fetchFrom(
  port: number,
  path: string,
  method = 'GET',
  agent: Agent | false = false,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(render: () => string): Promise<MetricsServer> {
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, render);
  servers.push(server);
  return server;
}

describe('startMetricsServer', () => {
  it('serves /metrics in the exposition format, rendered on each request', async () => {
    let scrapes = 0;
    const server = await serve(() => `m ${++scrapes}\n`);
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const first = await fetchFrom(server.port, '/metrics');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe(EXPOSITION_CONTENT_TYPE);
    expect(first.body).toBe('m 1\n');
    // A query string (some scrapers add one) names the same path.
    expect((await fetchFrom(server.port, '/metrics?x=1')).body).toBe('m 2\n');
  });

  it('answers /healthz with ok, HEAD without a body, other paths 404, other methods 405', async () => {
    const server = await serve(() => 'm 1\n');
    const health = await fetchFrom(server.port, '/healthz');
    expect([health.status, health.body]).toEqual([200, 'ok\n']);
    const head = await fetchFrom(server.port, '/metrics', 'HEAD');
    expect([head.status, head.body, head.headers['content-length']]).toEqual([200, '', '4']);
    expect((await fetchFrom(server.port, '/')).status).toBe(404);
    expect((await fetchFrom(server.port, '/metrics/extra')).status).toBe(404);
    const post = await fetchFrom(server.port, '/metrics', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('answers 500 when rendering fails, and goes on serving', async () => {
    let fail = true;
    const server = await serve(() => {
      if (fail) throw new Error('bug');
      return 'm 1\n';
    });
    expect((await fetchFrom(server.port, '/metrics')).status).toBe(500);
    fail = false;
    expect((await fetchFrom(server.port, '/metrics')).status).toBe(200);
  });

  it('closes with a kept-alive connection open', async () => {
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => 'm 1\n');
    const agent = new Agent({ keepAlive: true });
    await fetchFrom(server.port, '/metrics', 'GET', agent);
    // Resolves although the agent keeps its connection open, as Prometheus does.
    await server.close();
    agent.destroy();
    await expect(fetchFrom(server.port, '/metrics')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('openMetricsEndpoint', () => {
  const metrics = () =>
    new LogstreamMetrics({
      states: new Map(),
      problems: new ProblemTally(),
      allowedLatenessSeconds: 0,
    });
  const sink = () => {
    let text = '';
    const write = (chunk: string) => {
      text += chunk;
      return true;
    };
    return {
      stream: { write } as unknown as NodeJS.WritableStream,
      text: () => text,
    };
  };

  it('says where it listens, as text or as one JSON object', async () => {
    const text = sink();
    const server = await openMetricsEndpoint(
      { host: '127.0.0.1', port: 0 },
      metrics(),
      'text',
      text.stream,
    );
    servers.push(server);
    expect(text.text()).toBe(`logstream: metrics on http://127.0.0.1:${server.port}/metrics\n`);
    const json = sink();
    const other = await openMetricsEndpoint(
      { host: '127.0.0.1', port: 0 },
      metrics(),
      'json',
      json.stream,
    );
    servers.push(other);
    expect(JSON.parse(json.text())).toEqual({
      kind: 'notice',
      reason: `metrics on ${other.url}`,
      url: other.url,
    });
  });

  it('refuses a port in use with one line naming --metrics and the address', async () => {
    const taken = await serve(() => '');
    const attempt = openMetricsEndpoint(
      { host: '127.0.0.1', port: taken.port },
      metrics(),
      'text',
      sink().stream,
    );
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(
      `--metrics 127.0.0.1:${taken.port}: cannot listen there (EADDRINUSE: address already in use)`,
    );
  });

  it('refuses an address that is not on this machine', async () => {
    // TEST-NET-1 (RFC 5737): never a local address.
    const attempt = openMetricsEndpoint(
      { host: '192.0.2.1', port: 0 },
      metrics(),
      'text',
      sink().stream,
    );
    await expect(attempt).rejects.toThrow(
      /^--metrics 192\.0\.2\.1:0: cannot listen there \(EADDRNOTAVAIL/,
    );
  });
});
