import {
  appendFile,
  chmod,
  type FileHandle,
  mkdir,
  open,
  rename,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { directorySource } from '../../src/source/directory.js';
import { fileKind } from '../../src/source/file-kind.js';
import { LineBuffer } from '../../src/source/line-buffer.js';
import { MAX_BATCH_LINES, NdjsonTail } from '../../src/source/ndjson.js';
import { OpenFile } from '../../src/source/open-file.js';
import { event, REPO, spawnNode, tempDir, writeLogFile } from '../support/cli.js';
import { follow, readOnce, summary, whileFollowing } from '../support/source.js';
import { WAIT_MS } from '../support/wait.js';

const base = 1_767_225_600;
const line = (service: string, offset: number, status: number | null = 200) =>
  `${JSON.stringify(event(service, base + offset, status))}\n`;

describe('fileKind', () => {
  it('knows log files by extension, in any case, and ignores the rest', () => {
    expect(fileKind('a.json')).toBe('json');
    expect(fileKind('dir/A.JSON')).toBe('json');
    expect(fileKind('a.ndjson')).toBe('ndjson');
    expect(fileKind('a.jsonl')).toBe('ndjson');
    for (const name of ['README.txt', 'a.json.tmp', '.a.json.swp', 'json', 'a.js', 'a.ndjson~']) {
      expect(fileKind(name), name).toBeUndefined();
    }
  });
});

describe('directorySource: the files present at start', () => {
  it('reads them in order of modification time, then name', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'c.json', [event('c', base, 200)], 1);
    await writeLogFile(dir, 'b.ndjson', line('b', 0), 3);
    await writeLogFile(dir, 'a.json', [event('a', base, 200)], 3);
    await writeLogFile(dir, 'B.jsonl', line('B', 0), 3);
    await writeLogFile(dir, 'z.json', [event('z', base, 200)], 0);
    const { batches, problems } = await readOnce(dir);
    expect(problems).toEqual([]);
    // Same time: code-unit order of the names, so 'B' before 'a'.
    expect(batches.map((b) => b.file)).toEqual([
      'z.json',
      'c.json',
      'B.jsonl',
      'a.json',
      'b.ndjson',
    ]);
    expect(batches.map((b) => b.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('ignores other files and does not enter subdirectories, even one named like a log file', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'events.json', [event('read', base, 200)]);
    await writeLogFile(dir, 'notes.txt', JSON.stringify([event('txt', base, 200)]));
    await writeLogFile(dir, 'events.json.tmp', [event('tmp', base, 200)]);
    await mkdir(join(dir, 'nested'));
    await writeLogFile(join(dir, 'nested'), 'deep.json', [event('nested', base, 200)]);
    await mkdir(join(dir, 'folder.json'));
    const { batches, problems } = await readOnce(dir);
    expect(problems).toEqual([]);
    expect(batches.map(summary)).toEqual([{ index: 1, file: 'events.json', services: ['read'] }]);
  });

  it('takes a .json file holding one event object as a batch of one', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'one.json', event('solo', base, 200));
    const { batches } = await readOnce(dir);
    expect(batches.map(summary)).toEqual([{ index: 1, file: 'one.json', services: ['solo'] }]);
  });

  it('skips blank lines of NDJSON, counting them in line numbers, and reads CRLF lines', async () => {
    const dir = await tempDir();
    const content = `\n  \n${line('a', 1)}\t\n${line('b', 2).replace('\n', '\r\n')}{oops\n${line('c', 3)}`;
    await writeLogFile(dir, 'gaps.ndjson', content);
    const { batches, problems } = await readOnce(dir);
    expect(batches.map(summary)).toEqual([
      { index: 1, file: 'gaps.ndjson', services: ['a', 'b', 'c'] },
    ]);
    expect(batches[0]!.invalid).toBe(1);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'invalid', file: 'gaps.ndjson', count: 1 }),
    ]);
    expect(problems[0]!.reason).toMatch(/not valid JSON.*\(line 6\)$/);
  });

  it('with follow off, reads a last line without its newline at the end', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'open.ndjson', `${line('a', 1)}${line('b', 2).trimEnd()}`);
    const { batches } = await readOnce(dir);
    expect(batches.map(summary)).toEqual([{ index: 1, file: 'open.ndjson', services: ['a', 'b'] }]);
  });

  it('cuts a large NDJSON file into batches of at most MAX_BATCH_LINES events', async () => {
    const dir = await tempDir();
    const count = 2 * MAX_BATCH_LINES + 20_000;
    const text = Array.from({ length: count }, (_, i) => line(`s${i % 7}`, i)).join('');
    await writeLogFile(dir, 'large.ndjson', text);
    const { batches, problems } = await readOnce(dir);
    expect(problems).toEqual([]);
    expect(batches.map((b) => b.batch.length)).toEqual([MAX_BATCH_LINES, MAX_BATCH_LINES, 20_000]);
    expect(batches.every((b) => b.file === 'large.ndjson')).toBe(true);
    // Nothing lost or repeated across the cuts: the times are 0, 1, 2, … in order.
    const times = batches.flatMap((b) => [...b.batch.times].map((t) => t - base));
    expect(times).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  // Root reads every file, whatever its mode.
  it.skipIf(process.getuid?.() === 0)(
    'reports a file that cannot be read and goes on with the others',
    async () => {
      const dir = await tempDir();
      await writeLogFile(dir, 'a.json', [event('a', base, 200)], 1);
      const locked = await writeLogFile(dir, 'locked.json', [event('x', base, 200)], 2);
      await writeLogFile(dir, 'c.json', [event('c', base, 200)], 3);
      await chmod(locked, 0o000);
      const { batches, problems } = await readOnce(dir);
      expect(batches.map((b) => b.file)).toEqual(['a.json', 'c.json']);
      expect(problems).toEqual([
        { kind: 'broken', file: 'locked.json', reason: 'permission denied', count: 0 },
      ]);
    },
  );
});

