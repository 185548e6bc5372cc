import { execFileSync } from 'node:child_process';
import {
  appendFile,
  copyFile,
  mkdir,
  rename,
  rm,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CliResult,
  event,
  recordsOf,
  runCli,
  tempDir,
  writeAtomically,
  writeLogFile,
} from '../support/cli.js';
import { type RunningCli, startCli, stopPromptly } from '../support/follow.js';

const base = 1_767_225_600;

/** `count` events of `service`, timestamps `from`, `from + 1`, … after `base`. */
const events = (service: string, count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => event(service, base + from + i, 200));

/** The same {@link events} as NDJSON lines. */
const lines = (service: string, count: number, from = 0) =>
  events(service, count, from)
    .map((e) => `${JSON.stringify(e)}\n`)
    .join('');

/** Events counted so far: the last running-average record's total (0 before the first). */
const totalOf = (records: Record<string, unknown>[]) =>
  (records.filter((r) => r.task === 'running-average').at(-1)?.total as number | undefined) ?? 0;

const counted = (cli: RunningCli, total: number) =>
  cli.waitFor((c) => totalOf(c.records()) === total, `a total of ${total} events`);

/** Events of each service in the last running-average record. */
const perService = (result: CliResult) => {
  const last = recordsOf(result, 'running-average').at(-1);
  const services = (last?.services ?? []) as { service: string; total: number }[];
  return Object.fromEntries(services.map(({ service, total }) => [service, total]));
};

/** The diagnostic lines about `file`. */
const noticesOf = (stderr: string, file: string) =>
  stderr.split('\n').filter((line) => line.startsWith(`logstream: ${file}: `));

const run = (dir: string, ...more: string[]) => ['run', dir, '--task', 'running-average', ...more];

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** A Unix socket listening at `path`, closed after the test. */
async function socketAt(path: string): Promise<void> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((done) => server.listen(path, done));
}

const fifoAt = (path: string) => execFileSync('mkfifo', [path]);

describe('FIFOs and sockets named like log files', () => {
  const notice = 'skipped: not a regular file (a FIFO, socket or device)';

  /** Two log files of 5 events in all, beside two FIFOs and a socket named like log files. */
  async function withSpecialFiles(): Promise<string> {
    const dir = await tempDir();
    await writeLogFile(dir, 'a.json', events('a', 3), 1);
    fifoAt(join(dir, 'x.json'));
    fifoAt(join(dir, 'y.ndjson'));
    await socketAt(join(dir, 'z.json'));
    await writeLogFile(dir, 'b.ndjson', lines('b', 2), 2);
    return dir;
  }

  it('are skipped with one notice each, at start and while following, the other files are read, and SIGTERM ends the run', async () => {
    const dir = await withSpecialFiles();
    const cli = startCli(run(dir));
    await counted(cli, 5);

    fifoAt(join(dir, 'late-x.json'));
    fifoAt(join(dir, 'late-y.ndjson'));
    await socketAt(join(dir, 'late-z.json'));
    await appendFile(join(dir, 'b.ndjson'), lines('b', 1, 2));
    await writeAtomically(dir, 'c.json', events('c', 4));
    await counted(cli, 10);
    const names = ['x.json', 'y.ndjson', 'z.json', 'late-x.json', 'late-y.ndjson', 'late-z.json'];
    await cli.waitFor(
      (c) => names.every((name) => noticesOf(c.stderr(), name).length > 0),
      'a notice for each',
    );

    const result = await stopPromptly(cli);
    expect(result.code).toBe(0);
    expect(totalOf(result.records)).toBe(10);
    for (const name of names) {
      expect(noticesOf(result.stderr, name), name).toEqual([`logstream: ${name}: ${notice}`]);
    }
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(names.length);
  });

  it('with --once, are skipped with one notice each and the run completes', async () => {
    const dir = await withSpecialFiles();
    const result = await runCli(run(dir, '--once'));
    expect(result.code).toBe(0);
    expect(totalOf(result.records)).toBe(5);
    for (const name of ['x.json', 'y.ndjson', 'z.json']) {
      expect(noticesOf(result.stderr, name), name).toEqual([`logstream: ${name}: ${notice}`]);
    }
  });
});

describe('the watched directory removed and created again', () => {
  it('is reported both ways, and the files of the new directory are read and followed', async () => {
    const dir = join(await tempDir(), 'logs');
    await mkdir(dir);
    await writeLogFile(dir, 'a.ndjson', lines('before', 2), 1);
    const cli = startCli(run(dir));
    await counted(cli, 2);

    await rm(dir, { recursive: true, force: true });
    await cli.waitFor((c) => noticesOf(c.stderr(), '.').length === 1, 'the notice of removal');
    await mkdir(dir);
    await writeLogFile(dir, 'b.json', events('after', 3, 10), 2);
    await writeLogFile(dir, 'c.ndjson', lines('after', 4, 20), 3);
    await counted(cli, 9);
    await appendFile(join(dir, 'c.ndjson'), lines('after', 1, 30));
    await counted(cli, 10);

    const result = await stopPromptly(cli);
    expect(result.code).toBe(0);
    expect(perService(result)).toEqual({ before: 2, after: 8 });
    expect(noticesOf(result.stderr, '.')).toEqual([
      'logstream: .: the directory was removed: waiting for it to come back',
      'logstream: .: the directory is back: reading it again',
    ]);
  });
});

