import { appendFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { directorySource } from '../../src/source/directory.js';
import { FileCursors } from '../../src/source/file-cursors.js';
import { compressedLines, GzipError } from '../../src/source/gzip.js';
import { WHOLE_FILE_LIMIT } from '../../src/source/json.js';
import { OpenFile } from '../../src/source/open-file.js';
import type { SourceProblem } from '../../src/source/types.js';
import { WorkerPool } from '../../src/threads/worker-pool.js';
import { event, tempDir, writeLogFile } from '../support/cli.js';
import { readOnce, summary } from '../support/source.js';

const base = 1_767_225_600;
const line = (service: string, offset: number, status: number | null = 200) =>
  `${JSON.stringify(event(service, base + offset, status))}\n`;
const lines = (service: string, count: number) =>
  Array.from({ length: count }, (_, i) => line(service, i)).join('');

/** Reads `dir` once with `cursors` (a resumed run's), the batches and problems. */
async function readWith(dir: string, cursors: FileCursors, pool?: WorkerPool) {
  const problems: SourceProblem[] = [];
  const batches = await lastValueFrom(
    directorySource(dir, { follow: false, onProblem: (p) => problems.push(p), cursors, pool }).pipe(
      toArray(),
    ),
  );
  return { batches, problems };
}

const eventsOf = (batches: { batch: { length: number } }[]) =>
  batches.reduce((sum, b) => sum + b.batch.length, 0);

describe('compressedLines', () => {
  it('numbers the decompressed lines, and goes on from a decompressed offset', async () => {
    const dir = await tempDir();
    const text = `${line('a', 0)}\nnot json\n${line('a', 1)}${line('a', 2).trimEnd()}`;
    const path = await writeLogFile(dir, 'x.ndjson.gz', gzipSync(text));
    const handle = OpenFile.open(path);
    try {
      const { size } = handle.stat();
      const chunks = [];
      for await (const chunk of compressedLines(handle, size, { offset: 0, lines: 0 })) {
        chunks.push(chunk);
      }
      expect(chunks).toHaveLength(1);
      expect(chunks[0]!.batch.length).toBe(3); // The last line ends with the stream.
      expect(chunks[0]!.invalid.map((invalid) => invalid.position)).toEqual([{ line: 3 }]);
      expect(chunks[0]!.offset).toBe(Buffer.byteLength(text));
      // From after the first two lines (one blank): the rest, numbered as in the file.
      const from = { offset: line('a', 0).length + 1, lines: 2 };
      const rest = [];
      for await (const chunk of compressedLines(handle, size, from)) rest.push(chunk);
      expect(rest[0]!.batch.length).toBe(2);
      expect(rest[0]!.invalid.map((invalid) => invalid.position)).toEqual([{ line: 3 }]);
      expect(rest[0]!.lines).toBe(5);
    } finally {
      handle.close();
    }
  });

  it('yields the complete lines of a cut-short file, then fails with the reason', async () => {
    const dir = await tempDir();
    const whole = gzipSync(lines('a', 2000));
    const path = await writeLogFile(dir, 'x.ndjson.gz', whole.subarray(0, whole.length - 200));
    const handle = OpenFile.open(path);
    let read = 0;
    let failure: unknown;
    try {
      for await (const chunk of compressedLines(handle, handle.stat().size, {
        offset: 0,
        lines: 0,
      })) {
        read += chunk.batch.length;
      }
    } catch (error) {
      failure = error;
    } finally {
      handle.close();
    }
    expect(failure).toBeInstanceOf(GzipError);
    expect((failure as Error).message).toBe('not a complete gzip file (unexpected end of file)');
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(2000);
  });
});

describe('directorySource: compressed files', () => {
  it('reads .ndjson.gz, .jsonl.gz and .json.gz as their plain forms, in order, with line numbers', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'a.ndjson.gz', gzipSync(`${line('a', 0)}oops\n${line('a', 1)}`), 1);
    await writeLogFile(dir, 'b.jsonl.gz', gzipSync(line('b', 0)), 2);
    const document = JSON.stringify([event('c', base, 200), { service: 'c' }]);
    await writeLogFile(dir, 'c.json.gz', gzipSync(document), 3);
    const { batches, problems } = await readOnce(dir);
    expect(batches.map(summary)).toEqual([
      { index: 1, file: 'a.ndjson.gz', services: ['a', 'a'] },
      { index: 2, file: 'b.jsonl.gz', services: ['b'] },
      { index: 3, file: 'c.json.gz', services: ['c'] },
    ]);
    expect(
      problems.map(({ kind, file, lines, indexes }) => ({ kind, file, lines, indexes })),
    ).toEqual([
      { kind: 'invalid', file: 'a.ndjson.gz', lines: [2], indexes: undefined },
      { kind: 'invalid', file: 'c.json.gz', lines: undefined, indexes: [1] },
    ]);
  });

  it('reports a file that is not gzip, or cut short, with its name once settled; the others are read', async () => {
    const dir = await tempDir();
    const whole = gzipSync(lines('cut', 100));
    await writeLogFile(dir, 'cut.ndjson.gz', whole.subarray(0, 40), 1);
    await writeLogFile(dir, 'fake.json.gz', '[]', 2);
    await writeLogFile(dir, 'empty.ndjson.gz', '', 3);
    await writeLogFile(dir, 'fine.ndjson.gz', gzipSync(lines('fine', 3)), 4);
    const { batches, problems } = await readOnce(dir);
    expect(batches.map(summary)).toEqual([
      { index: 1, file: 'fine.ndjson.gz', services: ['fine', 'fine', 'fine'] },
    ]);
    expect(problems).toEqual([
      {
        kind: 'broken',
        file: 'cut.ndjson.gz',
        reason: 'not a complete gzip file (unexpected end of file)',
        count: 0,
      },
      {
        kind: 'broken',
        file: 'fake.json.gz',
        reason: 'not valid gzip (incorrect header check)',
        count: 0,
      },
      { kind: 'broken', file: 'empty.ndjson.gz', reason: 'empty file', count: 0 },
    ]);
  });

  it('reads a cut-short file still being written once complete, each line once', async () => {
    const dir = await tempDir();
    const whole = gzipSync(lines('w', 3000));
    const path = join(dir, 'w.ndjson.gz');
    // Just written: --once waits for it to settle, and it completes meanwhile.
    await writeFile(path, whole.subarray(0, Math.floor(whole.length / 2)));
    const reading = readOnce(dir);
    setTimeout(() => void appendFile(path, whole.subarray(Math.floor(whole.length / 2))), 300);
    const { batches, problems } = await reading;
    expect(problems).toEqual([]);
    expect(eventsOf(batches)).toBe(3000);
  });

  it('reports a .json.gz over the whole-file limit decompressed as too large', async () => {
    const dir = await tempDir();
    // Compresses to about 64 KiB: zeros inside one string.
    const huge = Buffer.alloc(WHOLE_FILE_LIMIT + 10, 0x20);
    huge[0] = 0x5b;
    huge[huge.length - 1] = 0x5d;
    await writeLogFile(dir, 'huge.json.gz', gzipSync(huge, { level: 1 }), 1);
    await writeLogFile(dir, 'ok.json', [event('ok', base, 200)], 2);
    const { batches, problems } = await readOnce(dir);
    expect(batches.map(summary)).toEqual([{ index: 1, file: 'ok.json', services: ['ok'] }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'broken', file: 'huge.json.gz' });
    expect(problems[0]!.reason).toMatch(/^too large: over 64 MiB decompressed/);
  });

  it('reads a finished file once: not again on resume, not when it changes, again when replaced', async () => {
    const dir = await tempDir();
    const path = await writeLogFile(dir, 'a.ndjson.gz', gzipSync(lines('a', 5)), 1);
    await writeLogFile(dir, 'b.json.gz', gzipSync(JSON.stringify([event('b', base, 200)])), 2);
    const cursors = new FileCursors();
    expect(eventsOf((await readWith(dir, cursors)).batches)).toBe(6);

    // A resumed run: the checkpoint's cursors, through their JSON.
    const resumed = FileCursors.decode(JSON.parse(JSON.stringify(cursors.encode())));
    expect(await readWith(dir, resumed)).toEqual({ batches: [], problems: [] });

    // Appended to (another gzip member): the same file, changed; told once, not read.
    await appendFile(path, gzipSync(lines('more', 2)));
    const changed = await readWith(dir, resumed);
    expect(changed.batches).toEqual([]);
    expect(changed.problems).toEqual([
      {
        kind: 'warning',
        file: 'a.ndjson.gz',
        reason:
          'changed after it was read: a compressed file is read once (a new file in its place is read)',
        count: 0,
      },
    ]);
    await utimes(path, base, base);
    expect(await readWith(dir, resumed)).toEqual({ batches: [], problems: [] });

    // Replaced by a new file (rotation): read from its start.
    await writeFile(join(dir, 'new.tmp'), gzipSync(lines('c', 4)));
    await rename(join(dir, 'new.tmp'), path);
    const replaced = await readWith(dir, resumed);
    expect(replaced.problems).toEqual([]);
    expect(replaced.batches.map(summary)).toEqual([
      { index: 1, file: 'a.ndjson.gz', services: ['c', 'c', 'c', 'c'] },
    ]);
  });

  it('renamed (rotated) after it was read, is not read again', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'app.1.ndjson.gz', gzipSync(lines('a', 5)), 1);
    const cursors = new FileCursors();
    expect(eventsOf((await readWith(dir, cursors)).batches)).toBe(5);
    await rename(join(dir, 'app.1.ndjson.gz'), join(dir, 'app.2.ndjson.gz'));
    expect(await readWith(dir, cursors)).toEqual({ batches: [], problems: [] });
    expect(cursors.named('app.2.ndjson.gz')?.signature).not.toBeNull();
  });

  it('decompresses a .json.gz on a reader thread as on the main thread', async () => {
    const pool = WorkerPool.create(2);
    expect(pool).toBeDefined();
    try {
      const dir = await tempDir();
      for (let i = 0; i < 6; i++) {
        const document = [event(`s${i}`, base, 200), event(`s${i}`, base + 1, 500), { no: i }];
        await writeLogFile(dir, `f${i}.json.gz`, gzipSync(JSON.stringify(document)), i);
      }
      await writeLogFile(dir, 'z-cut.json.gz', gzipSync('[]').subarray(0, 10), 10);
      const threads = await readWith(dir, new FileCursors(), pool);
      const main = await readWith(dir, new FileCursors());
      expect(threads.batches.map(summary)).toEqual(main.batches.map(summary));
      expect(threads.problems).toEqual(main.problems);
      expect(eventsOf(threads.batches)).toBe(12);
      expect(threads.problems.at(-1)).toMatchObject({ kind: 'broken', file: 'z-cut.json.gz' });
      expect((await stat(join(dir, 'f0.json.gz'))).isFile()).toBe(true);
    } finally {
      await pool?.terminate();
    }
  });
});