describe('directorySource: following', () => {
  it('tails NDJSON: an appended chunk is one batch, a last line without newline waits for it', async () => {
    const dir = await tempDir();
    const path = await writeLogFile(dir, 'live.ndjson', `${line('a', 1)}${line('a', 2)}`);
    await whileFollowing(dir, async (source) => {
      await source.waitFor(() => source.batches.length === 1, 'the lines present at start');
      expect(source.batches.map(summary)).toEqual([
        { index: 1, file: 'live.ndjson', services: ['a', 'a'] },
      ]);

      await appendFile(path, `${line('b', 3)}${line('b', 4)}${line('b', 5)}`);
      await source.waitFor(() => source.batches.length === 2, 'the appended chunk');
      expect(summary(source.batches[1]!)).toEqual({
        index: 2,
        file: 'live.ndjson',
        services: ['b', 'b', 'b'],
      });

      // A complete line followed by half of the next one: only the complete line is read.
      const half = line('d', 7);
      await appendFile(path, `${line('c', 6)}${half.slice(0, 20)}`);
      await source.waitFor(() => source.batches.length === 3, 'the complete line');
      expect(source.batches[2]!.batch.services).toEqual(['c']);

      await appendFile(path, half.slice(20));
      await source.waitFor(() => source.batches.length === 4, 'the completed line');
      expect(source.batches[3]!.batch.services).toEqual(['d']);
      expect([...source.batches[3]!.batch.times]).toEqual([base + 7]);
      expect(source.problems).toEqual([]);
    });
  });

  it('reads a replaced NDJSON file (log rotation) from its start, even when it is longer', async () => {
    const dir = await tempDir();
    const path = await writeLogFile(dir, 'app.ndjson', `${line('old', 1)}${line('old', 2)}`);
    await whileFollowing(dir, async (source) => {
      await source.waitFor(() => source.batches.length === 1, 'the first file');
      await rename(path, join(dir, 'app.ndjson.1'));
      await writeFile(path, `${line('new', 3)}${line('new', 4)}${line('new', 5)}`);
      await source.waitFor(() => source.batches.length === 2, 'the new file');
      expect(source.batches.map(summary)).toEqual([
        { index: 1, file: 'app.ndjson', services: ['old', 'old'] },
        { index: 2, file: 'app.ndjson', services: ['new', 'new', 'new'] },
      ]);
      expect(source.problems).toEqual([]);
    });
  });

  it('reads every line of a writer that appends in quick succession, its last write included', async () => {
    const dir = await tempDir();
    const path = await writeLogFile(dir, 'fast.ndjson', line('w', 0));
    await whileFollowing(dir, async (source) => {
      await source.waitFor(() => source.batches.length === 1, 'the line present at start');
      // Faster than the watcher reports changes of one file (at most one per 50 ms).
      for (let i = 1; i <= 20; i++) {
        await appendFile(path, line('w', i));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const count = () => source.batches.reduce((sum, b) => sum + b.batch.length, 0);
      await source.waitFor(() => count() === 21, 'all 21 lines');
      const times = source.batches.flatMap((b) => [...b.batch.times].map((t) => t - base));
      expect(times).toEqual(Array.from({ length: 21 }, (_, i) => i));
    });
  });

  it('reads files that appear, in the order they appear, and only the new elements of a grown .json', async () => {
    const dir = await tempDir();
    await whileFollowing(dir, async (source) => {
      await writeLogFile(dir, 'first.json', [event('one', base, 200)]);
      await source.waitFor(() => source.batches.length === 1, 'first.json');
      const temporary = join(dir, '.second.json.tmp');
      await writeFile(temporary, JSON.stringify([event('two', base, 200)]));
      await rename(temporary, join(dir, 'second.json'));
      await source.waitFor(() => source.batches.length === 2, 'second.json');
      // first.json rewritten with one more event: only that event is new.
      await writeFile(
        join(dir, 'first.json'),
        JSON.stringify([event('one', base, 200), event('three', base, 200)]),
      );
      await source.waitFor(() => source.batches.length === 3, 'the grown first.json');
      expect(source.batches.map(summary)).toEqual([
        { index: 1, file: 'first.json', services: ['one'] },
        { index: 2, file: 'second.json', services: ['two'] },
        { index: 3, file: 'first.json', services: ['three'] },
      ]);
      expect(source.problems).toEqual([]);
    });
  });

  it('ignores files with other extensions and files in subdirectories as they appear', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'nested'));
    await whileFollowing(dir, async (source) => {
      await writeLogFile(dir, 'start.json', [event('start', base, 200)]);
      await source.waitFor(() => source.batches.length === 1, 'start.json');
      await writeFile(join(dir, 'notes.txt'), line('txt', 1));
      await writeFile(join(dir, 'nested', 'deep.json'), JSON.stringify([event('deep', base, 200)]));
      await writeFile(join(dir, 'partial.json.tmp'), JSON.stringify([event('tmp', base, 200)]));
      // Written after the ignored files: when it has been read, they would have been too.
      await writeFile(join(dir, 'sentinel.ndjson'), line('sentinel', 2));
      await source.waitFor(() => source.batches.length >= 2, 'sentinel.ndjson');
      expect(source.batches.map((b) => b.file)).toEqual(['start.json', 'sentinel.ndjson']);
    });
  });

  it('stops emitting once unsubscribed', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'a.json', [event('a', base, 200)]);
    const source = follow(dir);
    await source.waitFor(() => source.batches.length === 1, 'a.json');
    source.subscription.unsubscribe();

    // A second subscriber sees the new file; the first, unsubscribed, must not.
    await whileFollowing(dir, async (witness) => {
      await witness.waitFor(() => witness.batches.length === 1, 'a.json again');
      await writeLogFile(dir, 'b.json', [event('b', base, 200)], 10);
      await witness.waitFor(() => witness.batches.length === 2, 'b.json');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(source.batches.map((b) => b.file)).toEqual(['a.json']);
    });
  });

  it('lets the process exit once unsubscribed: the watcher and timers are closed', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'a.json', [event('a', base, 200)]);
    // A truncated fresh .json leaves a settle timer pending when the subscription ends.
    await writeFile(join(dir, 'b.json'), '[{"service":');
    const module = pathToFileURL(join(REPO, 'dist/src/source/directory.js')).href;
    const script = `
      const { directorySource } = await import(${JSON.stringify(module)});
      const subscription = directorySource(${JSON.stringify(dir)}, {
        follow: true,
        onProblem: () => {},
      }).subscribe((batch) => {
        console.log(batch.file);
        setTimeout(() => subscription.unsubscribe(), 100);
      });
    `;
    const subscriber = spawnNode(['--input-type=module', '-e', script]);
    subscriber.child.stdin.end();
    const killer = setTimeout(() => subscriber.child.kill('SIGKILL'), WAIT_MS);
    const { code, stdout, stderr } = await subscriber.exited;
    clearTimeout(killer);
    const output = stdout + stderr;
    expect({ code, output }).toEqual({ code: 0, output: 'a.json\n' });
  });
});

