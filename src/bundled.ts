import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's own folder, found from this file whether it runs from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dir;
}

/**
 * A default path such as `data/` as SPEC.md names it: relative to the working directory when
 * it exists there, otherwise the sample bundled with the package, so `logstream run` works
 * from any directory.
 */
export function defaultPath(path: string): string {
  if (existsSync(path)) return path;
  const bundled = join(packageRoot(), path);
  return existsSync(bundled) ? relative(process.cwd(), bundled) || '.' : path;
}
