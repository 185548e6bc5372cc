import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASELINE_ROOT, BENCH_DIR } from './paths.js';

/**
 * Written into the baseline's dist/ once its build has succeeded, with the commit it was
 * built from: an interrupted `npm ci` or `tsc` leaves no marker, so the next run builds again.
 */
const BUILT_MARKER = '.bench-built-from';

/**
 * The build of `ref` to measure against (`--baseline <ref>`): a detached git worktree of that
 * commit in bench/.baseline/<short-sha>/, reused when it is already there at that commit, with
 * `npm ci` and `npm run build` run in it unless its dist/ was built from that commit already.
 * The working tree and index of the repository itself are never touched.
 *
 * Returns `{ ref, commit, short, subject, dir, cli, buildSeconds }` (`buildSeconds` is null
 * when the build was reused).
 */
export function prepareBaseline(ref, { log = () => {} } = {}) {
  const commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    what: `--baseline: '${ref}' is not a commit of this repository`,
  });
  const short = git(['rev-parse', '--short', commit]);
  const subject = git(['log', '-1', '--format=%s', commit]);
  const dir = join(BASELINE_ROOT, short);
  log(`baseline: ${ref} = ${short} (${subject})`);
  ensureWorktree(dir, commit, log);
  hideFromBiome(dir);
  const cli = join(dir, 'dist', 'src', 'cli.js');
  const buildSeconds = isBuilt(dir, cli, commit) ? null : build(dir, commit, log);
  if (buildSeconds === null) log(`  reusing the build in ${dir}`);
  return { ref, commit, short, subject, dir, cli, buildSeconds };
}

/** A worktree at `commit` in `dir`: reused when it is one already, otherwise made anew. */
function ensureWorktree(dir, commit, log) {
  if (worktreeCommit(dir) === commit) return;
  if (existsSync(dir)) {
    // a worktree moved to another commit, or a folder left by an interrupted run: start over
    log(`  ${dir} is not a worktree at ${commit}: removing it`);
    git(['worktree', 'remove', '--force', dir], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  }
  // forgets worktrees whose folder was deleted by hand, which would block `worktree add`
  git(['worktree', 'prune']);
  mkdirSync(BASELINE_ROOT, { recursive: true });
  log(`  git worktree add --detach ${dir} ${commit}`);
  git(['worktree', 'add', '--detach', dir, commit]);
}

/**
 * Biome, run anywhere in the repository (`npm run lint`, `npx biome check bench/`), stops with
 * "Found a nested root configuration" on the worktree's own biome.json, and would lint the
 * baseline's sources if there were none. A nested configuration that includes nothing keeps
 * it out of the worktree; skip-worktree (in the worktree's own index) keeps the worktree's
 * `git status` clean. Nothing in the build reads biome.json.
 */
function hideFromBiome(dir) {
  writeFileSync(join(dir, 'biome.json'), `${JSON.stringify(NO_BIOME)}\n`);
  const tracked = git(['ls-files', '--', 'biome.json'], { cwd: dir }) !== '';
  if (tracked) git(['update-index', '--skip-worktree', 'biome.json'], { cwd: dir });
}

const NO_BIOME = { root: false, files: { includes: ['!**'] } };

/**
 * The commit checked out in `dir` when `dir` is the top of a worktree of its own; undefined
 * otherwise. (Inside a plain folder under bench/, git would answer for the main repository.)
 */
function worktreeCommit(dir) {
  if (!existsSync(join(dir, '.git'))) return undefined;
  const top = git(['rev-parse', '--show-toplevel'], { cwd: dir, allowFailure: true });
  if (!top || realpathSync(top) !== realpathSync(dir)) return undefined;
  return git(['rev-parse', 'HEAD'], { cwd: dir, allowFailure: true }) || undefined;
}

function isBuilt(dir, cli, commit) {
  const marker = join(dir, 'dist', BUILT_MARKER);
  return existsSync(cli) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === commit;
}

/** `npm ci` and `npm run build` in the worktree, their output on stderr; returns seconds. */
function build(dir, commit, log) {
  const started = process.hrtime.bigint();
  for (const args of [
    ['ci', '--no-audit', '--no-fund'],
    ['run', 'build'],
  ]) {
    log(`  npm ${args.join(' ')} (in ${dir})`);
    const result = spawnSync('npm', args, { cwd: dir, stdio: ['ignore', 2, 2] });
    if (result.status !== 0) {
      throw new Error(
        `baseline ${commit.slice(0, 12)}: npm ${args.join(' ')} failed (${result.status ?? result.signal ?? result.error?.message})`,
      );
    }
  }
  writeFileSync(join(dir, 'dist', BUILT_MARKER), `${commit}\n`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  log(`  built in ${seconds.toFixed(1)} s`);
  return seconds;
}

function git(args, { cwd = BENCH_DIR, what, allowFailure = false } = {}) {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0 && !allowFailure) {
    throw new Error(what ?? `git ${args.join(' ')} failed: ${(result.stderr ?? '').trim()}`);
  }
  return result.status === 0 ? result.stdout.trim() : '';
}
