#!/usr/bin/env node
import { main } from './cli/program.js';
import { escapeForTerminal } from './terminal-text.js';

// The dashboard's colours come from chalk, which honours FORCE_COLOR but not NO_COLOR
// (no-color.org): turn one into the other before the dashboard loads it.
if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';

// React picks its development build unless told otherwise, and that build diffs every prop
// of every render for its performance tracks: with a record listing 10,000 services the
// dashboard spent seconds a frame there. The dashboard loads React after this line.
process.env.NODE_ENV ??= 'production';

// A reader that stops early (`logstream --help | head`) closes the pipe: nothing more to say,
// and no stack trace. The NDJSON sink sees the same error and ends the run in order.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// The last resort for an error nothing caught: Node would print its message as it is, and a
// message may quote a file name or content. Print it escaped (the stack frames below it are
// ours, line by line) and end as Node ends on an uncaught error.
process.on('uncaughtException', (error: unknown) => {
  process.stderr.write(`logstream: internal error: ${describeCrash(error)}\n`);
  process.exit(1);
});

process.exitCode = await main(process.argv.slice(2));

/** The error's message escaped as one piece, then its stack frames, each line escaped. */
function describeCrash(error: unknown): string {
  if (!(error instanceof Error)) return escapeForTerminal(String(error));
  const head = `${error.name}: ${error.message}`;
  const stack = error.stack ?? head;
  const escapeLines = (text: string) =>
    text
      .split('\n')
      .map((line) => escapeForTerminal(line))
      .join('\n');
  // A stack that does not start with the message (`Error [CODE]: …`) is escaped line by line.
  if (!stack.startsWith(head)) return escapeLines(stack);
  return escapeForTerminal(head) + escapeLines(stack.slice(head.length));
}
