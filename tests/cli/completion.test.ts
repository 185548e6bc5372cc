import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TASK_NAMES } from '../../operators/records.js';
import { RUN_OPTION_SPECS } from '../../src/cli/run-options.js';
import { CLI, type ProcessOutput, spawnNode, tempDir } from '../support/cli.js';

/** Runs `logstream <args>` and gathers its output (not NDJSON). */
function runText(args: readonly string[]): Promise<ProcessOutput> {
  const cli = spawnNode([CLI, ...args]);
  cli.child.stdin.end();
  return cli.exited;
}

/** Whether `shell` can be run here (zsh and fish are not installed everywhere). */
function hasShell(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0'], { stdio: 'ignore' }).status === 0;
}

/** The script of `shell`, written to a temporary file. */
async function scriptFile(shell: string): Promise<{ dir: string; file: string }> {
  const result = await runText(['completion', shell]);
  expect(result.code).toBe(0);
  expect(result.stderr).toBe('');
  const dir = await tempDir();
  const file = join(dir, `logstream.${shell}`);
  await writeFile(file, result.stdout);
  return { dir, file };
}

/** A directory for the completion of paths: two subdirectories and a file. */
async function workDir(dir: string): Promise<string> {
  const cwd = join(dir, 'work');
  await mkdir(join(cwd, 'logs-a'), { recursive: true });
  await mkdir(join(cwd, 'logs-b'));
  await writeFile(join(cwd, 'patterns.txt'), 'x\n');
  return cwd;
}

