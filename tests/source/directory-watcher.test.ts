import { writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryWatcher } from '../../src/source/directory-watcher.js';
import { tempDir } from '../support/cli.js';
import { waitUntil } from '../support/wait.js';

let watcher: DirectoryWatcher | undefined;
afterEach(() => {
  watcher?.close();
  watcher = undefined;
});

async function watching(dir: string) {
  const told = new Set<string>();
  const directory: boolean[] = [];
  watcher = await DirectoryWatcher.start(
    dir,
    { accepts: (name) => name.endsWith('.json'), enters: () => false },
    {
      onFile: (name) => told.add(name),
      onDirectory: (removed) => directory.push(removed),
      onError: (reason) => {
        throw new Error(reason);
      },
    },
  );
  return { told, directory };
}

describe('DirectoryWatcher', () => {
  it('tells of files that appear or change, not of others nor of those present at start', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'before.json'), '[]');
    const { told } = await watching(dir);
    writeFileSync(join(dir, 'a.json'), '[]');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    await waitUntil(() => told.has('a.json'), 'a.json');
    writeFileSync(join(dir, 'before.json'), '[ ]');
    await waitUntil(() => told.has('before.json'), 'before.json changed');
    expect([...told].sort()).toEqual(['a.json', 'before.json']);
  });

  it('finds by listing the files whose changes the kernel dropped (a full inotify queue)', async () => {
    const dir = await tempDir();
    const { told } = await watching(dir);
    // Written while this thread cannot read the watch: 2 changes each, past the kernel's
    // 16,384 queued changes, so most are dropped and only the listing can find them.
    const files = 20_000;
    for (let i = 0; i < files; i++) writeFileSync(join(dir, `f${i}.json`), '[]');
    await waitUntil(() => told.size === files, `all ${files} files told`, {
      timeoutMs: 20_000,
      seen: () => ` (told ${told.size})`,
    });
  }, 30_000);

  it('reports the directory removed and back, and tells of the files of the new one', async () => {
    const dir = join(await tempDir(), 'logs');
    await mkdir(dir);
    const { told, directory } = await watching(dir);
    await rm(dir, { recursive: true });
    await waitUntil(() => directory.length === 1, 'the removal');
    await mkdir(dir);
    await waitUntil(() => directory.length === 2, 'the return');
    writeFileSync(join(dir, 'new.json'), '[]');
    await waitUntil(() => told.has('new.json'), 'new.json');
    expect(directory).toEqual([true, false]);
  });
});
