import { rmSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPath } from '../bundled.js';
import type { RunOptions } from '../cli/run-options.js';
import { generateLogFiles } from '../generator.js';
import { dashboardCommand } from './dashboard.js';

/** A new file of live traffic every this many milliseconds. */
const FILE_INTERVAL_MS = 500;
const EVENTS_PER_FILE = 250;
/** Chance that a file holds an error burst, so the keyed windows have anomalies to find. */
const BURST_CHANCE = 0.06;
/**
 * Task 5's batch in the demo: traffic never pauses for the idle second, so with the default
 * 50,000 its panel would wait over a minute for a first batch.
 */
const DEMO_BATCH_SIZE = 2_000;

/**
 * `logstream demo` (what `npm start` runs): the dashboard on a temporary directory that
 * starts with the bundled data/ and keeps receiving generated traffic, with occasional error
 * bursts, so every panel moves. The directory is removed on exit.
 */
export async function demoCommand(options: RunOptions): Promise<number> {
  const data = defaultPath('data');
  const dir = await mkdtemp(join(tmpdir(), 'logstream-demo-'));
  // Also when the process ends abruptly (its terminal closed under it, say).
  const removeSync = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeSync);
  const traffic = new AbortController();
  try {
    const start = await copyLogs(data, dir);
    void writeTraffic(dir, start, options.seed, traffic.signal);
    const demo = {
      ...options,
      once: false,
      batchSize: Math.min(options.batchSize, DEMO_BATCH_SIZE),
    };
    return await dashboardCommand(dir, demo, `${data}/ + live traffic`);
  } finally {
    traffic.abort();
    await rm(dir, { recursive: true, force: true });
    process.off('exit', removeSync);
  }
}

/** Copies the sample's log files; resolves with the newest timestamp, where traffic goes on. */
async function copyLogs(from: string, to: string): Promise<number> {
  let newest = Date.now() / 1000;
  let found = false;
  for (const name of (await readdir(from)).filter((file) => file.endsWith('.json')).sort()) {
    await copyFile(join(from, name), join(to, name));
    const events: unknown = JSON.parse(await readFile(join(from, name), 'utf8'));
    if (!Array.isArray(events)) continue;
    for (const event of events as { timestamp?: unknown }[]) {
      if (typeof event.timestamp !== 'number') continue;
      newest = found ? Math.max(newest, event.timestamp) : event.timestamp;
      found = true;
    }
  }
  return newest;
}

async function writeTraffic(
  dir: string,
  start: number,
  seed: number | undefined,
  signal: AbortSignal,
) {
  const files = generateLogFiles({ events: EVENTS_PER_FILE, bursts: BURST_CHANCE, start, seed });
  for (let index = 1; !signal.aborted; index++) {
    await new Promise((resolve) => setTimeout(resolve, FILE_INTERVAL_MS));
    if (signal.aborted) return;
    const name = `live-${String(index).padStart(8, '0')}.json`;
    const temporary = join(dir, `.${name}.tmp`);
    try {
      await writeFile(temporary, JSON.stringify(files.next().value));
      await rename(temporary, join(dir, name));
    } catch {
      return; // The directory is being removed: the demo is ending.
    }
  }
}
