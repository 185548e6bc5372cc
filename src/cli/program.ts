import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_BLOOM_CAPACITY } from '../bloom-file.js';
import { defaultPath } from '../bundled.js';
import { escapeForTerminal } from '../terminal-text.js';
import { UsageError } from '../usage-error.js';
import { RUN_OPTION_SPECS, type RunOptions, resolveRunOptions } from './run-options.js';

/** Exit status of a bad value, an unknown option or a missing source. */
export const USAGE_EXIT = 2;

const DEFAULT_SOURCE = 'data';

/**
 * Most characters of one error line after `logstream: `, escapes included: messages echo
 * option values and paths, which can be any length.
 */
const MESSAGE_LIMIT = 640;

/**
 * Runs the command line and resolves with the exit status. Usage errors print one line on
 * stderr naming the problem and give {@link USAGE_EXIT}; any other error prints one line and
 * gives 1. Every module's messages are printed here, escaped (see {@link printError}).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : USAGE_EXIT;
    }
    // A thrown value need not be an Error, and escaping needs a string.
    const message = error instanceof Error ? error.message : String(error);
    printError(message, (text) => process.stderr.write(text));
    return error instanceof UsageError ? USAGE_EXIT : 1;
  }
}

/**
 * Writes `logstream: <message>` as one line. Messages quote what came from outside (option
 * values, paths, file content), so the message is escaped and bounded (see
 * {@link escapeForTerminal}): no control character or escape sequence in it reaches the
 * terminal, whichever module wrote it.
 */
function printError(message: string, write: (text: string) => void): void {
  write(`logstream: ${escapeForTerminal(message, MESSAGE_LIMIT)}\n`);
}

/**
 * Commander's error text as one message: without its `error: ` prefix and with the
 * suggestion it puts on a line of its own (`\n(Did you mean --seed?)`) on the same line.
 */
function commanderMessage(text: string): string {
  return text
    .replace(/^error: /, '')
    .trimEnd()
    .replace(/\n\(Did you mean /g, ' (did you mean ');
}

function buildProgram(): Command {
  const program = new Command('logstream')
    .description(
      'Live statistics over the logs of many microservices: six streaming techniques over a growing directory of JSON logs.',
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Commander's errors echo what was typed (an unknown option, a stray argument).
      outputError: (text, write) => printError(commanderMessage(text), write),
    });

  addSourceCommand(
    program,
    'dashboard',
    'the interactive dashboard of all six tasks',
    async (source, options) => {
      liveOnTerminal();
      const { dashboardCommand } = await import('../commands/dashboard.js');
      return dashboardCommand(source, options);
    },
  );
  addSourceCommand(
    program,
    'run',
    'the six tasks as NDJSON records on stdout',
    async (source, options) => {
      const { runCommand } = await import('../commands/run.js');
      return runCommand(source, options);
    },
  );

  withRunOptions(
    program
      .command('demo')
      .description('the dashboard on data/ plus live generated traffic (npm start)'),
  ).action(async (_flags, command: Command) => {
    liveOnTerminal();
    const { demoCommand } = await import('../commands/demo.js');
    process.exitCode = await demoCommand(runOptionsOf(command));
  });

  program
    .command('generate')
    .description('write synthetic log files, like the seed generator')
    .argument('<dir>', 'directory to write into (created if missing)')
    .option('--files <n>', 'files to write', '10')
    .option('--events <n>', 'events per file', '1000')
    .option('--delay <dur>', 'pause between files', '0')
    .option('--seed <n>', 'seed: same seed, same files')
    .addOption(
      new Option('--format <format>', 'file format').choices(['json', 'ndjson']).default('json'),
    )
    .option('--bursts <p>', 'chance that a file holds an error burst in one service', '0')
    .option('--start <time>', 'timestamp of the first event (epoch seconds or ISO-8601)')
    .action(async (dir: string, flags: Record<string, unknown>) => {
      const { generateCommand } = await import('../commands/generate.js');
      process.exitCode = await generateCommand(dir, flags);
    });

  program
    .command('merge')
    .description('merge saved task states (run --save-state) and print their records')
    .argument('<state...>', 'state files written by --save-state')
    .action(async (paths: string[]) => {
      const { mergeCommand } = await import('../commands/merge.js');
      process.exitCode = await mergeCommand(paths);
    });

  const bloom = program.command('bloom').description('Bloom filter files for Task 4');
  bloom
    .command('build')
    .description('build a Bloom filter file from a list of messages, one per line')
    .argument('<patterns>', 'the messages of interest, one per line')
    .requiredOption('-o, --output <file>', 'where to write the filter')
    .option('--bloom-bits <n>', 'filter size in bits (default: optimal for the capacity)')
    .option('--bloom-hashes <n>', 'hash functions (default: optimal for the bits and capacity)')
    .option(
      '--bloom-capacity <n>',
      'messages the filter is sized for (at least the pattern count)',
      String(DEFAULT_BLOOM_CAPACITY),
    )
    .option('--bloom-fp-rate <p>', 'target false-positive rate', '0.01')
    .action(async (patterns: string, flags: Record<string, unknown>) => {
      const { bloomBuildCommand } = await import('../commands/bloom-build.js');
      process.exitCode = await bloomBuildCommand(patterns, flags);
    });

  program.addHelpText(
    'after',
    () => `\nOptions of dashboard and run (see \`logstream run --help\`):\n${runOptionsHelp()}`,
  );

  for (const command of [program, ...program.commands, ...bloom.commands]) {
    command
      .exitOverride()
      .configureOutput(program.configureOutput())
      .showSuggestionAfterError(true);
  }
  return program;
}

