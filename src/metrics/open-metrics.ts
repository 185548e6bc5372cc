import type { DiagnosticsFormat } from '../problems.js';
import { escapeForTerminal, jsonForTerminal } from '../terminal-text.js';
import { UsageError } from '../usage-error.js';
import type { LogstreamMetrics } from './logstream-metrics.js';
import {
  hostPort,
  type ListenAddress,
  type MetricsServer,
  startMetricsServer,
} from './metrics-server.js';

/**
 * Serves `metrics` on `address` for `--metrics`, and says where on stderr in one line
 * (`logstream: metrics on http://127.0.0.1:PORT/metrics`; with `--diagnostics json`, one
 * object `{"kind":"notice","reason":…,"url":…}`): with port 0 it is how users and scripts
 * learn the port.
 * @throws {UsageError} naming `--metrics` and the address when it cannot listen there.
 */
export async function openMetricsEndpoint(
  address: ListenAddress,
  metrics: LogstreamMetrics,
  diagnostics: DiagnosticsFormat,
  err: NodeJS.WritableStream = process.stderr,
): Promise<MetricsServer> {
  let server: MetricsServer;
  try {
    server = await startMetricsServer(address, () => metrics.render());
  } catch (error) {
    const where = escapeForTerminal(hostPort(address), 300);
    throw new UsageError(`--metrics ${where}: cannot listen there (${listenFailure(error)})`);
  }
  const reason = `metrics on ${server.url}`;
  if (diagnostics === 'json') {
    err.write(`${jsonForTerminal({ kind: 'notice', reason, url: server.url })}\n`);
  } else {
    err.write(`logstream: ${escapeForTerminal(reason, 400)}\n`);
  }
  return server;
}

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied; ports below 1024 need privileges',
  EADDRNOTAVAIL: 'no such address on this machine',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
};

/** Why listening failed, in words, with the system's code. */
function listenFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && REASONS[code] !== undefined) return `${code}: ${REASONS[code]}`;
  return escapeForTerminal(error instanceof Error ? error.message : String(error), 200);
}
