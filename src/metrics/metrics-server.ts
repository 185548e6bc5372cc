/**
 * The HTTP endpoint of `--metrics`, on Node's own `node:http`: `/metrics` in the Prometheus
 * text format, `/healthz` for liveness probes. Nothing else is served.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXPOSITION_CONTENT_TYPE } from './exposition.js';

/** Where to listen: a host (name or address) and a port, 0 for any free one. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** A listening metrics endpoint. */
export interface MetricsServer {
  /** The port it listens on (the one picked, when 0 was asked for). */
  readonly port: number;
  /** `http://host:port/metrics`, the address to scrape (an IPv6 host in brackets). */
  readonly url: string;
  /** Stops listening and ends every open connection (scrapers keep theirs alive). */
  close(): Promise<void>;
}

/**
 * Serves `render()` at `/metrics` (rendered on each request, synchronously: between two
 * batches of the operators, never in the middle of one) and `ok` at `/healthz`, for GET and
 * HEAD; other paths get 404, other methods 405 with an `Allow` header. Resolves once
 * listening.
 * @throws the listen error (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, `ENOTFOUND`…) as Node
 * gives it; nothing is left listening then.
 */
export async function startMetricsServer(
  address: ListenAddress,
  render: () => string,
): Promise<MetricsServer> {
  const server = createServer((request, response) => respond(request, response, render));
  // A scraper that opens a connection and sends nothing must not hold a socket forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Past listening, a server error (none is expected) must not crash the run it reports on.
  server.on('error', () => {});
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${hostPort({ host: address.host, port })}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `host:port` as a URL writes it: an IPv6 address in brackets. */
export function hostPort({ host, port }: ListenAddress): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const PATHS = new Set(['/metrics', '/healthz']);

function respond(request: IncomingMessage, response: ServerResponse, render: () => string): void {
  const path = pathOf(request.url);
  if (path === undefined || !PATHS.has(path)) {
    send(response, request, 404, 'not found: /metrics and /healthz are served\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    send(response, request, 405, 'method not allowed: use GET or HEAD\n');
    return;
  }
  if (path === '/healthz') {
    send(response, request, 200, 'ok\n');
    return;
  }
  let body: string;
  try {
    body = render();
  } catch (error) {
    // A bug in a family must not end the run; the scraper records a failed scrape.
    send(response, request, 500, `cannot render the metrics: ${String(error)}\n`);
    return;
  }
  send(response, request, 200, body, EXPOSITION_CONTENT_TYPE);
}

/** The path of a request target without its query; undefined when it is not one. */
function pathOf(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function send(
  response: ServerResponse,
  request: IncomingMessage,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  const bytes = Buffer.from(body, 'utf8');
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
  });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}