/**
 * Ink draws only the final frame when CI or CONTINUOUS_INTEGRATION is set (it reads them once,
 * when loaded), even on a real terminal. The dashboard is interactive and refuses to run
 * without a terminal, so on one it is drawn live, whatever the environment says.
 */
function liveOnTerminal(): void {
  if (!process.stdout.isTTY) return;
  for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) {
    if (name in process.env) process.env[name] = '0';
  }
}

/**
 * A command that reads a source with the options of `run` (`dashboard`, the default, and
 * `run`); each command's module is loaded only when it runs, so `run` never loads Ink.
 */
function addSourceCommand(
  program: Command,
  name: 'dashboard' | 'run',
  description: string,
  execute: (source: string, options: RunOptions) => Promise<number>,
): void {
  withRunOptions(
    program
      .command(name, { isDefault: name === 'dashboard' })
      .description(description)
      .argument('[source]', 'a directory of log files, or - for standard input (default: data/)'),
  ).action(async (source: string | undefined, _flags, command: Command) => {
    process.exitCode = await execute(source ?? defaultPath(DEFAULT_SOURCE), runOptionsOf(command));
  });
}

function withRunOptions(command: Command): Command {
  command.option('--config <file>', CONFIG_DESCRIPTION);
  for (const spec of Object.values(RUN_OPTION_SPECS)) command.option(spec.flag, describe(spec));
  return command;
}

const CONFIG_DESCRIPTION = 'JSON file with any option below, keys in camelCase; flags win';

function describe(spec: { description: string; shownDefault?: string }): string {
  return spec.shownDefault === undefined
    ? spec.description
    : `${spec.description} (default: ${spec.shownDefault})`;
}

function runOptionsHelp(): string {
  const rows: [string, string][] = [
    ['--config <file>', CONFIG_DESCRIPTION],
    ...Object.values(RUN_OPTION_SPECS).map((spec): [string, string] => [spec.flag, describe(spec)]),
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
}

function runOptionsOf(command: Command): RunOptions {
  return resolveRunOptions(command.opts(), (name) => command.getOptionValueSource(name) === 'cli');
}