describe('directorySource: a .json file rewritten in place', () => {
  it('caught half-written, keeps its place: only the new elements are read once it is complete', async () => {
    const dir = await tempDir();
    const path = await writeLogFile(dir, 'first.json', [event('one', base, 200)]);
    await whileFollowing(dir, async (source) => {
      await source.waitFor(() => source.batches.length === 1, 'first.json');
      const grown = JSON.stringify([event('one', base, 200), event('three', base, 200)]);
      // Shorter than what was read: a reader that takes it for a new file reads 'one' again.
      await writeFile(path, grown.slice(0, 20));
      // Read in the order they change: once this is read, so was the half-written file.
      await writeLogFile(dir, 'sentinel.ndjson', line('sentinel', 1), 10);
      await source.waitFor(() => source.batches.length === 2, 'sentinel.ndjson');
      await writeFile(path, grown);
      await source.waitFor(() => source.batches.length === 3, 'the complete first.json');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(source.batches.map(summary)).toEqual([
        { index: 1, file: 'first.json', services: ['one'] },
        { index: 2, file: 'sentinel.ndjson', services: ['sentinel'] },
        { index: 3, file: 'first.json', services: ['three'] },
      ]);
      expect(source.problems).toEqual([]);
    });
  });
});

describe('LineBuffer', () => {
  it('a consumer that stops after one batch never sees that batch again', () => {
    const buffer = new LineBuffer(2);
    buffer.push(Buffer.from(Array.from({ length: 5 }, (_, i) => line('s', i)).join('')));
    const seen: number[] = [];
    for (const scan of buffer.scan(true)) {
      seen.push(...scan.batch.times);
      break;
    }
    for (const scan of buffer.scan(true)) seen.push(...scan.batch.times);
    expect(seen.map((time) => time - base)).toEqual([0, 1, 2, 3, 4]);
  });
});

