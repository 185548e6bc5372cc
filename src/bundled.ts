import { existsSync, readFileSync } from 'node:fs';
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
 * The `version` of the package's package.json, read when asked (a JSON import would need
 * import attributes, which Node 20's older minors and some bundlers read differently);
 * `unknown` when it cannot be read.
 */
export function packageVersion(): string {
  try {
    const text = readFileSync(join(packageRoot(), 'package.json'), 'utf8');
    const { version } = JSON.parse(text) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Where a default path such as `data/` was found (see {@link locateDefault}). */
export interface DefaultLocation {
  /** The path to read: as given when it exists here, else the bundled one, relative to here. */
  readonly path: string;
  /** The bundled copy's absolute path, when the working directory has none and it is used. */
  readonly bundled?: string;
}

/**
 * A default path such as `data/` as SPEC.md names it: relative to the working directory when
 * it exists there, otherwise the sample bundled with the package, so `logstream run` works
 * from any directory. Says which, so the command line can tell the user it fell back.
 */
export function locateDefault(path: string): DefaultLocation {
  if (existsSync(path)) return { path };
  const bundled = join(packageRoot(), path);
  if (!existsSync(bundled)) return { path };
  return { path: relative(process.cwd(), bundled) || '.', bundled };
}

/** {@link locateDefault}'s path alone. */
export function defaultPath(path: string): string {
  return locateDefault(path).path;
}
