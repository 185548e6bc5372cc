import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/ itself. */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The built command line, as users run it. */
export const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
/** The built library, for the micro benchmarks. */
export const OPERATORS = new URL('../../dist/operators/index.js', import.meta.url);
export const CORPUS_ROOT = fileURLToPath(new URL('../corpus/', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
/** Worktrees of the commits measured with `--baseline`, one per commit: bench/.baseline/<sha>/. */
export const BASELINE_ROOT = fileURLToPath(new URL('../.baseline/', import.meta.url));
/** The repository's small sample, used to check which tasks the build has. */
export const SAMPLE_DATA = fileURLToPath(new URL('../../data/', import.meta.url));

/** Stops with a hint when the product has not been built. */
export function requireBuild() {
  if (!existsSync(CLI)) {
    throw new Error(
      `${CLI} is missing: run \`npm install\` (or \`npm run build\`) at the repository root first`,
    );
  }
}

/** Stops with a hint when bench/'s own dependencies are not installed. */
export function requireBenchDependencies() {
  for (const name of ['@duckdb/node-api', 'nodejs-polars', 'bloom-filters']) {
    if (!existsSync(join(BENCH_DIR, 'node_modules', name, 'package.json'))) {
      throw new Error(
        `${name} is missing: run \`npm --prefix bench install\` (or \`npm run bench\` at the root)`,
      );
    }
  }
}
