import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordsOf, runCli, tempDir } from '../support/cli.js';

describe('--forward and --late-output faults', () => {
  it('Task 4: a full disk under --forward (/dev/full) is reported once, and the run goes on counting', async () => {
    const args = ['run', '--once', 'data', '--task', 'bloom'];
    const forward = join(await tempDir(), 'forwarded.ndjson');
    const healthy = await runCli([...args, '--forward', forward]);
    const full = await runCli([...args, '--forward', '/dev/full']);
    expect(full.code).toBe(0);
    // The filter's counts do not depend on where the forwarded events go.
    expect(recordsOf(full, 'bloom')).toEqual(recordsOf(healthy, 'bloom'));
    const forwarded = recordsOf(healthy, 'bloom').at(-1)?.forwarded as number;
    expect(forwarded).toBeGreaterThan(0);
    expect((await readFile(forward, 'utf8')).split('\n')).toHaveLength(forwarded + 1);
    const lines = full.stderr.trim().split('\n');
    expect(lines.filter((line) => /no space left on device \(ENOSPC\)/.test(line))).toEqual([
      expect.stringMatching(
        /^logstream: --forward \/dev\/full: no space left on device \(ENOSPC\): \d+ events not forwarded so far, counting$/,
      ),
    ]);
    expect(lines.at(-1)).toBe(
      `logstream: --forward /dev/full: ${forwarded} events not forwarded in all`,
    );
    expect(lines).toHaveLength(2);
  });

  it('Tasks 2 and 6: a full disk under --late-output is reported once, and the run goes on counting', async () => {
    const args = ['run', '--once', 'data', '--task', 'sliding-window,keyed-windows'];
    const late = join(await tempDir(), 'late.ndjson');
    const healthy = await runCli([...args, '--late-output', late]);
    const full = await runCli([...args, '--late-output', '/dev/full']);
    expect(full.code).toBe(0);
    expect(full.records).toEqual(healthy.records);
    const written = (await readFile(late, 'utf8')).split('\n').filter(Boolean).length;
    expect(written).toBeGreaterThan(0);
    const lines = full.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /^logstream: --late-output \/dev\/full: no space left on device \(ENOSPC\): \d+ late events not written so far, counting$/,
      ),
      `logstream: --late-output /dev/full: ${written} late events not written in all`,
    ]);
  });
});
