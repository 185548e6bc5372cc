/** What the metrics tests share: generated logs, the port logstream announces, scraping, parsing. */
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../support/cli.js';

/** The port of `logstream: metrics on http://127.0.0.1:PORT/metrics` in stderr, if printed yet. */
export function announcedPort(stderr: string): number | undefined {
  const match = /^logstream: metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics$/m.exec(stderr);
  return match === null ? undefined : Number(match[1]);
}

/** The samples of an exposition text, by `name{labels}` as written (no timestamps expected). */
export function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** `GET http://127.0.0.1:<port><path>`: status, Content-Type and body. */
export async function scrape(
  port: number,
  path = '/metrics',
  method = 'GET',
): Promise<{ status: number; contentType: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

/** A generated directory under `dir`: 3 files of 400 events (seed 1), written at once. */
export async function generatedLogs(dir: string): Promise<string> {
  const logs = join(dir, 'logs');
  const generated = await runCli([
    'generate',
    logs,
    '--seed',
    '1',
    '--files',
    '3',
    '--events',
    '400',
  ]);
  expect(generated.code).toBe(0);
  return logs;
}
