import type { Argument, Command, Option } from 'commander';
import { RUN_OPTION_SPECS } from './run-options.js';
import { choicesOf } from './values.js';

/** The shells `logstream completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** How the word after an option, or a command's operand, completes. */
export type ValueCompletion =
  /** A flag: no value follows. */
  | { readonly kind: 'none' }
  /** A value nothing can guess (a number, a duration). */
  | { readonly kind: 'any' }
  | { readonly kind: 'file' }
  | { readonly kind: 'directory' }
  /** One of `values`, or with `list` several, comma-separated. */
  | { readonly kind: 'choices'; readonly values: readonly string[]; readonly list: boolean };

export interface CompletionOption {
  /** `--sliding-window`; every option of logstream has a long name except none. */
  readonly long?: string;
  /** `-V`. */
  readonly short?: string;
  readonly description: string;
  readonly value: ValueCompletion;
}

export interface CompletionCommand {
  readonly name: string;
  readonly description: string;
  /** The words that name it, the program's name first: `['logstream', 'bloom', 'build']`. */
  readonly path: readonly string[];
  readonly options: readonly CompletionOption[];
  readonly commands: readonly CompletionCommand[];
  /** The first operand, for commands that take one. */
  readonly operand?: ValueCompletion;
  /** The subcommand that runs when none is named (the program's `dashboard`). */
  readonly defaultCommand?: string;
}

/**
 * What a shell needs to complete the command line, read from the commander program itself
 * (its commands, options, arguments and their choices, what `--help` shows), so completion
 * cannot drift from the program. `defaultCommand` is the command that runs when none is
 * named: its options and operand are completed at the top level too.
 */
export function completionModel(program: Command, defaultCommand?: string): CompletionCommand {
  const top = commandModel(program, [program.name()]);
  const fallback = top.commands.find((command) => command.name === defaultCommand);
  if (fallback === undefined) return top;
  const longs = new Set(top.options.map((option) => option.long));
  return {
    ...top,
    options: [...top.options, ...fallback.options.filter((option) => !longs.has(option.long))],
    operand: fallback.operand,
    defaultCommand: fallback.name,
  };
}

function commandModel(
  command: Command,
  path: readonly string[],
  parent?: Command,
): CompletionCommand {
  const help = command.createHelp();
  const argument = command.registeredArguments[0];
  // commander's own `help [command]`: its operand is one of its siblings.
  const isHelpCommand = parent !== undefined && command.name() === 'help';
  return {
    name: command.name(),
    description: command.summary() || command.description(),
    path,
    options: help.visibleOptions(command).map(optionModel),
    commands: help
      .visibleCommands(command)
      .map((subcommand) => commandModel(subcommand, [...path, subcommand.name()], command)),
    ...(isHelpCommand && { operand: siblings(parent) }),
    ...(!isHelpCommand && argument !== undefined && { operand: operandModel(argument) }),
  };
}

/** What `help` can tell about: the other commands of `parent`. */
function siblings(parent: Command): ValueCompletion {
  const values = parent
    .createHelp()
    .visibleCommands(parent)
    .map((command) => command.name())
    .filter((name) => name !== 'help');
  return { kind: 'choices', values, list: false };
}

/** The choices the run options' parsers name (`--clock`, `--task`), by long flag. */
const SPEC_CHOICES = new Map(
  Object.values(RUN_OPTION_SPECS).flatMap((spec) => {
    const choices = choicesOf(spec.parse);
    return choices === undefined ? [] : [[spec.flag.split(' ')[0], choices] as const];
  }),
);

function optionModel(option: Option): CompletionOption {
  return {
    ...(option.long !== undefined && { long: option.long }),
    ...(option.short !== undefined && { short: option.short }),
    description: option.description,
    value: optionValue(option),
  };
}

function optionValue(option: Option): ValueCompletion {
  if (!option.required && !option.optional) return { kind: 'none' };
  if (option.argChoices !== undefined) {
    return { kind: 'choices', values: option.argChoices, list: false };
  }
  const choices = option.long === undefined ? undefined : SPEC_CHOICES.get(option.long);
  if (choices !== undefined) return { kind: 'choices', values: choices.values, list: choices.list };
  // The placeholder says what the value is: `--forward <file>`, `--checkpoint <dir>`, or a
  // file name it shows (`--spec <out.test.ts>`).
  if (/<file>|\[file\]|<[\w-]+\.[\w.]+>/.test(option.flags)) return { kind: 'file' };
  if (/<dir>|\[dir\]/.test(option.flags)) return { kind: 'directory' };
  return { kind: 'any' };
}

function operandModel(argument: Argument): ValueCompletion {
  if (argument.argChoices !== undefined) {
    return { kind: 'choices', values: argument.argChoices, list: false };
  }
  // `<dir>` of generate, `[source]` "a directory of log files": directories; others files.
  const isDirectory = argument.name() === 'dir' || /\bdirectory\b/.test(argument.description);
  return { kind: isDirectory ? 'directory' : 'file' };
}
