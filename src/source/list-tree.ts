import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Which names of a directory source are files to tell of, and which subdirectories to enter. */
export interface TreeNames {
  /** Whether the entry at `path` (relative to the source, `/`-separated) is a file to read. */
  accepts(path: string): boolean;
  /** Whether the subdirectory at `path` is entered (`--recursive`, not excluded). */
  enters(path: string): boolean;
}

/** A directory source's entries as one listing found them. */
export interface TreeListing {
  /** Entries accepted as files (regular or not: the reader decides), relative paths. */
  readonly files: string[];
  /** The subdirectories entered, relative paths (the directory listed first not among them). */
  readonly directories: string[];
  /**
   * Symbolic links not accepted as files, where subdirectories are entered: perhaps links to a
   * directory, which the reader does not follow, with a notice.
   */
  readonly otherLinks: string[];
  /** Entries neither accepted, nor entered, nor links: what a notice says was passed over. */
  readonly ignoredFiles: number;
  /** Whether any subdirectory was passed over (not entered). */
  readonly subdirectoriesSkipped: boolean;
}

/**
 * Lists the source `dir` (or only its subdirectory `under`) and the subdirectories `names`
 * enters, depth first, never through a symbolic link (a link is an entry, never a directory
 * entered). `beforeListing` is called before each subdirectory is listed, `under` included
 * (the watcher watches it first, so nothing created in it meanwhile goes untold). A
 * subdirectory gone or unreadable meanwhile is passed over; the first directory listed
 * failing throws.
 */
export async function listTree(
  dir: string,
  names: TreeNames,
  { under = '', beforeListing }: { under?: string; beforeListing?: (path: string) => void } = {},
): Promise<TreeListing> {
  const listing = {
    files: [] as string[],
    directories: [] as string[],
    otherLinks: [] as string[],
    ignoredFiles: 0,
    subdirectoriesSkipped: false,
  };
  const pending: string[] = [under];
  for (let prefix = pending.pop(); prefix !== undefined; prefix = pending.pop()) {
    let entries: Dirent[];
    try {
      if (prefix !== '') beforeListing?.(prefix);
      entries = await readdir(prefix === '' ? dir : join(dir, prefix), { withFileTypes: true });
    } catch (error) {
      if (prefix === under) throw error;
      continue; // Removed or unreadable since its parent was listed: nothing to read there.
    }
    for (const entry of entries) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        if (names.enters(path)) {
          listing.directories.push(path);
          pending.push(path);
        } else listing.subdirectoriesSkipped = true;
      } else if (names.accepts(path)) listing.files.push(path);
      // Where subdirectories are entered, a link may be one to a directory: the reader says so.
      else if (entry.isSymbolicLink() && names.enters(path)) listing.otherLinks.push(path);
      else listing.ignoredFiles += 1;
    }
  }
  return listing;
}

/** The parent directory of a relative path (`''` for an entry of the source itself). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** Whether `path` is `directory` or lies under it (relative paths, `/`-separated). */
export function isUnder(path: string, directory: string): boolean {
  return path === directory || path.startsWith(`${directory}/`);
}
