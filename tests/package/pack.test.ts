import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';

interface PackedFile {
  readonly path: string;
}

/**
 * The files of the tarball `npm publish` would upload, from the built dist/ (`npm test` builds
 * first). Scripts are not run: `prepare` would rebuild dist/ under the other tests' feet.
 */
function packedFiles(): string[] {
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  const [pack] = JSON.parse(result.stdout) as [{ files: PackedFile[] }];
  return pack.files.map((file) => file.path).sort();
}

const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  exports: Record<string, Record<string, string> | string>;
  peerDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
};

describe('the npm package', () => {
  let files: string[] = [];
  beforeAll(() => {
    files = packedFiles();
  });

  it('holds what a user needs: the manifest, README, LICENSE, the built code and the sample', () => {
    for (const path of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/src/cli.js',
      'dist/src/cli.d.ts',
      'dist/operators/index.js',
      'dist/operators/index.d.ts',
      'dist/src/threads/pool-worker.js',
      'data/interesting-messages.txt',
    ]) {
      expect(files, path).toContain(path);
    }
    expect(files.some((path) => /^data\/events-.*\.json$/.test(path))).toBe(true);
  });

  it('holds nothing else: no tests, benchmarks, scripts, docs, source maps or build info', () => {
    const unwanted = files.filter(
      (path) =>
        /^(tests|bench|scripts|docs|src|operators|dist\/tests|dist\/bench|node_modules)\//.test(
          path,
        ) ||
        /\.(map|tsbuildinfo)$/.test(path) ||
        /\.test\./.test(path),
    );
    expect(unwanted).toEqual([]);
    // Every built file is JavaScript or its declarations.
    const others = files.filter((path) => path.startsWith('dist/') && !/\.(js|d\.ts)$/.test(path));
    expect(others).toEqual([]);
  });

  it('ships the targets of bin and exports', () => {
    const targets = [
      ...Object.values(manifest.bin),
      ...Object.values(manifest.exports).flatMap((target) =>
        typeof target === 'string' ? [target] : Object.values(target),
      ),
    ].map((target) => target.replace(/^\.\//, ''));
    expect(targets.length).toBeGreaterThan(2);
    for (const target of targets) expect(files, target).toContain(target);
  });

  it('leaves rxjs to the user: a peer dependency, not a dependency', () => {
    expect(manifest.peerDependencies?.rxjs).toBeDefined();
    expect(manifest.dependencies?.rxjs).toBeUndefined();
  });
});
