import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../operators/event.js';
import { DEFAULT_PATTERNS } from '../src/cli/run-options.js';
import { INTERESTING_MESSAGES } from '../src/generator.js';
import { event, REPO, runCli, tempDir, writeLogFile } from './support/cli.js';
import { startCli } from './support/follow.js';

/** The seed lab's services. */
const SEED_SERVICES = ['evaluation', 'inference', 'monitoring', 'training'];

interface Event {
  service: string;
  timestamp: number;
  message: string;
}

async function generate(args: readonly string[]) {
  const dir = await tempDir();
  const result = await runCli(['generate', dir, ...args]);
  expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
  const names = await readdir(dir);
  const contents = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
  return { dir, names, contents };
}

const statusOf = (message: string) => Number(/HTTP Status Code:\s*(\d{3})/.exec(message)?.[1]);
const isFailure = (event: Event) => statusOf(event.message) >= 400;

describe('logstream generate', () => {
  it('writes the same files for the same seed', async () => {
    const args = ['--files', '3', '--events', '50', '--seed', '7'];
    const first = await generate(args);
    const second = await generate(args);
    expect(first.names).toHaveLength(3);
    expect(second.names).toEqual(first.names);
    expect(second.contents).toEqual(first.contents);
    const other = await generate(['--files', '3', '--events', '50', '--seed', '8']);
    expect(other.contents).not.toEqual(first.contents);
  });

  it('writes JSON arrays of valid events of the seed services, names sorted by creation, no temporary files', async () => {
    const { names, contents } = await generate(['--files', '3', '--events', '50', '--seed', '7']);
    // Only the three log files: the temporary names they were written under are gone.
    expect(names.sort()).toEqual(names);
    for (const name of names) expect(name).toMatch(/^events-\d{13}-\d{6}\.json$/);
    expect(names.map((name) => Number(name.slice(-11, -5)))).toEqual([1, 2, 3]);
    for (const content of contents) {
      const events = JSON.parse(content) as unknown[];
      expect(events).toHaveLength(50);
      for (const event of events) {
        expect(validateEvent(event).ok, JSON.stringify(event)).toBe(true);
        expect(SEED_SERVICES).toContain((event as Event).service);
      }
    }
  });

  it('writes NDJSON with --format ndjson', async () => {
    const { names, contents } = await generate([
      '--files',
      '2',
      '--events',
      '40',
      '--seed',
      '7',
      '--format',
      'ndjson',
    ]);
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/\.ndjson$/);
    for (const content of contents) {
      expect(content.endsWith('\n')).toBe(true);
      const lines = content.slice(0, -1).split('\n');
      expect(lines).toHaveLength(40);
      for (const line of lines) expect(validateEvent(JSON.parse(line)).ok).toBe(true);
    }
  });

  it('writes timestamps that mostly move forward, a few going back (late events)', async () => {
    const { contents } = await generate(['--files', '2', '--events', '1000', '--seed', '7']);
    const times = contents.flatMap((content) =>
      (JSON.parse(content) as Event[]).map((e) => e.timestamp),
    );
    let backwards = 0;
    for (let i = 1; i < times.length; i++) if (times[i]! < times[i - 1]!) backwards += 1;
    expect(backwards).toBeGreaterThan(0);
    expect(backwards).toBeLessThan(times.length * 0.1);
    expect(times.at(-1)!).toBeGreaterThan(times[0]!);
  });

  it('with --bursts 1, makes one service fail mostly in each file; without, none', async () => {
    const failureRates = (content: string) => {
      const events = JSON.parse(content) as Event[];
      return SEED_SERVICES.map((service) => {
        const own = events.filter((e) => e.service === service);
        return own.filter(isFailure).length / own.length;
      });
    };
    const bursting = await generate([
      '--files',
      '4',
      '--events',
      '1000',
      '--seed',
      '7',
      '--bursts',
      '1',
    ]);
    for (const content of bursting.contents) {
      const rates = failureRates(content);
      expect(
        rates.filter((rate) => rate > 0.6),
        String(rates),
      ).toHaveLength(1);
      expect(
        rates.filter((rate) => rate < 0.4),
        String(rates),
      ).toHaveLength(3);
    }
    const calm = await generate(['--files', '4', '--events', '1000', '--seed', '7']);
    for (const content of calm.contents) {
      expect(Math.max(...failureRates(content))).toBeLessThan(0.4);
    }
  });

  it('feeds a `run` that follows the directory: every file is read whole, once', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'start.json', [event('start', 1, 200)]);
    const cli = startCli(['run', dir, '--task', 'running-average']);
    // The run watches the directory before it reads the files present.
    await cli.waitFor((c) => c.records().length === 1, 'the record of start.json');
    const generated = await runCli([
      'generate',
      dir,
      '--files',
      '5',
      '--events',
      '200',
      '--delay',
      '50ms',
      '--seed',
      '3',
    ]);
    expect(generated.code).toBe(0);
    await cli.waitFor((c) => c.records().length === 6, 'a record per generated file');
    const result = await cli.stop();
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const names = (await readdir(dir)).filter((name) => name.startsWith('events-')).sort();
    expect(names).toHaveLength(5);
    expect(result.records.map((record) => record.file)).toEqual(['start.json', ...names]);
    const events = (
      await Promise.all(
        names.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8'))),
      )
    ).flat() as Event[];
    expect(result.records.at(-1)).toMatchObject({
      total: 1 + events.filter((e) => statusOf(e.message) > 0).length,
    });
  });

  it.each([
    [['--files', 'many'], /--files/],
    [['--events', '0'], /--events/],
    [['--format', 'xml'], /--format/],
    [['--bursts', '1.5'], /--bursts/],
    [['--delay', 'soon'], /--delay/],
    [['--seed', 'seven'], /--seed/],
    [['--start', 'yesterday'], /--start/],
    [['--frobnicate'], /--frobnicate/],
  ])('%j: one line on stderr naming the option, exit status 2, no file', async (args, named) => {
    const dir = await tempDir();
    const result = await runCli(['generate', join(dir, 'out'), ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(named);
    expect(await readdir(dir)).toEqual([]);
  });

  it('without a directory: one line and exit status 2', async () => {
    const result = await runCli(['generate']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });
});

describe('data/interesting-messages.txt', () => {
  it('lists exactly the server-error messages the generator writes, so the default filter forwards them', async () => {
    const patterns = (await readFile(join(REPO, DEFAULT_PATTERNS), 'utf8'))
      .split('\n')
      .filter(Boolean);
    expect(patterns).toEqual(INTERESTING_MESSAGES);
    const dir = await tempDir();
    await runCli([
      'generate',
      dir,
      '--files',
      '1',
      '--events',
      '2000',
      '--seed',
      '9',
      '--bursts',
      '1',
    ]);
    const [file] = await readdir(dir);
    const events = JSON.parse(await readFile(join(dir, file!), 'utf8')) as { message: string }[];
    const serverErrors = new Set(
      events.map((e) => e.message).filter((message) => /Code: 5\d\d$/.test(message)),
    );
    expect([...serverErrors].sort()).toEqual([...INTERESTING_MESSAGES].sort());
  });
});
