import { existsSync } from 'node:fs';
import { Argument, Command, CommanderError, Option } from 'commander';
import { DEFAULT_BLOOM_CAPACITY } from '../bloom-file.js';
import { locateDefault, packageVersion } from '../bundled.js';
import { reportProblem } from '../problems.js';
import type { ReplayOptions } from '../recording/open-replay.js';
import { escapeForTerminal } from '../terminal-text.js';
import { UsageError } from '../usage-error.js';
import { COMPLETION_SHELLS } from './completion-model.js';
import { ENV_PREFIX } from './environment.js';
import {
  CONFIG_VARIABLE,
  RUN_OPTION_SPECS,
  type RunOptionName,
  type RunOptions,
  resolveRunOptions,
} from './run-options.js';
import { suggestSimilar } from './suggest.js';
import { nonNegativeDuration, positiveNumber } from './values.js';

/** Exit status of a bad value, an unknown option or a missing source. */
export const USAGE_EXIT = 2;

const DEFAULT_SOURCE = 'data';

/** The command that runs when none is named: `logstream somedir` opens the dashboard. */
const DEFAULT_COMMAND = 'dashboard';

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
  const unknown = unknownCommand(argv);
  if (unknown !== undefined) {
    printError(unknown, (text) => process.stderr.write(text));
    return USAGE_EXIT;
  }
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

/**
 * `logstream rnu` as commander sees it: the default command's source, a directory that does
 * not exist (or, with another word, too many arguments). Says it is an unknown command
 * instead, when the default command's first operand is a word that could be a command name
 * (not `-`, not a path that exists, no `/` or `.` in it: those are paths and get the
 * source's own message). Undefined when the command line names a command or a source.
 */
function unknownCommand(argv: readonly string[]): string | undefined {
  const probe = buildProgram();
  const names = probe
    .createHelp()
    .visibleCommands(probe)
    .flatMap((command) => [command.name(), ...command.aliases()]);
  if (argv[0] !== undefined && names.includes(argv[0])) return undefined;
  const dashboard = probe.commands.find((command) => command.name() === DEFAULT_COMMAND);
  if (dashboard === undefined) return undefined;
  // Parsed as the default command parses them, so option values are not taken for operands;
  // quietly: the real parse reports a bad option.
  dashboard.configureOutput({ outputError: () => {}, writeErr: () => {}, writeOut: () => {} });
  const beforeLiteral = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  let operand: string | undefined;
  try {
    operand = dashboard.parseOptions([...beforeLiteral]).operands[0];
  } catch {
    return undefined;
  }
  if (operand === undefined || !/^[A-Za-z][\w-]*$/.test(operand) || existsSync(operand)) {
    return undefined;
  }
  const similar = suggestSimilar(operand, names);
  const hint =
    similar.length === 0
      ? `commands: ${names.join(', ')}; or give a directory`
      : `did you mean ${similar.length === 1 ? '' : 'one of '}${similar.join(', ')}?`;
  return `unknown command '${operand}' (${hint})`;
}

function buildProgram(): Command {
  const program = new Command('logstream')
    .description(
      'Live statistics over the logs of many microservices: six streaming techniques over a growing directory of JSON logs.',
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
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
    .command('completion')
    .description('print a completion script for bash, zsh or fish on stdout')
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS))
    .addHelpText('after', COMPLETION_HELP)
    .action(async (shell: (typeof COMPLETION_SHELLS)[number]) => {
      const { completionCommand } = await import('../commands/completion.js');
      process.exitCode = completionCommand(program, shell, DEFAULT_COMMAND);
    });

  program
    .command('merge')
    .description('merge saved task states (run --save-state) and print their records')
    .argument('<state...>', 'state files written by --save-state')
    .action(async (paths: string[]) => {
      const { mergeCommand } = await import('../commands/merge.js');
      process.exitCode = await mergeCommand(paths);
    });

  withRunOptions(
    program
      .command('publish')
      .description(
        "send a source's events to NATS JetStream, for the workers of `run --nats --group`",
      )
      .argument('[source]', 'a directory of log files, or - for standard input (default: data/)'),
  ).action(async (source: string | undefined, _flags, command: Command) => {
    const options = runOptionsOf(command);
    const { publishCommand } = await import('../commands/publish.js');
    process.exitCode = await publishCommand(source ?? defaultSource(options), options);
  });

  withRunOptions(
    program
      .command('record')
      .description('record every source batch, with its arrival time, for `logstream replay`')
      .argument('<source>', 'a directory of log files, or - for standard input')
      .requiredOption('-o, --output <file>', 'the recording to write (replaced if it exists)'),
    RECORD_OPTIONS,
  ).action(async (source: string, flags: { output: string }, command: Command) => {
    const { recordCommand } = await import('../commands/record.js');
    process.exitCode = await recordCommand(source, flags.output, runOptionsOf(command));
  });

  withRunOptions(
    program
      .command('replay')
      .description(
        'replay a recording in virtual time: the records of the recorded run, at any speed',
      )
      .argument('<file>', 'a recording written by `logstream record` or --record')
      .option('--speed <x>', 'times the recorded pace', '1')
      .option('--max', 'as fast as the machine allows')
      .option('--from <time>', 'start this far into the recording (a duration)')
      .option('--to <time>', 'stop this far into the recording (a duration)')
      .option(
        '--dashboard',
        'show the replay in the dashboard (p pauses, n steps, +/- speed, g jumps)',
      )
      .option(
        '--spec <out.test.ts>',
        'write a vitest regression spec of the slice (and the slice beside it), instead of replaying',
      ),
  ).action(async (file: string, flags: Record<string, unknown>, command: Command) => {
    const replay = replayOptionsOf(flags);
    const options = runOptionsOf(command);
    if (replay.dashboard) liveOnTerminal();
    const { replayCommand } = await import('../commands/replay.js');
    process.exitCode = await replayCommand(file, replay, options);
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
    () =>
      `\nOptions of dashboard and run (see \`logstream run --help\`):\n${runOptionsHelp()}\n\n${ENVIRONMENT_HELP}`,
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
      .command(name, { isDefault: name === DEFAULT_COMMAND })
      .description(description)
      .argument('[source]', 'a directory of log files, or - for standard input (default: data/)'),
  )
    .addHelpText('after', `\n${ENVIRONMENT_HELP}`)
    .action(async (source: string | undefined, _flags, command: Command) => {
      const options = runOptionsOf(command);
      if (options.nats !== undefined) {
        const scaleOut = await import('../commands/scale-out.js');
        if (name === 'run') {
          process.exitCode = await scaleOut.scaleOutRunCommand(source, options);
        } else {
          liveOnTerminal();
          process.exitCode = await scaleOut.mergedDashboardCommand(source, options);
        }
        return;
      }
      process.exitCode = await execute(source ?? defaultSource(options), options);
    });
}

