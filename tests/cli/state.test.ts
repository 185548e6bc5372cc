import { copyFile, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, REPO, recordsOf, runCli, tempDir } from '../support/cli.js';

/** The bundled sample's log files, in the order the source reads them. */
async function sampleFiles(): Promise<string[]> {
  return (await readdir(join(REPO, 'data'))).filter((name) => name.endsWith('.json')).sort();
}

/** Copies sample files into a new directory, with modification times that keep their order. */
async function directoryOf(names: readonly string[], order: readonly string[]): Promise<string> {
  const dir = await tempDir();
  for (const name of names) {
    await copyFile(join(REPO, 'data', name), join(dir, name));
    const time = 1_600_000_000 + order.indexOf(name);
    await utimes(join(dir, name), time, time);
  }
  return dir;
}

/** A record without the fields that name where it was emitted. */
function withoutPlace({ batch: _batch, file: _file, ...fields }: Record<string, unknown>) {
  return fields;
}

function last(result: CliResult, task: string): Record<string, unknown> {
  return recordsOf(result, task).at(-1)!;
}

describe('--save-state and logstream merge', () => {
  it('the merge of two halves of data/ gives the records of one run over all of it', async () => {
    const files = await sampleFiles();
    const whole = await directoryOf(files, files);
    const first = await directoryOf(files.slice(0, 4), files);
    const second = await directoryOf(files.slice(4), files);
    const states = await tempDir();
    const seed = ['--seed', '11'];

    const all = await runCli(['run', whole, '--once', ...seed]);
    expect(all.code).toBe(0);
    for (const [dir, name] of [
      [first, 'a.state'],
      [second, 'b.state'],
    ] as const) {
      const part = await runCli([
        'run',
        dir,
        '--once',
        ...seed,
        '--save-state',
        join(states, name),
      ]);
      expect(part.code, part.stderr).toBe(0);
    }
    const merged = await runCli(['merge', join(states, 'a.state'), join(states, 'b.state')]);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);

    // Tasks 1, 4 and 5: exactly the same records, every field but where they were emitted.
    for (const task of ['running-average', 'bloom', 'lazy-groups']) {
      expect(recordsOf(merged, task).map(withoutPlace)).toEqual([withoutPlace(last(all, task))]);
    }
    // batch adds the states' batch counts; file is null.
    for (const record of merged.records) {
      expect(record.batch).toBe(files.length);
      expect(record.file).toBeNull();
    }
    // Task 3: `seen` adds up exactly, and the merged sample is full.
    expect(recordsOf(merged, 'reservoir')).toHaveLength(1);
    expect(last(merged, 'reservoir').seen).toBe(last(all, 'reservoir').seen);
    expect(last(merged, 'reservoir').size).toBe(last(all, 'reservoir').size);
    // Task 6: the merged state's open windows, as the end of input emits them.
    expect(recordsOf(merged, 'keyed-windows').length).toBeGreaterThan(0);
  });

  it('refuses states saved with other task options: one line, exit 2', async () => {
    const dir = await directoryOf((await sampleFiles()).slice(0, 1), await sampleFiles());
    const states = await tempDir();
    const thirty = join(states, 'thirty.state');
    const sixty = join(states, 'sixty.state');
    const task = ['--task', 'sliding-window'];
    await runCli([
      'run',
      dir,
      '--once',
      ...task,
      '--sliding-window',
      '30s',
      '--save-state',
      thirty,
    ]);
    await runCli(['run', dir, '--once', ...task, '--sliding-window', '60s', '--save-state', sixty]);
    const result = await runCli(['merge', thirty, sixty]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/windowSeconds: 30 and 60/);
    expect(result.stderr).toContain('sixty.state');
  });

  it('refuses a truncated, corrupt or foreign state file with one line naming it, exit 2', async () => {
    const dir = await directoryOf((await sampleFiles()).slice(0, 1), await sampleFiles());
    const states = await tempDir();
    const good = join(states, 'good.state');
    await runCli(['run', dir, '--once', '--save-state', good]);
    const text = await readFile(good, 'utf8');
    const saved = JSON.parse(text);
    const cases: [string, string, RegExp][] = [
      ['truncated.state', text.slice(0, text.length / 2), /truncated or corrupt/],
      ['empty.state', '', /truncated or corrupt/],
      ['foreign.state', '{"hello": 1}', /not a logstream state file/],
      ['future.state', JSON.stringify({ ...saved, version: 99 }), /format version 99/],
      [
        'future-task.state',
        JSON.stringify({
          ...saved,
          states: saved.states.map((s: object) => ({ ...s, version: 99 })),
        }),
        /format version 99/,
      ],
      [
        'corrupt-field.state',
        JSON.stringify({
          ...saved,
          states: saved.states.map((s: { state: object }) => ({ ...s, state: { nonsense: true } })),
        }),
        /running-average state/,
      ],
    ];
    for (const [name, content, reason] of cases) {
      const path = join(states, name);
      await writeFile(path, content);
      const result = await runCli(['merge', good, path]);
      expect(result.code, name).toBe(2);
      expect(result.stdout, name).toBe('');
      expect(result.stderr.trimEnd().split('\n'), name).toHaveLength(1);
      expect(result.stderr, name).toContain(name);
      expect(result.stderr, name).toMatch(reason);
      expect(result.stderr, name).not.toMatch(/at .*\.js:\d+/);
    }
    const missing = await runCli(['merge', join(states, 'nowhere.state')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nowhere\.state: no such file/);
  });

  it('saves the state on SIGTERM too, after the last batch', async () => {
    const dir = await directoryOf((await sampleFiles()).slice(0, 2), await sampleFiles());
    const states = await tempDir();
    const path = join(states, 'followed.state');
    const { spawnNode, CLI } = await import('../support/cli.js');
    const cli = spawnNode([CLI, 'run', dir, '--task', 'running-average', '--save-state', path]);
    // Two batches, one per file, then the source waits for more.
    for (let i = 0; i < 100 && (cli.stdout().match(/\n/g)?.length ?? 0) < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    const merged = await runCli(['merge', path]);
    expect(merged.code).toBe(0);
    expect(merged.records).toEqual([
      expect.objectContaining({ task: 'running-average', batch: 2, file: null }),
    ]);
    const printed = (await cli.exited).stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(withoutPlace(last(merged, 'running-average'))).toEqual(withoutPlace(printed.at(-1)));
  });
});
