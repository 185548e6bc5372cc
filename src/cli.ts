#!/usr/bin/env node
import { main } from './cli/program.js';

// The dashboard's colours come from chalk, which honours FORCE_COLOR but not NO_COLOR
// (no-color.org): turn one into the other before the dashboard loads it.
if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';

process.exitCode = await main(process.argv.slice(2));
