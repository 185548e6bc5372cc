import { statSync } from 'node:fs';
import type { Observable } from 'rxjs';
import { UsageError } from '../usage-error.js';
import { directorySource } from './directory.js';
import { stdinSource } from './stdin.js';
import type { SourceBatch, SourceOptions } from './types.js';

/** The source named on the command line: a directory, or `-` for standard input. */
export function openSource(source: string, options: SourceOptions): Observable<SourceBatch> {
  if (source === '-') return stdinSource(process.stdin, options);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(source).isDirectory();
  } catch {
    throw new UsageError(`source '${source}': no such directory`);
  }
  if (!isDirectory)
    throw new UsageError(
      `source '${source}': not a directory (give a directory of log files, or - for standard input)`,
    );
  return directorySource(source, options);
}
