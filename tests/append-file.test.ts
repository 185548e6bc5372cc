import { execFileSync, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { AppendFile } from '../src/append-file.js';
import { UsageError } from '../src/usage-error.js';
import { REPO, tempDir } from './support/cli.js';

const LABEL = '--forward out.ndjson';

/** Opens an append file whose problems are collected in `problems`. */
function openCollecting(
  path: string,
  options: { truncateTo?: number; highWaterMark?: number } = {},
) {
  const problems: string[] = [];
  const file = AppendFile.open(path, {
    label: LABEL,
    lostLines: 'events not forwarded',
    onProblem: (reason) => problems.push(reason),
    ...options,
  });
  return { file, problems };
}

const hasCommand = (command: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('AppendFile', () => {
  it('appends lines, and durableLength is the file size, ending with a newline', async () => {
    const path = join(await tempDir(), 'out.ndjson');
    const { file, problems } = openCollecting(path);
    const lines = Array.from({ length: 50_000 }, (_, i) =>
      JSON.stringify({ i, text: 'é'.repeat(i % 7) }),
    );
    for (const line of lines) file.append(line);
    const length = await file.durableLength();
    const text = await readFile(path, 'utf8');
    expect(length).toBe(Buffer.byteLength(text));
    expect(text).toBe(`${lines.join('\n')}\n`);
    await file.close();
    expect(problems).toEqual([]);
    expect(file.lost).toBe(0);
  });

  it('adds to what the file holds when no length to cut back to is given', async () => {
    const path = join(await tempDir(), 'out.ndjson');
    await writeFile(path, '{"old":1}\n');
    const { file } = openCollecting(path);
    file.append('{"new":2}');
    expect(await file.durableLength()).toBe(20);
    await file.close();
    expect(await readFile(path, 'utf8')).toBe('{"old":1}\n{"new":2}\n');
  });

  it('durableLength counts only the lines appended before it was called', async () => {
    const path = join(await tempDir(), 'out.ndjson');
    const { file } = openCollecting(path);
    file.append('{"a":1}');
    const beforeSecond = file.durableLength();
    file.append('{"b":2}');
    expect(await beforeSecond).toBe(8);
    expect(await file.durableLength()).toBe(16);
    await file.close();
    expect(await readFile(path, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
  });

  it('cuts the file back to truncateTo before adding anything', async () => {
    const path = join(await tempDir(), 'out.ndjson');
    await writeFile(path, '{"a":1}\n{"b":2}\n{"c":3}\n');
    const { file } = openCollecting(path, { truncateTo: 16 });
    expect(await file.durableLength()).toBe(16);
    file.append('{"d":4}');
    await file.close();
    expect(await readFile(path, 'utf8')).toBe('{"a":1}\n{"b":2}\n{"d":4}\n');
  });

  it('refuses a file shorter than truncateTo, naming it, and leaves it as it was', async () => {
    const path = join(await tempDir(), 'out.ndjson');
    await writeFile(path, '{"a":1}\n');
    const opening = () => openCollecting(path, { truncateTo: 16 });
    expect(opening).toThrow(UsageError);
    expect(opening).toThrow(`${LABEL}: 8 bytes long, shorter than the 16 bytes to resume from`);
    expect(await readFile(path, 'utf8')).toBe('{"a":1}\n');
  });

  it('refuses a file it cannot open, naming it and the reason', async () => {
    const path = join(await tempDir(), 'missing', 'out.ndjson');
    expect(() => openCollecting(path)).toThrow(
      new UsageError(`${LABEL}: no such file or directory (ENOENT)`),
    );
  });

  it('on a full device (/dev/full) reports once, counts the lines lost, goes on and closes', async () => {
    const { file, problems } = openCollecting('/dev/full');
    for (let i = 0; i < 12; i++) file.append(`{"i":${i}}`);
    expect(await file.durableLength()).toBe(0);
    expect(problems).toEqual([
      `no space left on device (ENOSPC): 12 events not forwarded so far, counting`,
    ]);
    for (let i = 0; i < 30; i++) file.append(`{"i":${i}}`);
    await file.ready();
    expect(file.lost).toBe(42);
    await file.close();
    expect(problems).toEqual([
      `no space left on device (ENOSPC): 12 events not forwarded so far, counting`,
      `42 events not forwarded in all`,
    ]);
  });

  it.skipIf(!hasCommand('prlimit'))(
    'after a write cut short by a file size limit, the file ends with its last whole line',
    async () => {
      // RLIMIT_FSIZE makes the kernel write only up to the limit, then fail (EFBIG): a real
      // partial write, in a child process so no other file of the test run is limited.
      const dir = await tempDir();
      const module = join(dir, 'append-file.mjs');
      await build({
        entryPoints: [join(REPO, 'src/append-file.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: module,
        logLevel: 'silent',
      });
      const path = join(dir, 'out.ndjson');
      const script = `
      const { AppendFile } = await import(${JSON.stringify(module)});
      const problems = [];
      const file = AppendFile.open(${JSON.stringify(path)}, {
        label: 'out', onProblem: (reason) => problems.push(reason),
      });
      const line = (i) => JSON.stringify({ i, padding: 'x'.repeat(40) });
      for (let i = 0; i < 20; i++) file.append(line(i));
      const whole = await file.durableLength();
      for (let i = 20; i < 400; i++) file.append(line(i));
      const after = await file.durableLength();
      await file.close();
      console.log(JSON.stringify({ whole, after, lost: file.lost, problems }));
    `;
      const limit = 4096;
      const child = spawn('prlimit', [
        `--fsize=${limit}`,
        process.execPath,
        '--input-type=module',
        '-e',
        script,
      ]);
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code).toBe(0);
      const result = JSON.parse(stdout) as {
        whole: number;
        after: number;
        lost: number;
        problems: string[];
      };
      const text = await readFile(path, 'utf8');
      // The second chunk crossed the limit, so part of it was written before the failure.
      expect(result.whole).toBeLessThan(limit);
      expect(result.whole + 380 * 58).toBeGreaterThan(limit);
      expect(Buffer.byteLength(text)).toBe(result.whole);
      expect(result.after).toBe(result.whole);
      expect(text.split('\n')).toHaveLength(21);
      expect(text.endsWith('\n')).toBe(true);
      expect(result.lost).toBe(380);
      expect(result.problems).toEqual([
        'file too large (EFBIG): 380 lines not written so far, counting',
        '380 lines not written in all',
      ]);
    },
  );

  it.skipIf(!hasCommand('python3'))(
    'on an I/O error (EIO, a terminal hung up) reports once, counts the lines lost and closes',
    async () => {
      // Writing to a pseudo-terminal whose other end is gone fails with EIO, a real one.
      const holder = spawn('python3', [
        '-c',
        'import os, pty, sys\nm, s = pty.openpty()\nprint(os.ttyname(s), flush=True)\nsys.stdin.readline()',
      ]);
      holder.stdout.setEncoding('utf8');
      const tty = await new Promise<string>((resolve) =>
        holder.stdout.once('data', (name: string) => resolve(name.trim())),
      );
      const { file, problems } = openCollecting(tty);
      holder.stdin.end('\n');
      await new Promise((resolve) => holder.on('close', resolve));
      file.append('{"a":1}');
      file.append('{"b":2}');
      await file.durableLength();
      file.append('{"c":3}');
      await file.close();
      expect(problems).toEqual([
        `i/o error (EIO): 2 events not forwarded so far, counting`,
        `3 events not forwarded in all`,
      ]);
      expect(file.lost).toBe(3);
    },
  );

  it('ready holds the producer back while writes cannot keep up, and lets it go once they do', async () => {
    // A FIFO nobody reads yet: writes block for real once the pipe is full.
    const fifo = join(await tempDir(), 'slow.ndjson');
    execFileSync('mkfifo', [fifo]);
    const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const { file, problems } = openCollecting(fifo, { highWaterMark: 64 * 1024 });
    const line = 'x'.repeat(1023);
    for (let i = 0; i < 512; i++) file.append(line);
    let ready = false;
    const waiting = file.ready().then(() => {
      ready = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ready).toBe(false);
    let read = 0;
    const buffer = Buffer.alloc(64 * 1024);
    while (read < 512 * 1024) {
      try {
        read += (await reader.read(buffer, 0, buffer.length, null)).bytesRead;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (read >= 448 * 1024) await waiting;
    }
    expect(ready).toBe(true);
    await file.close();
    await reader.close();
    expect(read).toBe(512 * 1024);
    expect(problems).toEqual([]);
  });
});