describe('NDJSON truncated', () => {
  it('copytruncate (copied away, truncated and at once rewritten longer): each event counted once', async () => {
    const dir = await tempDir();
    const path = await writeLogFile(dir, 'app.ndjson', lines('old', 5));
    const cli = startCli(run(dir));
    await counted(cli, 5);

    await copyFile(path, join(await tempDir(), 'app.ndjson.1'));
    await truncate(path, 0);
    // Longer than the offset read so far: a reader that only compares sizes misses the cut.
    await appendFile(path, lines('new', 8, 100));
    await counted(cli, 13);
    await appendFile(path, lines('new', 1, 200));
    await counted(cli, 14);

    const result = await stopPromptly(cli);
    expect(totalOf(result.records)).toBe(14);
    expect(perService(result)).toEqual({ old: 5, new: 9 });
    expect(noticesOf(result.stderr, 'app.ndjson')).toEqual([
      'logstream: app.ndjson: truncated or rewritten: read again from the start',
    ]);
  });

  it('truncated to nothing, then grown: the new lines are read, the old ones not again', async () => {
    const dir = await tempDir();
    const path = await writeLogFile(dir, 'app.ndjson', lines('old', 5));
    const cli = startCli(run(dir));
    await counted(cli, 5);

    await truncate(path, 0);
    await cli.waitFor((c) => /truncated/.test(c.stderr()), 'the notice of the truncation');
    await appendFile(path, lines('new', 2, 100));
    await counted(cli, 7);
    await appendFile(path, lines('new', 1, 200));
    await counted(cli, 8);

    const result = await stopPromptly(cli);
    expect(perService(result)).toEqual({ old: 5, new: 3 });
    expect(noticesOf(result.stderr, 'app.ndjson')).toHaveLength(1);
  });
});

describe('NDJSON rotated by rename to another log file name', () => {
  it('app.ndjson → app-1.ndjson, a new app.ndjson, lines appended to both: every line counted once', async () => {
    const dir = await tempDir();
    const path = await writeLogFile(dir, 'app.ndjson', lines('first', 4));
    const cli = startCli(run(dir));
    await counted(cli, 4);

    await rename(path, join(dir, 'app-1.ndjson'));
    await writeFile(path, lines('second', 3));
    await appendFile(join(dir, 'app-1.ndjson'), lines('first', 2, 4));
    await appendFile(path, lines('second', 2, 3));
    await counted(cli, 11);
    await appendFile(join(dir, 'app-1.ndjson'), lines('first', 1, 6));
    await counted(cli, 12);

    const result = await stopPromptly(cli);
    expect(perService(result)).toEqual({ first: 7, second: 5 });
    expect(result.stderr).toBe('');
  });
});

describe('a .json file replaced atomically under the same name (temporary file, then rename)', () => {
  it('by other events: both versions counted once each', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'x.json', events('before', 3));
    const cli = startCli(run(dir));
    await counted(cli, 3);

    await writeAtomically(dir, 'x.json', events('after', 4, 100));
    await counted(cli, 7);
    await writeAtomically(dir, 'sentinel.json', events('sentinel', 1));
    await counted(cli, 8);

    const result = await stopPromptly(cli);
    expect(perService(result)).toEqual({ before: 3, after: 4, sentinel: 1 });
  });

  it('by a longer version of itself (more elements appended), compact or pretty-printed: each event counted once', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'compact.json', events('compact', 2), 1);
    const pretty = (count: number) => `${JSON.stringify(events('pretty', count), null, 2)}\n`;
    await writeLogFile(dir, 'pretty.json', pretty(2), 2);
    const cli = startCli(run(dir));
    await counted(cli, 4);

    await writeAtomically(dir, 'compact.json', events('compact', 5));
    await writeAtomically(dir, 'pretty.json', pretty(3));
    await counted(cli, 8);
    await writeAtomically(dir, 'sentinel.json', events('sentinel', 1));
    await counted(cli, 9);

    const result = await stopPromptly(cli);
    expect(perService(result)).toEqual({ compact: 5, pretty: 3, sentinel: 1 });
    expect(result.stderr).toBe('');
  });
});

