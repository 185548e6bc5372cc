import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSucceeded, measureNode } from './measure.js';
import { CLI } from './paths.js';
import { interleavedFigures } from './stats.js';

/**
 * Measurement (i): record and replay, all six tasks over the corpus of (b), runs interleaved
 * round by round: `run --once` as it is, the same with `--record <file>` (what recording costs
 * a run), and `replay <that file> --max` (the recorded run again, from the recording instead
 * of the files). Every command has `--seed 1`, and the replay's records must be the recorded
 * run's, byte for byte (compared by hash), and the plain run's.
 *
 * Resolves with `{ identical, recordingMB, bytesPerEvent, variants: { plain, record, replay } }`,
 * each variant with its median figures, `ratio` (its median wall / the plain median wall) and
 * `pairedRatio` (the median of the per-round ratios).
 */
export async function recordAndReplay(corpus, { runs, log }) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-recording-'));
  const recording = join(dir, 'run.lsrec');
  const variants = [
    { name: 'plain', label: 'run --once', args: ['run', corpus.dir, '--once'] },
    {
      name: 'record',
      label: 'run --once --record <file>',
      args: ['run', corpus.dir, '--once', '--record', recording],
    },
    { name: 'replay', label: 'replay <file> --max', args: ['replay', recording, '--max'] },
  ];
  const perVariant = Object.fromEntries(variants.map((variant) => [variant.name, []]));
  const hashes = new Set();
  let recordingBytes = Number.NaN;
  try {
    for (let round = 1; round <= runs; round++) {
      for (const variant of variants) {
        const hash = createHash('sha256');
        const run = await measureNode([CLI, ...variant.args, '--seed', '1'], {
          onLine: (line) => hash.update(`${line}\n`),
        });
        assertSucceeded(`logstream ${variant.label}`, run);
        hashes.add(hash.digest('hex'));
        if (variant.name === 'record') recordingBytes = statSync(recording).size;
        log(`  ${variant.name.padEnd(7)} run ${round}/${runs}: ${summary(run, corpus.events)}`);
        perVariant[variant.name].push(run);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const result = interleavedFigures(variants, perVariant, corpus.events);

  return {
    identical: hashes.size === 1,
    recordingMB: recordingBytes / 1e6,
    bytesPerEvent: recordingBytes / corpus.events,
    variants: result,
  };
}

function summary(run, events) {
  const rate = (events / run.wall / 1e6).toFixed(2);
  return `${run.wall.toFixed(2)} s wall, ${run.cpu.toFixed(2)} s CPU, ${run.rssMB.toFixed(0)} MB, ${rate} M events/s`;
}
