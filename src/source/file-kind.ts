import { extname } from 'node:path';

/** The kinds of log file content, by extension. */
export type FileKind = 'json' | 'ndjson';

/** How a log file is read: the kind of its content, and whether that is gzip-compressed. */
export interface FileType {
  readonly kind: FileKind;
  /** `.gz`: the content is read through gunzip, once the file is complete. */
  readonly compressed: boolean;
}

/**
 * The type of a log file by its extension, in any case: `.json`, `.ndjson`, `.jsonl`, each
 * optionally followed by `.gz`; other files are not log files.
 */
export function fileType(path: string): FileType | undefined {
  const compressed = isCompressed(path);
  const kind = kindOfExtension(extname(compressed ? path.slice(0, -GZ.length) : path));
  return kind === undefined ? undefined : { kind, compressed };
}

/** The kind of a log file's content by its extension (`.gz` left aside); other files are ignored. */
export function fileKind(path: string): FileKind | undefined {
  return fileType(path)?.kind;
}

/** Whether the name ends in `.gz`, in any case. */
export function isCompressed(path: string): boolean {
  return path.length > GZ.length && path.slice(-GZ.length).toLowerCase() === GZ;
}

const GZ = '.gz';

function kindOfExtension(extension: string): FileKind | undefined {
  const lower = extension.toLowerCase();
  if (lower === '.json') return 'json';
  if (lower === '.ndjson' || lower === '.jsonl') return 'ndjson';
  return undefined;
}