describe('logstream completion bash', () => {
  /** What bash's completion function offers for `words`, the last being the cursor's. */
  async function complete(words: readonly string[]): Promise<string[]> {
    const { dir, file } = await scriptFile('bash');
    const cwd = await workDir(dir);
    const script = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _logstream_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = spawnSync('bash', ['-c', script, 'bash', file, 'logstream', ...words], {
      cwd,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    return result.stdout.split('\n').filter((line) => line !== '');
  }

  it('is valid bash', async () => {
    const { file } = await scriptFile('bash');
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).status).toBe(0);
  });

  it('offers the commands, the options of each command, and the task names', async () => {
    expect(await complete(['r'])).toEqual(['run', 'record', 'replay']);
    expect(await complete(['replay', '--sp'])).toEqual(['--speed', '--spec']);
    // record takes only the options that say what is read.
    expect(await complete(['record', '--t'])).toEqual(['--timestamp-field', '--timestamp-unit']);
    expect(await complete(['b'])).toEqual(['bloom']);
    expect(await complete(['bloom', ''])).toEqual(['build', 'help']);
    expect(await complete(['run', '--task', ''])).toEqual([...TASK_NAMES]);
    expect(await complete(['run', '--task', 'bloom,r'])).toEqual([
      'bloom,running-average',
      'bloom,reservoir',
    ]);
    // Every option of run, from the same table as --help.
    const options = await complete(['run', '--']);
    for (const spec of Object.values(RUN_OPTION_SPECS)) {
      expect(options).toContain(spec.flag.split(' ')[0]);
    }
    expect(options).toContain('--config');
    expect(await complete(['completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('offers the choices of an option, after a space or an =', async () => {
    expect(await complete(['run', '--clock', ''])).toEqual(['event', 'processing']);
    expect(await complete(['run', '--clock', '=', ''])).toEqual(['event', 'processing']);
    expect(await complete(['run', '--diagnostics', 'j'])).toEqual(['json']);
    expect(await complete(['--timestamp-unit', ''])).toEqual(['s', 'ms']);
    expect(await complete(['generate', '--format', ''])).toEqual(['json', 'ndjson']);
  });

  it('completes directories for a source and files for a file option', async () => {
    // In the order the directory lists them.
    const sorted = async (words: string[]) => (await complete(words)).sort();
    expect(await sorted(['run', 'logs'])).toEqual(['logs-a', 'logs-b']);
    // At the top, a source of the default command, beside the commands.
    expect(await sorted(['logs'])).toEqual(['logs-a', 'logs-b']);
    expect(await complete(['run', '--bloom-patterns', 'pat'])).toEqual(['patterns.txt']);
    expect(await sorted(['run', '--checkpoint', 'logs-'])).toEqual(['logs-a', 'logs-b']);
    // A value that is not a command: the words after it are not taken for a command path.
    expect(await complete(['run', '--task', 'bloom', '--o'])).toEqual(['--once']);
  });
});

describe('logstream completion with an unknown shell', () => {
  it('says so in one line, exit status 2', async () => {
    const result = await runText(['completion', 'tcsh']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("'tcsh'");
    expect(result.stderr).toContain('bash, zsh, fish');
  });
});

describe('logstream completion zsh', () => {
  it.skipIf(!hasShell('zsh'))(
    'is valid zsh (zsh -n; skipped where zsh is not installed)',
    async () => {
      const { file } = await scriptFile('zsh');
      expect(spawnSync('zsh', ['-n', file], { encoding: 'utf8' }).status).toBe(0);
    },
  );

  // Without a terminal the completion system cannot run: its builtins are replaced by
  // functions that print what they were given, and the script's own walk is what is tested.
  it.skipIf(!hasShell('zsh'))(
    'offers commands, task names and choices (skipped without zsh)',
    async () => {
      const { dir, file } = await scriptFile('zsh');
      const stubs = `
compdef() { : }
_describe() { print -rl -- "\${(@)\${(P)\${@[-1]}}%%:*}" }
compadd() { if [[ $1 == -a ]]; then print -rl -- "\${(@P)2}"; else shift; print -rl -- "$@"; fi }
_sequence() { shift 2; print -rl -- "sequence" "$@" }
_files() { print -r -- "files $*" }
compset() { : }
_message() { : }
source "$1"; shift
words=("$@"); CURRENT=$#; _logstream`;
      const complete = (words: string[]) => {
        const result = spawnSync('zsh', ['-f', '-c', stubs, 'zsh', file, 'logstream', ...words], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(result.stderr).toBe('');
        return result.stdout.split('\n').filter((line) => line !== '');
      };
      expect(complete(['r'])).toContain('run');
      expect(complete(['run', '--task', ''])).toEqual(['sequence', ...TASK_NAMES]);
      expect(complete(['run', '--clock', ''])).toEqual(['event', 'processing']);
      expect(complete(['run', '--clock=e'])).toEqual(['event', 'processing']);
      expect(complete(['run', ''])).toEqual(['files -/']);
      expect(complete(['run', '--forward', ''])).toEqual(['files ']);
    },
  );
});

describe('logstream completion fish', () => {
  it.skipIf(!hasShell('fish'))(
    'is valid fish (fish --no-execute; skipped where fish is not installed)',
    async () => {
      const { file } = await scriptFile('fish');
      expect(spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' }).status).toBe(0);
    },
  );

  it.skipIf(!hasShell('fish'))(
    'offers commands, task names and choices (skipped without fish)',
    async () => {
      const { dir, file } = await scriptFile('fish');
      const cwd = await workDir(dir);
      const complete = (line: string) => {
        const result = spawnSync(
          'fish',
          ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line],
          { cwd, encoding: 'utf8' },
        );
        expect(result.stderr).toBe('');
        return result.stdout
          .split('\n')
          .filter((text) => text !== '')
          .map((text) => text.split('\t')[0]);
      };
      expect(complete('logstream r')).toEqual(['run']);
      expect(complete('logstream run --task ')).toEqual([...TASK_NAMES].sort());
      expect(complete('logstream run --task bloom,r')).toEqual([
        'bloom,reservoir',
        'bloom,running-average',
      ]);
      expect(complete('logstream run --clock ')).toEqual(['event', 'processing']);
      expect(complete('logstream run logs').sort()).toEqual(['logs-a/', 'logs-b/']);
    },
  );
});
