import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LogEvent, toEpochSeconds } from '../../operators/event.js';
import {
  fraction,
  nonNegativeDuration,
  nonNegativeInteger,
  positiveInteger,
  seed,
} from '../cli/values.js';
import { generateLogFiles } from '../generator.js';
import { UsageError } from '../usage-error.js';

/** The start time of a seeded run when none is given, so the same seed gives the same files. */
const SEEDED_START = Date.UTC(2026, 0, 1) / 1000;

/**
 * `logstream generate <dir>`: writes synthetic log files, each atomically (a hidden temporary
 * name, then a rename), named after the run's start time and the file's number, so names sort by creation.
 */
export async function generateCommand(
  dir: string,
  flags: Record<string, unknown>,
): Promise<number> {
  // Elsewhere `-` is standard input or output; here it would be a directory named `-`.
  if (dir === '-') {
    throw new UsageError(
      'generate: - is not a directory: generate writes files into one (like logstream generate data/)',
    );
  }
  const files = option('--files', () => nonNegativeInteger(flags.files));
  const events = option('--events', () => positiveInteger(flags.events));
  const delay = option('--delay', () => nonNegativeDuration(flags.delay));
  const bursts = option('--bursts', () => fraction(flags.bursts));
  const seedValue = flags.seed === undefined ? undefined : option('--seed', () => seed(flags.seed));
  const start = option('--start', () => startTime(flags.start, seedValue));
  const format = flags.format === 'ndjson' ? 'ndjson' : 'json';

  await mkdir(dir, { recursive: true });
  // Names sort by creation: the run's start time, then the file's number in the run.
  const runStamp = String(Math.round(start * 1000)).padStart(13, '0');
  const generator = generateLogFiles({ events, bursts, start, seed: seedValue });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    for (let index = 1; index <= files && !stop.signal.aborted; index++) {
      const batch = generator.next().value as LogEvent[];
      const name = `events-${runStamp}-${String(index).padStart(6, '0')}.${format}`;
      const text =
        format === 'json'
          ? `${JSON.stringify(batch)}\n`
          : batch.map((e) => `${JSON.stringify(e)}\n`).join('');
      const temporary = join(dir, `.${name}.tmp`);
      await writeFile(temporary, text);
      await rename(temporary, join(dir, name));
      if (delay > 0 && index < files)
        await sleep(delay * 1000, undefined, { signal: stop.signal }).catch(() => {});
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  return 0;
}

function startTime(value: unknown, seedValue: number | undefined): number {
  if (value === undefined) return seedValue === undefined ? Date.now() / 1000 : SEEDED_START;
  const text = String(value);
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : toEpochSeconds(text);
  if (seconds === undefined)
    throw new UsageError(`'${text}' is not epoch seconds or an ISO-8601 time`);
  return seconds;
}

function option<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}
