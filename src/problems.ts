import type { SourceProblem } from './source/types.js';
import { escapeForTerminal, jsonForTerminal } from './terminal-text.js';

/** How diagnostics are printed on stderr (`--diagnostics`). */
export type DiagnosticsFormat = 'text' | 'json';

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
 * One line on stderr per problem. As text, `logstream: <file>: <reason>`; as JSON, one object
 * `{"kind","file","reason","count"}` (with `line`, the first, and `lines` of the invalid
 * events of an NDJSON file, `index` and `indexes` of a `.json` file's). The file name and the
 * reason come from outside (the directory, the content, the parser quoting it), so both are
 * escaped (see {@link escapeForTerminal}, {@link jsonForTerminal}) and bounded: nothing in
 * them reaches the terminal as a control.
 */
export function reportProblem(
  problem: SourceProblem,
  err: NodeJS.WritableStream = process.stderr,
  format: DiagnosticsFormat = 'text',
): void {
  if (format === 'json') {
    err.write(`${jsonForTerminal(diagnosticObject(problem))}\n`);
    return;
  }
  const prefix = problem.kind === 'broken' ? 'skipped, ' : '';
  const file = escapeForTerminal(problem.file, FILE_LIMIT);
  const reason = escapeForTerminal(problem.reason, REASON_LIMIT);
  err.write(`logstream: ${file}: ${prefix}${reason}\n`);
}

/** A problem as `--diagnostics json` prints it; the texts bounded as the text lines are. */
function diagnosticObject(problem: SourceProblem): Record<string, unknown> {
  const { kind, file, count, lines, indexes } = problem;
  const reason = bounded(problem.cause ?? problem.reason, REASON_LIMIT);
  return {
    kind,
    file: bounded(file, FILE_LIMIT),
    ...(lines !== undefined && { line: lines[0], lines }),
    ...(indexes !== undefined && { index: indexes[0], indexes }),
    reason,
    count,
  };
}

/** `text` cut to `limit` characters, its end kept (it says where), never inside a surrogate pair. */
function bounded(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let start = text.length - (limit - 1);
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start += 1;
  return `…${text.slice(start)}`;
}

/**
 * The problems a run met, counted by kind: what `--strict` decides on (files that could not
 * be read or parsed, invalid events; notices that lose nothing do not fail a run) and what
 * `--metrics` exports. The topology keeps one for every problem of its source and sinks.
 */
export class ProblemTally {
  brokenFiles = 0;
  invalidEvents = 0;
  warnings = 0;

  readonly add = (problem: SourceProblem): void => {
    if (problem.kind === 'broken') this.brokenFiles += 1;
    else if (problem.kind === 'invalid') this.invalidEvents += problem.count;
    else this.warnings += 1;
  };

  /** Whether any file or event was invalid. */
  get anyInvalid(): boolean {
    return this.brokenFiles > 0 || this.invalidEvents > 0;
  }

  /** The exit status of a run that ended in order: 1 with `--strict` after invalid input. */
  exitStatus(strict: boolean): number {
    return strict && this.anyInvalid ? 1 : 0;
  }
}
