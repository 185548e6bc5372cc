import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { SourceBatch } from '../../src/source/types.js';
import { event, tempDir, writeLogFile } from '../support/cli.js';
import { readOnce, whileFollowing } from '../support/source.js';

// The path of .json files too large to parse whole, tried on small files: in these tests any
// file above 256 bytes takes it (the real limit is 64 MiB).
vi.mock('../../src/source/json.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/source/json.js')>()),
  WHOLE_FILE_LIMIT: 256,
}));

const base = 1_767_225_600;
const eventText = (i: number) => JSON.stringify(event(`s${i % 3}`, base + i, 200));
const arrayText = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => eventText(from + k)).join(',\n  ');

const timesOf = (batches: readonly SourceBatch[]) =>
  batches.flatMap((b) => [...b.batch.times].map((t) => t - base));

describe('directorySource: a .json file above WHOLE_FILE_LIMIT', () => {
  it('is read element by element, with its invalid elements reported', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'large.json', `[\n  ${arrayText(0, 10)},\n  {"service": 7}\n]\n`);
    const { batches, problems } = await readOnce(dir);
    expect(timesOf(batches)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'invalid', file: 'large.json', count: 1 }),
    ]);
    expect(problems[0]!.reason).toContain('service is 7');
  });

  it('holding one event, not an array: reads it as the one event of the file', async () => {
    const dir = await tempDir();
    const message = `HTTP Status Code: 200 ${'x'.repeat(300)}`;
    await writeLogFile(
      dir,
      'one.json',
      `\n${JSON.stringify({ ...event('s0', base, 200), message })}\n`,
    );
    await writeLogFile(
      dir,
      'no-event.json',
      `{"service": "s1", "padding": "${'x'.repeat(300)}"}`,
      1,
    );
    const { batches, problems } = await readOnce(dir);
    expect(timesOf(batches)).toEqual([0]);
    expect(batches[0]!.batch.messages).toEqual([message]);
    expect(problems).toEqual([
      {
        kind: 'invalid',
        file: 'no-event.json',
        reason: '1 invalid event: missing timestamp (index 0)',
        count: 1,
        cause: 'missing timestamp',
        indexes: [0],
      },
    ]);
  });

  it('settled and truncated: its complete elements are read, and it is reported once', async () => {
    const dir = await tempDir();
    await writeLogFile(dir, 'cut.json', `[${arrayText(0, 6)}, {"service": "s0", "tim`);
    const { batches, problems } = await readOnce(dir);
    expect(timesOf(batches)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(problems).toEqual([
      {
        kind: 'broken',
        file: 'cut.json',
        reason: expect.stringContaining('not closed'),
        count: 0,
      },
    ]);
  });

  it('still being written: never reported, and each element read once when it grows', async () => {
    const dir = await tempDir();
    const path = join(dir, 'growing.json');
    await writeFile(path, `[${arrayText(0, 5)},`);
    await whileFollowing(dir, async ({ batches, problems, waitFor }) => {
      const elementsRead = () => timesOf(batches).length;
      await waitFor(() => elementsRead() >= 5, 'the first 5 elements');
      expect(timesOf(batches)).toEqual([0, 1, 2, 3, 4]);
      await appendFile(path, `${arrayText(5, 9)}]\n`);
      await waitFor(() => elementsRead() >= 9, 'the 4 appended elements');
      // A settled file is read no more: wait past the 2 s a broken file would take.
      await new Promise((resolve) => setTimeout(resolve, 2200));
      expect(timesOf(batches)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(problems).toEqual([]);
    });
  });
});
