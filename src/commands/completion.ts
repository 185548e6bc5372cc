import type { Command } from 'commander';
import { type CompletionShell, completionModel } from '../cli/completion-model.js';
import { completionScript } from '../cli/completion-scripts.js';

/**
 * `logstream completion bash|zsh|fish`: prints the shell's completion script on stdout,
 * written from `program` itself (commander checks the shell name before this runs).
 * `defaultCommand` is the command that runs when none is named.
 */
export function completionCommand(
  program: Command,
  shell: CompletionShell,
  defaultCommand: string,
  out: NodeJS.WritableStream = process.stdout,
): number {
  out.write(completionScript(shell, completionModel(program, defaultCommand)));
  return 0;
}
