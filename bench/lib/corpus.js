import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, CORPUS_ROOT } from './paths.js';

export const EVENTS_PER_FILE = 1000;

/**
 * The deterministic corpus of `events` events: `events / eventsPerFile` JSON-array files of
 * `eventsPerFile` events (1,000 unless told) written by `logstream generate --seed <seed>`, in
 * bench/corpus/<name>/. A corpus
 * already there with the same parameters and file count is reused; the description beside
 * it (<name>.info.json, outside the directory so no engine reads it) is written last, so an
 * interrupted generation is redone.
 *
 * Resolves with `{ dir, events, files, generatedSeconds }` (`generatedSeconds` is null when
 * reused).
 */
export function ensureCorpus(
  events,
  { name = String(events), seed = 1, eventsPerFile = EVENTS_PER_FILE, log = () => {} } = {},
) {
  if (!Number.isSafeInteger(events) || events < eventsPerFile || events % eventsPerFile) {
    throw new Error(
      `a corpus holds a whole number of ${eventsPerFile}-event files, not ${events} events`,
    );
  }
  const files = events / eventsPerFile;
  const dir = join(CORPUS_ROOT, name);
  const infoFile = join(CORPUS_ROOT, `${name}.info.json`);
  const wanted = { files, eventsPerFile, seed, format: 'json' };
  if (matches(infoFile, wanted) && countJsonFiles(dir) === files) {
    return { dir, events, files, generatedSeconds: null };
  }
  log(`generating ${events.toLocaleString('en-US')} events (${files} files) in ${dir} …`);
  rmSync(infoFile, { force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = process.hrtime.bigint();
  const result = spawnSync(
    process.execPath,
    [
      CLI,
      'generate',
      dir,
      '--files',
      String(files),
      '--events',
      String(eventsPerFile),
      '--seed',
      String(seed),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(
      `logstream generate failed (${result.status ?? result.signal}): ${result.stderr}`,
    );
  }
  const generatedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const count = countJsonFiles(dir);
  if (count !== files) throw new Error(`logstream generate wrote ${count} files, not ${files}`);
  writeFileSync(infoFile, `${JSON.stringify({ ...wanted, generatedSeconds }, null, 2)}\n`);
  log(`  done in ${generatedSeconds.toFixed(1)} s`);
  return { dir, events, files, generatedSeconds };
}

function matches(infoFile, wanted) {
  if (!existsSync(infoFile)) return false;
  try {
    const info = JSON.parse(readFileSync(infoFile, 'utf8'));
    return Object.entries(wanted).every(([key, value]) => info[key] === value);
  } catch {
    return false;
  }
}

/** The corpus files, sorted by name (which is their order of creation). */
export function jsonFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .sort();
}

function countJsonFiles(dir) {
  return jsonFiles(dir).length;
}
