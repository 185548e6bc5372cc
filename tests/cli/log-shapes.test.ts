import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../operators/event.js';
import { generateLogFiles } from '../../src/generator.js';
import { event, runCli, tempDir, writeLogFile } from '../support/cli.js';
import { startCli, stopPromptly } from '../support/follow.js';

const base = 1_767_225_600;
const line = (service: string, offset = 0, status = 200) =>
  `${JSON.stringify(event(service, base + offset, status))}\n`;

/** The seeded generator's events, in files. */
function generated(files: number, events: number): LogEvent[][] {
  const files_: LogEvent[][] = [];
  const source = generateLogFiles({ events, bursts: 0.3, start: base, seed: 1313 });
  for (let i = 0; i < files; i++) files_.push(source.next().value!);
  return files_;
}

/** An event as another shipper writes it: epoch milliseconds, other names, a nested message. */
const reshaped = ({ service, timestamp, message }: LogEvent) => ({
  ts: Math.round(Number(timestamp) * 1000),
  svc: service,
  level: 'info',
  msg: { text: message, length: message.length },
});

/** NDJSON lines, with a line that is not JSON in the middle (its number must be the same). */
const ndjson = (values: readonly unknown[]) => {
  const lines = values.map((value) => JSON.stringify(value));
  lines.splice(3, 0, 'not json at all');
  return `${lines.join('\n')}\n`;
};

describe('logs of real shapes, through the CLI', () => {
  it('a recursive tree of gzip-compressed, reshaped NDJSON gives the records of the same events in the standard shape', async () => {
    const files = generated(6, 250);
    const flat = await tempDir();
    const tree = await tempDir();
    const treeName = (i: number) =>
      `${2025 + (i % 2)}/${String(1 + (i % 3)).padStart(2, '0')}/app-${i}.ndjson.gz`;
    for (const [i, events] of files.entries()) {
      await writeLogFile(flat, `app-${i}.ndjson`, ndjson(events), i);
      const path = join(tree, treeName(i));
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, gzipSync(ndjson(events.map(reshaped))));
      await utimes(path, 1_600_000_000 + i, 1_600_000_000 + i);
    }
    const common = ['--once', '--seed', '7'];
    const standard = await runCli(['run', flat, ...common]);
    const mapped = await runCli([
      'run',
      tree,
      ...common,
      '--recursive',
      '--service-field',
      'svc',
      '--timestamp-field',
      'ts',
      '--message-field',
      'msg.text',
      '--timestamp-unit',
      'ms',
    ]);
    expect(standard.code).toBe(0);
    expect(mapped.code).toBe(0);
    expect(standard.records.length).toBeGreaterThan(6);
    const nameInTree = new Map(files.map((_, i) => [`app-${i}.ndjson`, treeName(i)]));
    const asInTree = (record: Record<string, unknown>) => ({
      ...record,
      file: nameInTree.get(String(record.file)) ?? record.file,
    });
    expect(mapped.records).toEqual(standard.records.map(asInTree));
    // The same diagnostics, naming the files under the tree, with the same line numbers.
    const stderrInTree = standard.stderr.replace(/app-(\d)\.ndjson/g, (_, i) =>
      treeName(Number(i)),
    );
    expect(mapped.stderr).toBe(stderrInTree);
    expect(mapped.stderr.split('\n')[0]).toBe(
      `logstream: ${treeName(0)}: 1 invalid event: not valid JSON (Unexpected token 'o', "not json at all" is not valid JSON) (line 4)`,
    );
  });

  it('--include and --exclude select the files by name', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'app.log', line('app'), 1);
    await writeLogFile(dir, 'debug.log', line('debug'), 2);
    await writeLogFile(dir, 'events.json', [event('events', base, 200)], 3);
    await writeLogFile(dir, 'debug.json', [event('debugjson', base, 200)], 4);
    const servicesOf = async (...options: string[]) => {
      const result = await runCli(['run', dir, '--once', '--task', 'running-average', ...options]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      const last = result.records.at(-1) as { services: { service: string }[] };
      return last.services.map((s) => s.service).sort();
    };
    expect(await servicesOf()).toEqual(['debugjson', 'events']);
    expect(await servicesOf('--include', '*.log')).toEqual(['app', 'debug']);
    expect(await servicesOf('--exclude', 'debug*')).toEqual(['events']);
    expect(
      await servicesOf('--include', '*.log', '--include', '*.json', '--exclude', 'debug*'),
    ).toEqual(['app', 'events']);
  });

  it('a directory with nothing to read says so in one line, naming what it looked for, and exits 0', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'app.log', line('app'));
    await mkdir(join(dir, '2026'));
    await writeLogFile(join(dir, '2026'), 'a.ndjson', line('deep'));
    const result = await runCli(['run', dir, '--once', '--task', 'running-average']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'logstream: .: no log files here (looked for *.json, *.ndjson, *.jsonl and their .gz; 1 other file ignored; subdirectories not entered: use --recursive)\n',
    );
    const included = await runCli(['run', dir, '--once', '--include', '*.txt', '--recursive']);
    expect(included.code).toBe(0);
    expect(included.stderr).toBe(
      'logstream: .: no log files here or in its subdirectories (looked for files matching *.txt; 2 other files ignored)\n',
    );
  });

  it('a cut-short .ndjson.gz is reported with its name once it has settled; the others are read', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'a.ndjson.gz', gzipSync(line('a')), 1);
    await writeLogFile(dir, 'c.ndjson', line('c'), 3);
    const whole = gzipSync(Array.from({ length: 50 }, (_, i) => line('cut', i)).join(''));
    // Written just now: --once waits for it to settle before it says it is broken.
    await writeFile(join(dir, 'b.ndjson.gz'), whole.subarray(0, whole.length - 30));
    const started = Date.now();
    const result = await runCli(['run', dir, '--once', '--task', 'running-average']);
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(result.stderr).toBe(
      'logstream: b.ndjson.gz: skipped, not a complete gzip file (unexpected end of file)\n',
    );
    const last = result.records.at(-1) as { services: { service: string; total: number }[] };
    const totals = Object.fromEntries(last.services.map((s) => [s.service, s.total]));
    // The complete lines before the cut are read, as zcat prints them.
    expect(totals.a).toBe(1);
    expect(totals.c).toBe(1);
    expect(totals.cut ?? 0).toBeLessThan(50);
  });

  it('following with --recursive, a subdirectory created later is read, and so is its file', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'top.ndjson', line('top'));
    const cli = startCli(['run', dir, '--recursive', '--task', 'running-average']);
    const read = (file: string) => (c: typeof cli) => c.records().some((r) => r.file === file);
    await cli.waitFor(read('top.ndjson'), 'top.ndjson read');
    await mkdir(join(dir, 'later/deeper'), { recursive: true });
    await writeFile(join(dir, 'later/deeper/app.ndjson.gz'), gzipSync(line('later', 1)));
    await cli.waitFor(read('later/deeper/app.ndjson.gz'), 'the new subdirectory read');
    const result = await stopPromptly(cli);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.records.map((r) => r.file)).toEqual(['top.ndjson', 'later/deeper/app.ndjson.gz']);
  });
});
