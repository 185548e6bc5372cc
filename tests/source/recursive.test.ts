import { appendFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { directorySource } from '../../src/source/directory.js';
import type { SourceBatch, SourceOptions, SourceProblem } from '../../src/source/types.js';
import { event, tempDir, writeLogFile } from '../support/cli.js';
import { summary } from '../support/source.js';
import { waitUntil } from '../support/wait.js';

const base = 1_767_225_600;
const line = (service: string, offset = 0) =>
  `${JSON.stringify(event(service, base + offset, 200))}\n`;

type Options = Omit<SourceOptions, 'follow' | 'onProblem'>;

async function readOnce(dir: string, options: Options) {
  const problems: SourceProblem[] = [];
  const batches = await lastValueFrom(
    directorySource(dir, { ...options, follow: false, onProblem: (p) => problems.push(p) }).pipe(
      toArray(),
    ),
  );
  return { batches, problems };
}

/** Follows `dir` while `test` runs, then stops. */
async function following(
  dir: string,
  options: Options,
  test: (seen: { batches: SourceBatch[]; problems: SourceProblem[] }) => Promise<void>,
) {
  const seen = { batches: [] as SourceBatch[], problems: [] as SourceProblem[] };
  const subscription = directorySource(dir, {
    ...options,
    follow: true,
    onProblem: (p) => seen.problems.push(p),
  }).subscribe((batch) => seen.batches.push(batch));
  try {
    await test(seen);
  } finally {
    subscription.unsubscribe();
  }
}

const filesOf = (batches: SourceBatch[]) => batches.map((batch) => batch.file);
const waitForFile = (seen: { batches: SourceBatch[]; problems: SourceProblem[] }, file: string) =>
  waitUntil(() => filesOf(seen.batches).includes(file), file, {
    seen: () =>
      ` (seen ${JSON.stringify({ files: filesOf(seen.batches), problems: seen.problems })})`,
  });

describe('directorySource --recursive', () => {
  it('reads the subdirectories, each file named by its path under the source', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, '2026/12'), { recursive: true });
    await writeLogFile(join(dir, '2026/12'), 'app.ndjson', line('deep'), 1);
    await writeLogFile(join(dir, '2026'), 'year.json', [event('year', base, 200)], 2);
    await writeLogFile(dir, 'top.jsonl', line('top'), 3);
    await writeLogFile(join(dir, '2026'), 'notes.txt', 'x', 4);
    const { batches, problems } = await readOnce(dir, { recursive: true });
    expect(problems).toEqual([]);
    expect(batches.map(summary)).toEqual([
      { index: 1, file: '2026/12/app.ndjson', services: ['deep'] },
      { index: 2, file: '2026/year.json', services: ['year'] },
      { index: 3, file: 'top.jsonl', services: ['top'] },
    ]);
    // Without --recursive: only the top, as before.
    expect(filesOf((await readOnce(dir, {})).batches)).toEqual(['top.jsonl']);
  });

  it('does not enter an excluded subdirectory, and applies include patterns to the paths', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'archive/old'), { recursive: true });
    await mkdir(join(dir, 'live'));
    await writeLogFile(join(dir, 'archive/old'), 'a.ndjson', line('archived'), 1);
    await writeLogFile(join(dir, 'live'), 'app.log', line('live'), 2);
    await writeLogFile(join(dir, 'live'), 'debug.log', line('debug'), 3);
    await writeLogFile(join(dir, 'live'), 'b.ndjson', line('ndjson'), 4);
    const { batches, problems } = await readOnce(dir, {
      recursive: true,
      include: ['live/*.log', '*.ndjson'],
      exclude: ['archive', 'debug*'],
    });
    expect(problems).toEqual([]);
    expect(filesOf(batches)).toEqual(['live/app.log', 'live/b.ndjson']);
  });

  it('never follows a symbolic link to a directory: skipped with a notice naming the link', async () => {
    const dir = await tempDir();
    const away = await tempDir();
    await writeLogFile(away, 'outside.json', [event('outside', base, 200)]);
    await mkdir(join(dir, 'sub'));
    await writeLogFile(join(dir, 'sub'), 'in.json', [event('inside', base, 200)], 1);
    await symlink(away, join(dir, 'elsewhere'));
    await symlink('sub', join(dir, 'again'));
    await symlink('in.json', join(dir, 'sub', 'alias.json'));
    // Not named as a log file, to a file: passed over silently, as any such file.
    await symlink('sub/in.json', join(dir, 'current'));
    const { batches, problems } = await readOnce(dir, { recursive: true });
    expect(filesOf(batches)).toEqual(['sub/in.json']);
    expect(problems.map(({ file, reason }) => `${file}: ${reason}`).sort()).toEqual([
      'again: skipped: a symbolic link to a directory: not followed',
      'elsewhere: skipped: a symbolic link to a directory: not followed',
    ]);
  });

  it('says once when there is nothing to read, and goes on following', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'later'));
    await writeFile(join(dir, 'app.log'), line('log'));
    await following(dir, {}, async (seen) => {
      await waitUntil(() => seen.problems.length > 0, 'the notice');
      await writeLogFile(dir, 'a.json', [event('a', base, 200)]);
      await waitForFile(seen, 'a.json');
      expect(seen.problems).toEqual([
        {
          kind: 'warning',
          file: '.',
          reason:
            'no log files here (looked for *.json, *.ndjson, *.jsonl and their .gz; 1 other file ignored; subdirectories not entered: use --recursive)',
          count: 0,
        },
      ]);
    });
  });

  it('following an empty directory is the usual start: no notice, the first file read', async () => {
    const dir = await tempDir();
    await following(dir, {}, async (seen) => {
      await writeLogFile(dir, 'a.json', [event('a', base, 200)]);
      await waitForFile(seen, 'a.json');
      expect(seen.problems).toEqual([]);
    });
    const once = await readOnce(dir, {});
    expect(once.problems).toEqual([]);
    const empty = await tempDir();
    expect((await readOnce(empty, {})).problems.map((p) => p.reason)).toEqual([
      'no log files here (looked for *.json, *.ndjson, *.jsonl and their .gz)',
    ]);
  });

  it('following: reads a subdirectory created later, its own subdirectories, and files that grow there', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'top.ndjson', line('top'));
    await following(dir, { recursive: true }, async (seen) => {
      await waitForFile(seen, 'top.ndjson');
      // Created with its file at once, before any watch of it can be set.
      await mkdir(join(dir, 'new/deeper/deepest'), { recursive: true });
      await writeFile(join(dir, 'new/deeper/deepest/a.ndjson'), line('a'));
      await waitForFile(seen, 'new/deeper/deepest/a.ndjson');
      await writeFile(join(dir, 'new/b.json'), JSON.stringify([event('b', base, 200)]));
      await waitForFile(seen, 'new/b.json');
      await appendFile(join(dir, 'new/deeper/deepest/a.ndjson'), line('a2'));
      await waitUntil(() => seen.batches.length === 4, 'the appended line');
      expect(seen.batches.at(-1)?.file).toBe('new/deeper/deepest/a.ndjson');
      expect([...(seen.batches.at(-1)?.batch.services ?? [])]).toEqual(['a2']);
      expect(seen.problems).toEqual([]);
    });
  });

  it('following: survives a subdirectory removed, and reads one created again under its name', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'sub'));
    await writeLogFile(join(dir, 'sub'), 'a.ndjson', line('first'));
    await following(dir, { recursive: true }, async (seen) => {
      await waitForFile(seen, 'sub/a.ndjson');
      await rm(join(dir, 'sub'), { recursive: true });
      await mkdir(join(dir, 'sub'));
      await writeFile(join(dir, 'sub/a.ndjson'), line('second'));
      await waitUntil(() => seen.batches.length === 2, 'the file of the new sub');
      // A subdirectory moved inside the tree: its files are the same files, not read again.
      await rename(join(dir, 'sub'), join(dir, 'moved'));
      await writeFile(join(dir, 'moved/b.ndjson'), line('third'));
      await waitForFile(seen, 'moved/b.ndjson');
      expect(seen.batches.map(summary)).toEqual([
        { index: 1, file: 'sub/a.ndjson', services: ['first'] },
        { index: 2, file: 'sub/a.ndjson', services: ['second'] },
        { index: 3, file: 'moved/b.ndjson', services: ['third'] },
      ]);
      // The new sub/a.ndjson may get the inode of the old one back: then it is told as a
      // file rewritten in place, as in the directory itself.
      const rewritten = 'truncated or rewritten: read again from the start';
      expect(seen.problems.filter((problem) => problem.reason !== rewritten)).toEqual([]);
    });
  });

  it('following: a subdirectory replaced by a link to elsewhere is not gone through', async () => {
    const dir = await tempDir();
    const away = await tempDir();
    await writeLogFile(away, 'outside.ndjson', line('outside'));
    await mkdir(join(dir, 'sub'));
    await writeLogFile(join(dir, 'sub'), 'a.ndjson', line('inside'));
    await following(dir, { recursive: true }, async (seen) => {
      await waitForFile(seen, 'sub/a.ndjson');
      await rm(join(dir, 'sub'), { recursive: true });
      await symlink(away, join(dir, 'sub'));
      await waitUntil(() => seen.problems.length > 0, 'the notice of the link');
      await appendFile(join(away, 'outside.ndjson'), line('outside', 1));
      await writeFile(join(dir, 'sentinel.ndjson'), line('sentinel'));
      await waitForFile(seen, 'sentinel.ndjson');
      expect(filesOf(seen.batches)).toEqual(['sub/a.ndjson', 'sentinel.ndjson']);
      expect(seen.problems.map(({ file, reason }) => `${file}: ${reason}`)).toEqual([
        'sub: skipped: a symbolic link to a directory: not followed',
      ]);
    });
  });
});
