import type { SourceProblem } from './source/types.js';
import { escapeForTerminal } from './terminal-text.js';

/**
 * Most characters of a file name in a diagnostic, escapes included. A name comes from
 * whoever wrote the directory: an honest one fits easily, a hostile one cannot fill the screen.
 */
const FILE_LIMIT = 256;

/**
 * Most characters of a reason: parser messages quote the content they choke on, and one
 * diagnostic must stay one readable line.
 */
const REASON_LIMIT = 320;

/**
 * One line on stderr per problem: `logstream: <file>: <reason>`. The file name and the reason
 * come from outside (the directory, the content, the parser quoting it), so both are escaped
 * (see {@link escapeForTerminal}) and bounded: nothing in them reaches the terminal as a control.
 */
export function reportProblem(
  problem: SourceProblem,
  err: NodeJS.WritableStream = process.stderr,
): void {
  const prefix = problem.kind === 'broken' ? 'skipped, ' : '';
  const file = escapeForTerminal(problem.file, FILE_LIMIT);
  const reason = escapeForTerminal(problem.reason, REASON_LIMIT);
  err.write(`logstream: ${file}: ${prefix}${reason}\n`);
}
