#!/usr/bin/env node
import { main } from './cli/program.js';

// The dashboard's colours come from chalk, which honours FORCE_COLOR but not NO_COLOR
// (no-color.org): turn one into the other before the dashboard loads it.
if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';

// A reader that stops early (`logstream --help | head`) closes the pipe: nothing more to say,
// and no stack trace. The NDJSON sink sees the same error and ends the run in order.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await main(process.argv.slice(2));