/**
 * data/ of the working directory, or else the bundled sample, said on stderr: a forgotten
 * path must not pass for statistics of the user's own logs.
 */
function defaultSource(options: RunOptions): string {
  const { path, bundled } = locateDefault(DEFAULT_SOURCE);
  if (bundled === undefined) return path;
  const reason = `no source given and no ${DEFAULT_SOURCE}/ here: reading the bundled sample`;
  if (options.diagnostics === 'json') {
    reportProblem({ kind: 'warning', file: bundled, reason, count: 0 }, process.stderr, 'json');
  } else {
    process.stderr.write(
      `logstream: ${reason} ${escapeForTerminal(bundled, MESSAGE_LIMIT)} (give a directory, or - for standard input)\n`,
    );
  }
  return path;
}

const ENVIRONMENT_HELP = `Environment: each option of dashboard and run can also come from a variable,
${ENV_PREFIX} and the option's name in capitals with underscores
(${ENV_PREFIX}SLIDING_WINDOW=30s, ${ENV_PREFIX}TASK=bloom, ${ENV_PREFIX}ONCE=1), and
--config from ${CONFIG_VARIABLE}. Flags win over variables, variables over the
config file. Booleans: 1, true, yes or 0, false, no. --include and --exclude:
several globs separated by commas (not those inside {braces}). An empty
variable counts as unset; other ${ENV_PREFIX}* variables are ignored.`;

const COMPLETION_HELP = `
Install: write the script where your shell reads completions, or source it:
  bash:  logstream completion bash > ~/.local/share/bash-completion/completions/logstream
  zsh:   echo 'source <(logstream completion zsh)' >> ~/.zshrc   (after compinit)
  fish:  logstream completion fish > ~/.config/fish/completions/logstream.fish`;

/** What `record` reads as `run` does: which files, where the fields are, the diagnostics. */
const RECORD_OPTIONS: readonly RunOptionName[] = [
  'once',
  'recursive',
  'include',
  'exclude',
  'serviceField',
  'timestampField',
  'messageField',
  'timestampUnit',
  'strict',
  'diagnostics',
];

/** Adds the options of `run` (or only those `names`) to `command`. */
function withRunOptions(command: Command, names?: readonly RunOptionName[]): Command {
  command.option('--config <file>', CONFIG_DESCRIPTION);
  for (const [name, spec] of Object.entries(RUN_OPTION_SPECS)) {
    if (names !== undefined && !names.includes(name as RunOptionName)) continue;
    if ('repeatable' in spec && spec.repeatable) {
      command.option(spec.flag, describe(spec), collect);
    } else {
      command.option(spec.flag, describe(spec));
    }
  }
  return command;
}

/** Commander's way to keep every value of a repeated option. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
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

/** `replay`'s own options, checked: `--max` or a speed, and the slice. */
function replayOptionsOf(flags: Record<string, unknown>): ReplayOptions {
  const given = (name: string, parse: (value: unknown) => number) => {
    try {
      return flags[name] === undefined ? undefined : parse(flags[name]);
    } catch (error) {
      throw new UsageError(`--${name}: ${(error as Error).message}`);
    }
  };
  const speed = given('speed', positiveNumber) ?? 1;
  return {
    speed: flags.max === true ? 'max' : speed,
    from: given('from', nonNegativeDuration),
    to: given('to', nonNegativeDuration),
    dashboard: flags.dashboard === true,
    spec: typeof flags.spec === 'string' ? flags.spec : undefined,
  };
}

function runOptionsOf(command: Command): RunOptions {
  return resolveRunOptions(command.opts(), (name) => command.getOptionValueSource(name) === 'cli');
}