/** 200 KB of a message without its end: a line that grows in many writes, never complete. */
const GROWTH = 'x'.repeat(200_000);
const OPEN_LINE = `{"service":"long","timestamp":${base},"message":"HTTP Status Code: 200 `;

describe('an NDJSON line growing in many writes is read in linear time', () => {
  it('NdjsonTail: a 60 MB line in 300 appends, read after each, costs its length once', async () => {
    const path = join(await tempDir(), 'long.ndjson');
    await writeFile(path, OPEN_LINE);
    const file = await open(path);
    let bytesRead = 0;
    // Counts what the tail reads through the handle.
    const counting = {
      read: async (...args: Parameters<FileHandle['read']>) => {
        const result = await file.read(...args);
        bytesRead += result.bytesRead;
        return result;
      },
    } as unknown as FileHandle;
    try {
      const tail = new NdjsonTail({ offset: 0, lines: 0 });
      const events: number[] = [];
      const readTo = async (size: number) => {
        for await (const chunk of tail.read(counting, size)) events.push(chunk.batch.length);
      };
      let size = OPEN_LINE.length;
      for (let i = 0; i < 300; i++) {
        await appendFile(path, GROWTH);
        size += GROWTH.length;
        await readTo(size);
      }
      expect(tail.unterminated).toBe(true);
      await appendFile(path, '"}\n');
      size += 3;
      await readTo(size);
      expect(events.reduce((sum, n) => sum + n, 0)).toBe(1);
      expect(tail.unterminated).toBe(false);
      expect(size).toBeGreaterThan(60_000_000);
      expect(bytesRead).toBeLessThanOrEqual(2 * size);
    } finally {
      await file.close();
    }
  });

  describe('directorySource, following', () => {
    let restore: (() => void) | undefined;
    afterEach(() => restore?.());

    it('reads a line growing in 30 appends at most twice over, and its event once complete', async () => {
      const dir = await tempDir();
      const path = await writeLogFile(dir, 'long.ndjson', OPEN_LINE);
      // Every read of an open file of the source in this process is counted.
      const prototype = OpenFile.prototype;
      const read = prototype.read;
      let bytesRead = 0;
      prototype.read = async function (this: OpenFile, ...args: Parameters<OpenFile['read']>) {
        const result = await read.apply(this, args);
        bytesRead += result.bytesRead;
        return result;
      };
      restore = () => {
        prototype.read = read;
      };

      await whileFollowing(dir, async (source) => {
        let size = OPEN_LINE.length;
        await source.waitFor(() => bytesRead >= size, 'the start of the line read');
        for (let i = 0; i < 30; i++) {
          await appendFile(path, GROWTH);
          size += GROWTH.length;
          // Read after each append: a reader that starts the line again each time reads it
          // 30 times over (about 15 times its length).
          await source.waitFor(() => bytesRead >= size, `append ${i + 1} read`);
        }
        await appendFile(path, '"}\n');
        size += 3;
        await source.waitFor(() => source.batches.length === 1, 'the completed line');
        expect(source.batches[0]!.batch.length).toBe(1);
        expect(source.problems).toEqual([]);
        expect(bytesRead).toBeLessThanOrEqual(2 * size);
      });
    });
  });
});

describe('directorySource: a stop while following', () => {
  it('reads a line without its newline on to its end as the file has it now, and completes', async () => {
    const dir = await tempDir();
    const path = await writeLogFile(dir, 'open.ndjson', `${line('a', 1)}${OPEN_LINE}`);
    const stop = new Subject<void>();
    const services: string[] = [];
    const problems: unknown[] = [];
    const done = new Promise<void>((resolve, reject) => {
      directorySource(dir, { follow: true, onProblem: (p) => problems.push(p), stop }).subscribe({
        next: (batch) => services.push(...batch.batch.services),
        error: reject,
        complete: resolve,
      });
    });
    while (services.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // Written just before the stop, before the watcher tells of it: the stop reads the rest
    // of the line held (a stop that ends it as it was read reports it invalid).
    await appendFile(path, `end"}\n${line('after', 2)}`);
    stop.next();
    await done;
    expect(problems).toEqual([]);
    expect(services.filter((service) => service === 'long')).toEqual(['long']);
    expect(services.slice(0, 2)).toEqual(['a', 'long']);
  });
});