describe('symbolic links: never opened; one to a log file of the directory is that file, read once under its own name; any other is skipped with a notice naming the link only', () => {
  const outOfDirectory = 'skipped: a symbolic link out of the directory: not followed';

  /** Files outside the watched directory: events that must not be counted, and a secret. */
  async function outside() {
    const away = await tempDir();
    await writeFile(join(away, 'events.json'), JSON.stringify(events('outside', 5)));
    await writeFile(join(away, 'events.ndjson'), lines('outside', 5));
    await writeFile(join(away, 'secret.json'), '{"password": "TOP-SECRET-CONTENT"');
    return away;
  }

  it('the same at start and while following, and with --once', async () => {
    const away = await outside();
    const dir = await tempDir();
    await writeLogFile(dir, 'target.json', events('inside', 3));
    await symlink('target.json', join(dir, 'link.json'));
    await symlink(join(away, 'events.json'), join(dir, 'out.json'));
    await symlink(join(away, 'secret.json'), join(dir, 'leak.json'));
    const startLinks = ['out.json', 'leak.json'];

    const once = await runCli(run(dir, '--once'));
    expect(once.code).toBe(0);
    expect(totalOf(once.records)).toBe(3);
    expect(once.stderr.trimEnd().split('\n').sort()).toEqual(
      startLinks.map((name) => `logstream: ${name}: ${outOfDirectory}`).sort(),
    );

    const cli = startCli(run(dir));
    await counted(cli, 3);
    await writeFile(join(dir, 'target2.ndjson'), lines('inside', 2, 10));
    await symlink('target2.ndjson', join(dir, 'link2.ndjson'));
    await symlink(join(away, 'events.ndjson'), join(dir, 'out2.ndjson'));
    await symlink(join(away, 'secret.json'), join(dir, 'leak2.json'));
    await cli.waitFor(
      (c) => noticesOf(c.stderr(), 'leak2.json').length > 0,
      'the notice of leak2.json',
    );
    // Through the link or not, the file grows once.
    await appendFile(join(dir, 'target2.ndjson'), lines('inside', 1, 20));
    await appendFile(join(away, 'events.ndjson'), lines('outside', 1, 20));
    await counted(cli, 6);
    await writeAtomically(dir, 'sentinel.json', events('sentinel', 1));
    await counted(cli, 7);

    const result = await stopPromptly(cli);
    expect(perService(result)).toEqual({ inside: 6, sentinel: 1 });
    const links = [...startLinks, 'out2.ndjson', 'leak2.json'];
    expect(result.stderr.trimEnd().split('\n').sort()).toEqual(
      links.map((name) => `logstream: ${name}: ${outOfDirectory}`).sort(),
    );
    expect(result.stderr).not.toContain('SECRET');
    expect(result.stderr).not.toContain(away);
  });
});

describe('an NDJSON line without its newline at SIGTERM', () => {
  const partial = (service: string) =>
    `{"service":"${service}","timestamp":${base + 50},"message":"HTTP Status Code: 200 `;

  /** A file of two lines and a growing third one without its newline, and a sentinel read after. */
  async function growingLine(cli: RunningCli, dir: string) {
    await counted(cli, 2);
    for (let i = 0; i < 5; i++) await appendFile(join(dir, 'u.ndjson'), 'more '.repeat(1000));
    // Read in the order they change: once the sentinel is read, so was the growing line.
    await writeAtomically(dir, 'sentinel.json', events('sentinel', 1, 100));
    await counted(cli, 3);
  }

  it('is counted at SIGTERM, as --once counts it', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'u.ndjson', `${lines('u', 2)}${partial('u')}`);
    const cli = startCli(run(dir));
    await growingLine(cli, dir);
    await appendFile(join(dir, 'u.ndjson'), 'end"}');
    await writeAtomically(dir, 'sentinel-2.json', events('sentinel', 1, 200));
    await counted(cli, 4);

    const result = await stopPromptly(cli);
    expect(result.code).toBe(0);
    expect(perService(result)).toEqual({ u: 3, sentinel: 2 });
    const once = await runCli(run(dir, '--once'));
    expect(perService(once)).toEqual(perService(result));
  });

  it('with --checkpoint, is left for the resumed run, which counts it once complete', async () => {
    const dir = await tempDir();
    const checkpoint = join(await tempDir(), 'checkpoint');
    await writeLogFile(dir, 'u.ndjson', `${lines('u', 2)}${partial('u')}`);
    const cli = startCli(run(dir, '--checkpoint', checkpoint));
    await growingLine(cli, dir);

    const stopped = await stopPromptly(cli);
    expect(stopped.code).toBe(0);
    expect(perService(stopped)).toEqual({ u: 2, sentinel: 1 });

    await appendFile(join(dir, 'u.ndjson'), `end"}\n${lines('u', 1, 60)}`);
    const resumed = await runCli(run(dir, '--once', '--checkpoint', checkpoint));
    expect(resumed.code).toBe(0);
    expect(perService(resumed)).toEqual({ u: 4, sentinel: 1 });
    const uninterrupted = await runCli(run(dir, '--once'));
    expect(perService(uninterrupted)).toEqual(perService(resumed));
  });
});
