import { extname } from 'node:path';

/** The kinds of log file, by extension. */
export type FileKind = 'json' | 'ndjson';

/** The kind of a log file by its extension; other files are ignored. */
export function fileKind(path: string): FileKind | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  return undefined;
}
