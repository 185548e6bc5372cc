import picomatch from 'picomatch';
import { type FileType, fileType, isCompressed } from './file-kind.js';

/** What selects the files of a directory source: `--recursive`, `--include`, `--exclude`. */
export interface FileFilterOptions {
  readonly recursive?: boolean | undefined;
  readonly include?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
}

/** What the default selection looks for, as the notice of an empty directory says it. */
const DEFAULT_LOOKED_FOR = '*.json, *.ndjson, *.jsonl and their .gz';

/**
 * Which files under a directory source are read, and how: paths relative to the source,
 * `/`-separated (`2026/12/app.ndjson`), matched with picomatch. A pattern without a `/`
 * matches the base name at any depth (`*.log` matches `a/b/app.log`); one with a `/` matches
 * the whole relative path (`2026/**\/*.json`). Dot files are matched only by patterns that
 * name the dot, as in a shell.
 *
 * Without `--include`, the log files are read: `.json`, `.ndjson`, `.jsonl`, each plain or
 * `.gz`. With `--include`, a file is read when it matches one of the patterns, whatever its
 * extension: a `.json` file as a JSON document, and any other as NDJSON (`--include '*.log'`
 * means "these are my logs, one event a line"); a name ending in `.gz` is decompressed first
 * (`app.log.gz` is compressed NDJSON). An `--exclude` pattern wins over every include, and a
 * subdirectory whose path matches one is not entered (`--exclude archive`).
 */
export class FileFilter {
  private readonly included: ((path: string) => boolean) | undefined;
  private readonly excluded: (path: string) => boolean;

  constructor(private readonly options: FileFilterOptions = {}) {
    this.included = options.include === undefined ? undefined : anyOf(options.include);
    this.excluded = anyOf(options.exclude ?? []);
  }

  /** Whether subdirectories are entered (`--recursive`). */
  get recursive(): boolean {
    return this.options.recursive === true;
  }

  /** How the file at `path` (relative to the source) is read; `undefined` when it is not. */
  typeOf(path: string): FileType | undefined {
    if (this.excluded(path)) return undefined;
    if (this.included === undefined) return fileType(path);
    if (!this.included(path)) return undefined;
    return fileType(path) ?? { kind: 'ndjson', compressed: isCompressed(path) };
  }

  /** Whether the file at `path` (relative to the source) is read. */
  readonly accepts = (path: string): boolean => this.typeOf(path) !== undefined;

  /** Whether the subdirectory at `path` (relative to the source) is entered. */
  readonly enters = (path: string): boolean => this.recursive && !this.excluded(path);

  /**
   * The notice of a source where nothing is read: what was looked for, and why files or
   * subdirectories there were passed over (`ignored` files that were not selected).
   */
  nothingToRead(ignored: number, subdirectories: boolean): string {
    const { include, exclude } = this.options;
    const where = this.recursive ? 'here or in its subdirectories' : 'here';
    let lookedFor =
      include === undefined ? DEFAULT_LOOKED_FOR : `files matching ${patternList(include)}`;
    if (exclude !== undefined && exclude.length > 0) {
      lookedFor += `, not matching ${patternList(exclude)}`;
    }
    const notes = [`looked for ${lookedFor}`];
    if (ignored > 0) notes.push(`${ignored} other file${ignored === 1 ? '' : 's'} ignored`);
    if (subdirectories && !this.recursive)
      notes.push('subdirectories not entered: use --recursive');
    return `no log files ${where} (${notes.join('; ')})`;
  }
}

/** One matcher for every pattern: a pattern without `/` matches base names at any depth. */
function anyOf(patterns: readonly string[]): (path: string) => boolean {
  const matchers = patterns.map((pattern) =>
    picomatch(pattern, { basename: !pattern.includes('/'), windows: false }),
  );
  return (path) => matchers.some((matches) => matches(path));
}

/** The patterns as given: the reason is escaped where it is printed (see `reportProblem`). */
function patternList(patterns: readonly string[]): string {
  return patterns.join(', ');
}
