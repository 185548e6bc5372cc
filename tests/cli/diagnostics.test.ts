import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { event, REPO, runCli, tempDir, writeLogFile } from '../support/cli.js';

const BROKEN = join(REPO, 'tests/fixtures/broken');
const DATA = join(REPO, 'data');

/** Every stderr line of `--diagnostics json`, parsed: each must be one JSON object. */
function diagnosticsOf(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('--strict', () => {
  it('exits 1 over the broken corpus, after every record, and 0 without --strict', async () => {
    const strict = await runCli(['run', BROKEN, '--once', '--strict']);
    const lenient = await runCli(['run', BROKEN, '--once']);
    expect(strict.code).toBe(1);
    expect(lenient.code).toBe(0);
    // Nothing is lost for the failure: the same records and the same diagnostics.
    expect(strict.stdout).not.toBe('');
    expect(strict.records.map(({ task, batch }) => `${task}@${batch}`)).toEqual(
      lenient.records.map(({ task, batch }) => `${task}@${batch}`),
    );
    expect(strict.stderr).toBe(lenient.stderr);
  });

  it('exits 0 over data/, whose files are all valid', async () => {
    const result = await runCli(['run', DATA, '--once', '--strict']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('counts invalid events on standard input, and not notices that lose nothing', async () => {
    const valid = JSON.stringify(event('a', 1_700_000_000, 200));
    const withInvalid = await runCli(['run', '-', '--strict'], {
      input: `${valid}\n{"service":"a"}\n`,
    });
    expect(withInvalid.code).toBe(1);
    // Invalid UTF-8 is read with U+FFFD and said once: a warning, nothing invalid.
    const dir = await tempDir();
    const badUtf8 = Buffer.concat([
      Buffer.from(`${valid}\n{"service":"a","timestamp":1700000000,"message":"200 `),
      Buffer.from([0xff]),
      Buffer.from('"}\n'),
    ]);
    await writeLogFile(dir, 'bad-utf8.ndjson', badUtf8);
    const warned = await runCli(['run', dir, '--once', '--strict']);
    expect(warned.stderr).toContain('UTF-8');
    expect(warned.code).toBe(0);
  });

  it('comes from a config file and a flag alike', async () => {
    const dir = await tempDir();
    const config = join(dir, 'config.json');
    await writeLogFile(dir, 'config.json', { strict: true });
    const result = await runCli(['run', BROKEN, '--once', '--config', config]);
    expect(result.code).toBe(1);
  });
});

describe('--diagnostics json', () => {
  it('prints each problem as one JSON object with file, line, reason and count', async () => {
    const dir = await tempDir();
    const lines = [
      JSON.stringify(event('a', 1_700_000_000, 200)),
      '{"service":"a","message":"x"}',
      'not json',
      '{"service":"a","message":"y"}',
    ];
    await writeLogFile(dir, 'app.ndjson', `${lines.join('\n')}\n`);
    await writeLogFile(dir, 'list.json', [event('b', 1_700_000_000, 500), 42], 1);
    await writeLogFile(dir, 'empty.json', '', 2);
    const result = await runCli(['run', dir, '--once', '--diagnostics', 'json']);
    expect(result.code).toBe(0);
    const problems = diagnosticsOf(result.stderr);
    expect(problems).toContainEqual({
      kind: 'invalid',
      file: 'app.ndjson',
      line: 2,
      lines: [2, 4],
      reason: 'missing timestamp',
      count: 2,
    });
    expect(problems).toContainEqual(
      expect.objectContaining({ kind: 'invalid', file: 'app.ndjson', line: 3, count: 1 }),
    );
    expect(problems).toContainEqual({
      kind: 'invalid',
      file: 'list.json',
      index: 1,
      indexes: [1],
      reason: 'not an object (42)',
      count: 1,
    });
    expect(problems).toContainEqual({
      kind: 'broken',
      file: 'empty.json',
      reason: 'empty file',
      count: 0,
    });
    expect(problems).toHaveLength(4);
  });

  it('escapes what came from outside: no control character reaches the terminal, and the name decodes back', async () => {
    const dir = await tempDir();
    const name = 'evil\u001b]0;owned\u0007\u009b2J\u202e.json';
    await writeLogFile(dir, name, '[1]');
    const result = await runCli(['run', dir, '--once', '--diagnostics', 'json']);
    // Only the newline ending each object: no ESC, BEL, C1 CSI or bidi override, raw.
    expect(result.stderr.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    const [problem] = diagnosticsOf(result.stderr);
    expect(problem).toMatchObject({ kind: 'invalid', file: name, reason: 'not an object (1)' });
  });

  it('refuses a format it does not know, naming the option', async () => {
    const result = await runCli(['run', DATA, '--once', '--diagnostics', 'xml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("logstream: --diagnostics: 'xml' is not one of text, json\n");
  });
});
