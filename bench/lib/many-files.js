import { ensureCorpus } from './corpus.js';
import { assertSucceeded, measureNode } from './measure.js';
import { CLI } from './paths.js';
import { median } from './stats.js';

/** Events in each small file of (g): many files, little data, so the per-file cost shows. */
export const EVENTS_PER_SMALL_FILE = 10;
/** The one task run in (g): one small record per batch keeps stdout out of the figures. */
const TASK = 'running-average';
/** How long the follower may take to print its last batch before the run counts as failed. */
const FOLLOW_TIMEOUT_MS = 15 * 60_000;
const BATCH = /"batch":(\d+)/;

/**
 * Measurement (g): peak RSS of `logstream run <dir> --task running-average` over a directory
 * of `files` small JSON files (bench/corpus/files-<files>/, written once by `logstream
 * generate --seed 1` and reused), following (no `--once`: stopped with SIGTERM once the record
 * of the last batch, `batch` = `files`, is on stdout) and with `--once`, runs interleaved.
 *
 * Resolves with `{ files, eventsPerFile, generatedSeconds, follow, once, ratio }`: the median
 * peak RSS and wall time of each way (`follow.wall` until the last record, not until exit) and
 * the ratio of the median peak RSS, following / `--once`.
 */
export async function manyFilesMemory({ files, runs, log }) {
  const corpus = ensureCorpus(files * EVENTS_PER_SMALL_FILE, {
    name: `files-${files}`,
    eventsPerFile: EVENTS_PER_SMALL_FILE,
    log,
  });
  const follow = [];
  const once = [];
  for (let round = 1; round <= runs; round++) {
    const followed = await followUntilLastBatch(corpus);
    log(`  following run ${round}/${runs}: ${summary(followed)} to batch ${files}`);
    follow.push(followed);
    const read = await measureNode([CLI, 'run', corpus.dir, '--once', '--task', TASK]);
    assertSucceeded('logstream run --once', read);
    log(`  --once    run ${round}/${runs}: ${summary(read)}`);
    once.push(pick(read));
  }
  const medians = (list) => ({
    rssMB: median(list.map((run) => run.rssMB)),
    wall: median(list.map((run) => run.wall)),
    cpu: median(list.map((run) => run.cpu)),
    runs: list,
  });
  const result = { follow: medians(follow), once: medians(once) };
  return {
    files,
    eventsPerFile: EVENTS_PER_SMALL_FILE,
    task: TASK,
    generatedSeconds: corpus.generatedSeconds,
    ...result,
    ratio: result.follow.rssMB / result.once.rssMB,
  };
}

/**
 * One following run, stopped with SIGTERM as soon as the record of batch `corpus.files` is
 * on stdout; `wall` is the time to that record (the exit after SIGTERM is not counted).
 */
async function followUntilLastBatch(corpus) {
  const started = performance.now();
  let stop;
  let lastBatch = 0;
  let reachedAfter;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop?.('SIGKILL');
  }, FOLLOW_TIMEOUT_MS);
  const run = await measureNode([CLI, 'run', corpus.dir, '--task', TASK], {
    onStart: (signal) => {
      stop = signal;
    },
    onLine: (line) => {
      const match = BATCH.exec(line);
      if (!match) return;
      lastBatch = Math.max(lastBatch, Number(match[1]));
      if (lastBatch >= corpus.files && reachedAfter === undefined) {
        reachedAfter = (performance.now() - started) / 1000;
        stop();
      }
    },
  }).finally(() => clearTimeout(timer));
  if (timedOut) {
    throw new Error(
      `logstream run (following) printed batch ${lastBatch} of ${corpus.files} in ${FOLLOW_TIMEOUT_MS / 60_000} min`,
    );
  }
  assertSucceeded('logstream run (following)', run);
  if (reachedAfter === undefined || lastBatch !== corpus.files) {
    throw new Error(`logstream run (following) printed batch ${lastBatch} of ${corpus.files}`);
  }
  return { ...pick(run), wall: reachedAfter, exitWall: run.wall };
}

const pick = ({ wall, cpu, rssMB }) => ({ wall, cpu, rssMB });

const summary = (run) =>
  `peak RSS ${run.rssMB.toFixed(0)} MB, ${run.wall.toFixed(2)} s wall, ${run.cpu.toFixed(2)} s CPU`;
