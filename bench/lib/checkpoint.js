import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSucceeded, measureNode } from './measure.js';
import { CLI } from './paths.js';
import { interleavedFigures } from './stats.js';

/** The file a checkpoint directory holds (src/checkpoint.ts, CHECKPOINT_FILE). */
const CHECKPOINT_FILE = 'checkpoint.json';

/**
 * `--checkpoint-interval`'s default as `run --help` prints it ("1s"): the plain `--checkpoint`
 * runs leave the flag out, so that they measure what a user gets, and the report names it.
 */
export function defaultCheckpointInterval(cli = CLI) {
  const help = spawnSync(process.execPath, [cli, 'run', '--help'], { encoding: 'utf8' });
  const match = /--checkpoint-interval <dur>[\s\S]*?\(default:\s*([^)]+?)\)/.exec(
    help.stdout ?? '',
  );
  return match ? match[1] : 'default';
}

/**
 * Measurement (f): all six tasks, `run --once <corpus>`, without a checkpoint and with
 * `--checkpoint <dir>` (at the default interval, and at `stressInterval` when given), runs
 * interleaved round by round so that drift on the machine touches all alike. Every
 * checkpointed run gets a fresh, empty directory, so it reads the whole corpus as the plain
 * run does; the checkpoint left at exit must name the corpus's last batch.
 *
 * Resolves with `{ interval, stressInterval, variants: { plain, checkpoint, stress? } }`, each
 * variant with its median figures, `ratio` (its median wall / the plain median wall),
 * `pairedRatio` (the median of the per-round ratios) and, for checkpointed ones, the size of
 * the checkpoint file.
 */
export async function checkpointOverhead(corpus, { runs, stressInterval, log }) {
  const interval = defaultCheckpointInterval();
  const variants = [
    { name: 'plain', label: 'run --once', flags: null },
    { name: 'checkpoint', label: `run --once --checkpoint (interval ${interval})`, flags: [] },
    ...(stressInterval
      ? [
          {
            name: 'stress',
            label: `run --once --checkpoint --checkpoint-interval ${stressInterval}`,
            flags: ['--checkpoint-interval', stressInterval],
          },
        ]
      : []),
  ];
  const perVariant = Object.fromEntries(variants.map((variant) => [variant.name, []]));
  for (let round = 1; round <= runs; round++) {
    for (const variant of variants) {
      const run = await checkpointedRun(corpus, variant);
      log(`  ${variant.name.padEnd(10)} run ${round}/${runs}: ${summary(run, corpus.events)}`);
      perVariant[variant.name].push(run);
    }
  }
  const result = interleavedFigures(variants, perVariant, corpus.events, ['checkpointKB']);

  return { interval, stressInterval, variants: result };
}

/** One measured `run --once`, in a fresh checkpoint directory when `flags` is an array. */
async function checkpointedRun(corpus, { name, flags }) {
  const args = [CLI, 'run', corpus.dir, '--once'];
  if (!flags) {
    const run = await measureNode(args);
    assertSucceeded(`logstream (${name})`, run);
    return pick(run);
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-checkpoint-'));
  try {
    const run = await measureNode([...args, '--checkpoint', dir, ...flags]);
    assertSucceeded(`logstream (${name})`, run);
    const file = join(dir, CHECKPOINT_FILE);
    const { batch } = JSON.parse(readFileSync(file, 'utf8'));
    if (batch !== corpus.files) {
      throw new Error(
        `the checkpoint at exit of the ${name} run holds batch ${batch}, the corpus ${corpus.files} files`,
      );
    }
    return { ...pick(run), checkpointKB: statSync(file).size / 1e3 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pick = ({ wall, user, sys, cpu, rssMB }) => ({ wall, user, sys, cpu, rssMB });

function summary(run, events) {
  const rate = (events / run.wall / 1e6).toFixed(2);
  const size =
    run.checkpointKB === undefined ? '' : `, checkpoint ${run.checkpointKB.toFixed(0)} kB`;
  return `${run.wall.toFixed(2)} s wall, ${run.cpu.toFixed(2)} s CPU, ${run.rssMB.toFixed(0)} MB, ${rate} M events/s${size}`;
}
