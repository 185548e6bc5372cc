import type { SourceProblem } from './source/types.js';

/** One line on stderr per problem: `logstream: <file>: <reason>`. */
export function reportProblem(
  problem: SourceProblem,
  err: NodeJS.WritableStream = process.stderr,
): void {
  const prefix = problem.kind === 'broken' ? 'skipped, ' : '';
  err.write(`logstream: ${problem.file}: ${prefix}${oneLine(problem.reason)}\n`);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
