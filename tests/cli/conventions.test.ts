import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TASK_NAMES } from '../../operators/records.js';
import { splitOutsideBraces } from '../../src/cli/environment.js';
import { resolveRunOptions } from '../../src/cli/run-options.js';
import {
  CLI,
  event,
  type ProcessOutput,
  REPO,
  recordsOf,
  runCli,
  spawnNode,
  tempDir,
  writeLogFile,
} from '../support/cli.js';

/** Runs `logstream <args>` whose stdout is not NDJSON (help, a version). */
function runText(args: readonly string[]): Promise<ProcessOutput> {
  const cli = spawnNode([CLI, ...args]);
  cli.child.stdin.end();
  return cli.exited;
}

const VERSION = (
  JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }
).version;

/** A source directory holding one small valid file. */
async function smallSource(): Promise<string> {
  const dir = await tempDir();
  await writeLogFile(dir, 'a.json', [
    event('api', 1_700_000_000, 200),
    event('api', 1_700_000_001, 500),
  ]);
  return dir;
}

const tasksOf = (result: { records: Record<string, unknown>[] }) =>
  [...new Set(result.records.map((record) => record.task))].sort();

describe('--version', () => {
  it.each(['--version', '-V'])(
    '%s prints the version of package.json and exits 0',
    async (flag) => {
      const result = await runText([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${VERSION}\n`);
      expect(result.stderr).toBe('');
    },
  );
});

describe('an unknown command', () => {
  it('says so with a suggestion, alone and with more arguments', async () => {
    for (const args of [['rnu'], ['rnu', 'x'], ['--once', 'rnu']]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toBe("logstream: unknown command 'rnu' (did you mean run?)\n");
    }
  });

  it('lists the commands when nothing is close, and escapes what was typed', async () => {
    const result = await runCli(['xyz']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^logstream: unknown command 'xyz' \(commands: dashboard, run, .*completion.*; or give a directory\)\n$/,
    );
    const hostile = await runCli(['bad\u001b[31mword']);
    expect(hostile.code).toBe(2);
    expect(hostile.stderr).not.toContain('\u001b');
  });

  it('is not a directory that exists, standard input, or a path', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'rnu'));
    // The dashboard opens on it (and refuses here, without a terminal).
    for (const args of [['rnu'], ['-'], ['--once', 'rnu']]) {
      const result = await runCli(args, { cwd });
      expect(result.stderr, args.join(' ')).toContain('the dashboard needs a terminal');
      expect(result.stderr).not.toContain('unknown command');
    }
    const path = await runCli(['run', './missing', '--once'], { cwd });
    expect(path.code).toBe(2);
    expect(path.stderr).not.toContain('unknown command');
    const dotted = await runCli(['./missing'], { cwd });
    expect(dotted.stderr).not.toContain('unknown command');
  });
});

describe('--task help', () => {
  it('lists the task names', async () => {
    const result = await runText(['run', '--help']);
    expect(result.code).toBe(0);
    const help = result.stdout.replace(/\s+/g, ' ');
    expect(help).toContain(`comma-separated task names to run: ${TASK_NAMES.join(', ')}`);
  });
});

describe('no source given', () => {
  it('says on stderr that the bundled sample is read when the working directory has no data/', async () => {
    const cwd = await tempDir();
    const result = await runCli(['run', '--once', '--task', 'running-average'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `logstream: no source given and no data/ here: reading the bundled sample ${join(REPO, 'data')} (give a directory, or - for standard input)\n`,
    );
    expect(result.records.length).toBeGreaterThan(0);
    const json = await runCli(
      ['run', '--once', '--task', 'running-average', '--diagnostics', 'json'],
      { cwd },
    );
    expect(JSON.parse(json.stderr)).toEqual({
      kind: 'warning',
      file: join(REPO, 'data'),
      reason: 'no source given and no data/ here: reading the bundled sample',
      count: 0,
    });
  });

  it('says nothing when data/ is in the working directory, or a source is given', async () => {
    const inRepo = await runCli(['run', '--once', '--task', 'running-average']);
    expect(inRepo.code).toBe(0);
    expect(inRepo.stderr).toBe('');
    const cwd = await tempDir();
    const given = await runCli(['run', await smallSource(), '--once'], { cwd });
    expect(given.stderr).toBe('');
  });
});

describe('logstream generate -', () => {
  it('is refused with one line, and writes nothing', async () => {
    const cwd = await tempDir();
    const result = await runCli(['generate', '-', '--files', '1'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('- is not a directory');
    expect(existsSync(join(cwd, '-'))).toBe(false);
  });
});

describe('LOGSTREAM_* environment variables', () => {
  it('give options: a duration, a task list, a boolean', async () => {
    const source = await smallSource();
    // Without --once the run would follow the source forever: LOGSTREAM_ONCE ends it.
    const result = await runCli(['run', source], {
      env: {
        LOGSTREAM_ONCE: 'yes',
        LOGSTREAM_TASK: 'sliding-window',
        LOGSTREAM_SLIDING_WINDOW: '1s',
      },
    });
    expect(result.code).toBe(0);
    expect(tasksOf(result)).toEqual(['sliding-window']);
    const [record] = recordsOf(result, 'sliding-window');
    expect(record).toMatchObject({ windowStart: 1_700_000_000, windowEnd: 1_700_000_001 });
  });

  it('lose to flags and win over the config file', async () => {
    const source = await smallSource();
    const dir = await tempDir();
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ task: 'reservoir', once: true }));
    const env = { LOGSTREAM_TASK: 'bloom' };
    const fromEnv = await runCli(['run', source, '--config', config], { env });
    expect(tasksOf(fromEnv)).toEqual(['bloom']);
    const fromFlag = await runCli(['run', source, '--config', config, '--task', 'lazy-groups'], {
      env,
    });
    expect(tasksOf(fromFlag)).toEqual(['lazy-groups']);
    // LOGSTREAM_CONFIG names the file when --config does not.
    const configFromEnv = await runCli(['run', source], { env: { LOGSTREAM_CONFIG: config } });
    expect(configFromEnv.code).toBe(0);
    expect(tasksOf(configFromEnv)).toEqual(['reservoir']);
    // A false boolean in the environment wins over the file's true, and --once over both.
    const once = await runCli(['run', source, '--once'], {
      env: { LOGSTREAM_CONFIG: config, LOGSTREAM_ONCE: '0' },
    });
    expect(once.code).toBe(0);
  });

  it('name the variable when a value is bad, with exit status 2', async () => {
    const source = await smallSource();
    const cases: [Record<string, string>, string][] = [
      [{ LOGSTREAM_SLIDING_WINDOW: 'x' }, "LOGSTREAM_SLIDING_WINDOW: 'x' is not a duration"],
      [{ LOGSTREAM_ONCE: 'maybe' }, "LOGSTREAM_ONCE: 'maybe' is not 1, true, yes, 0, false or no"],
      [{ LOGSTREAM_TASK: 'nope' }, "LOGSTREAM_TASK: unknown task 'nope'"],
      [{ LOGSTREAM_CONFIG: join(source, 'missing.json') }, 'LOGSTREAM_CONFIG '],
    ];
    for (const [env, message] of cases) {
      // Without --once: a flag would win, and the variable would not be read at all.
      const result = await runCli(['run', source], { env });
      expect(result.code, message).toBe(2);
      expect(result.stderr).toContain(`logstream: ${message}`);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('ignore unknown LOGSTREAM_* names and empty values', async () => {
    const source = await smallSource();
    const result = await runCli(['run', source, '--once'], {
      env: { LOGSTREAM_NO_SUCH_OPTION: 'x', LOGSTREAM_TASK: '', LOGSTREAM_SEED: '' },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(tasksOf(result)).toEqual([...TASK_NAMES].sort());
  });

  it('split a repeatable option on commas outside braces', () => {
    expect(splitOutsideBraces('*.{json,ndjson},app-*.log')).toEqual([
      '*.{json,ndjson}',
      'app-*.log',
    ]);
    const options = resolveRunOptions({}, () => false, {
      LOGSTREAM_INCLUDE: '*.{json,ndjson},logs/**',
      LOGSTREAM_RECURSIVE: 'TRUE',
      LOGSTREAM_TIMESTAMP_UNIT: 'ms',
      LOGSTREAM_SERVICE_FIELD: 'svc.name',
    });
    expect(options.include).toEqual(['*.{json,ndjson}', 'logs/**']);
    expect(options.recursive).toBe(true);
    expect(options.timestampUnit).toBe('ms');
    expect(options.serviceField).toEqual(['svc', 'name']);
    // The defaults when the environment gives nothing.
    expect(resolveRunOptions({}, () => false, {}).once).toBe(false);
  });
});
