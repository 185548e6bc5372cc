import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BloomFilter } from '../operators/bloom-filter.js';
import {
  BloomFileError,
  buildFilterFromPatterns,
  countPatterns,
  DEFAULT_BLOOM_CAPACITY,
  loadFilter,
  readPatterns,
  saveFilter,
} from '../src/bloom-file.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logstream-bloom-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function patternsOf(path: string): Promise<string[]> {
  const patterns: string[] = [];
  const count = await readPatterns(path, (pattern) => patterns.push(pattern));
  expect(count).toBe(patterns.length);
  return patterns;
}

async function fileWith(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('readPatterns', () => {
  it('reads one pattern per line: CRLF stripped, blank lines skipped, the rest verbatim', async () => {
    const path = await fileWith(
      'patterns.txt',
      '\uFEFFHTTP Status Code: 500\r\n\r\n  \t \r\nSomething else\n\n  padded  \r\nlast line, no newline',
    );
    expect(await patternsOf(path)).toEqual([
      'HTTP Status Code: 500',
      'Something else',
      '  padded  ',
      'last line, no newline',
    ]);
    expect(await countPatterns(path)).toBe(4);
  });

  it('strips only the one \\r of a CRLF and keeps a \\r inside a line', async () => {
    const path = await fileWith('cr.txt', 'a\rb\r\r\nc\r\n');
    expect(await patternsOf(path)).toEqual(['a\rb\r', 'c']);
  });

  it('keeps multi-byte characters and lines whole across 1 MiB read chunks', async () => {
    // 'x' then 'é' (2 bytes) puts a character across the 1 MiB boundary; the long line spans
    // three chunks; a CRLF is split between two chunks.
    const straddling = `x${'é'.repeat(600_000)}`;
    const long = `${'🚀'.repeat(700_000)}`;
    const crlfSplit = `${'a'.repeat((1 << 20) * 4 - 1)}`;
    const content = `${straddling}\n${long}\nshort\n`;
    const path = await fileWith('big.txt', content);
    expect(await patternsOf(path)).toEqual([straddling, long, 'short']);
    const split = await fileWith('split.txt', `${crlfSplit}\r\nnext\r\n`);
    const patterns = await patternsOf(split);
    expect(patterns.map((p) => p.length)).toEqual([crlfSplit.length, 4]);
  });

  it('reads an empty file as no patterns', async () => {
    expect(await countPatterns(await fileWith('empty.txt', ''))).toBe(0);
    expect(await countPatterns(await fileWith('blank.txt', '\n\r\n  \n'))).toBe(0);
  });

  it('names the file when it is missing or a directory', async () => {
    const missing = join(dir, 'nope.txt');
    await expect(countPatterns(missing)).rejects.toThrow(`bloom patterns ${missing}: no such file`);
    await expect(countPatterns(missing)).rejects.toBeInstanceOf(BloomFileError);
    await expect(countPatterns(dir)).rejects.toThrow(`bloom patterns ${dir}: is a directory`);
  });

  it('lets errors of the callback through unchanged', async () => {
    const path = await fileWith('p.txt', 'a\nb\n');
    const failure = new Error('stop');
    await expect(
      readPatterns(path, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });
});

describe('buildFilterFromPatterns', () => {
  const lines = Array.from(
    { length: 5000 },
    (_, i) => `HTTP Status Code: ${500 + (i % 100)} #${i}`,
  );

  it('sizes optimally for the pattern count and the rate when the patterns outnumber the capacity, and holds every pattern', async () => {
    const path = await fileWith('p.txt', `${lines.join('\r\n')}\r\n\r\n`);
    const filter = await buildFilterFromPatterns(path, { falsePositiveRate: 0.001, capacity: 10 });
    expect({ bits: filter.bits, hashes: filter.hashes }).toEqual(
      BloomFilter.optimalSize(5000, 0.001),
    );
    expect(filter.count).toBe(5000);
    for (const line of lines) expect(filter.has(line)).toBe(true);
    expect(filter.has('HTTP Status Code: 500 #5000')).toBe(false);
  });

  it('defaults to a 1 % rate for 100,000 messages', async () => {
    const path = await fileWith('p.txt', lines.join('\n'));
    const filter = await buildFilterFromPatterns(path);
    expect({ bits: filter.bits, hashes: filter.hashes }).toEqual(
      BloomFilter.optimalSize(DEFAULT_BLOOM_CAPACITY, 0.01),
    );
    const sized = await buildFilterFromPatterns(path, { capacity: 20_000 });
    expect(sized.bits).toBe(BloomFilter.optimalSize(20_000, 0.01).bits);
  });

  it('uses explicit bits and hashes, and the optimal value for whichever is missing', async () => {
    const path = await fileWith('p.txt', lines.join('\n'));
    const exact = await buildFilterFromPatterns(path, { bits: 8192, hashes: 3 });
    expect([exact.bits, exact.hashes, exact.count]).toEqual([8192, 3, 5000]);
    // Hashes optimal for the capacity, not for the 5,000 patterns a filter is first filled with.
    const bitsOnly = await buildFilterFromPatterns(path, { bits: 1_000_000 });
    expect([bitsOnly.bits, bitsOnly.hashes]).toEqual([1_000_000, 7]); // round(10 · ln 2)
    const forPatterns = await buildFilterFromPatterns(path, { bits: 100_000, capacity: 1 });
    expect([forPatterns.bits, forPatterns.hashes]).toEqual([100_000, 14]); // round(20 · ln 2)
    const hashesOnly = await buildFilterFromPatterns(path, { hashes: 2 });
    expect([hashesOnly.bits, hashesOnly.hashes]).toEqual([
      BloomFilter.optimalSize(DEFAULT_BLOOM_CAPACITY, 0.01).bits,
      2,
    ]);
  });

  it('refuses to size a filter for a file without patterns, naming it', async () => {
    const path = await fileWith('blank.txt', '\n\n');
    await expect(buildFilterFromPatterns(path)).rejects.toThrow(
      `bloom patterns ${path}: no patterns (the file is empty or has only blank lines)`,
    );
    const empty = await buildFilterFromPatterns(path, { bits: 64, hashes: 2 });
    expect([empty.count, empty.has('')]).toEqual([0, false]);
  });

  it('names a missing pattern file and rejects bad sizes with a RangeError', async () => {
    const missing = join(dir, 'data', 'x.txt');
    await expect(buildFilterFromPatterns(missing, { bits: 64, hashes: 1 })).rejects.toThrow(
      `bloom patterns ${missing}: no such file`,
    );
    await expect(buildFilterFromPatterns(missing)).rejects.toThrow(/no such file/);
    const path = await fileWith('p.txt', 'a\n');
    await expect(buildFilterFromPatterns(path, { bits: 0, hashes: 1 })).rejects.toThrow(RangeError);
    await expect(buildFilterFromPatterns(path, { falsePositiveRate: 2 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('saveFilter and loadFilter', () => {
  function sampleFilter(): BloomFilter {
    const filter = BloomFilter.optimal(2000, 0.01);
    for (let i = 0; i < 2000; i++) filter.add(`wanted ${i} ✓`);
    return filter;
  }

  it('round-trip: same parameters, count and answers, and no temporary file left', async () => {
    const original = sampleFilter();
    const path = join(dir, 'filter.bloom');
    await saveFilter(original, path);
    const loaded = await loadFilter(path);
    expect([loaded.bits, loaded.hashes, loaded.count, loaded.setBits]).toEqual([
      original.bits,
      original.hashes,
      original.count,
      original.setBits,
    ]);
    let positives = 0;
    for (let i = 0; i < 4000; i++) {
      const probe = `wanted ${i} ✓`;
      expect(loaded.has(probe)).toBe(original.has(probe));
      if (i < 2000) expect(loaded.has(probe)).toBe(true);
      else if (loaded.has(probe)) positives++;
    }
    expect(positives).toBeLessThan(100);
    expect(await readdir(dir)).toEqual(['filter.bloom']);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'filter.bloom');
    await writeFile(path, 'old content');
    await saveFilter(BloomFilter.withSize(64, 1), path);
    expect((await loadFilter(path)).bits).toBe(64);
    expect(await readdir(dir)).toEqual(['filter.bloom']);
  });

  it('builds from patterns, saves and loads the same filter (what `bloom build` does)', async () => {
    const patterns = await fileWith('p.txt', 'HTTP Status Code: 500\nSomething else\n');
    const path = join(dir, 'out.bloom');
    await saveFilter(await buildFilterFromPatterns(patterns), path);
    const loaded = await loadFilter(path);
    expect(loaded.has('HTTP Status Code: 500')).toBe(true);
    expect(loaded.has('Something else')).toBe(true);
    expect(loaded.count).toBe(2);
  });

  it('names the file when saving into a missing directory, and leaves nothing behind', async () => {
    const path = join(dir, 'missing', 'f.bloom');
    await expect(saveFilter(BloomFilter.withSize(8, 1), path)).rejects.toThrow(
      `bloom filter ${path}: no such directory ${join(dir, 'missing')}`,
    );
    const target = join(dir, 'taken');
    await mkdir(target);
    await expect(saveFilter(BloomFilter.withSize(8, 1), target)).rejects.toThrow(
      `bloom filter ${target}:`,
    );
    expect((await readdir(dir)).sort()).toEqual(['taken']);
  });

  it('names the file when loading a missing, truncated or foreign file', async () => {
    const missing = join(dir, 'none.bloom');
    await expect(loadFilter(missing)).rejects.toThrow(`bloom filter ${missing}: no such file`);

    const path = join(dir, 'f.bloom');
    await saveFilter(sampleFilter(), path);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 10));
    await expect(loadFilter(path)).rejects.toThrow(
      new RegExp(
        `^bloom filter ${escapeRegExp(path)}: corrupt Bloom filter: \\d+ bits need \\d+ bytes`,
      ),
    );
    const foreign = await fileWith('patterns.txt', 'HTTP Status Code: 500\n');
    await expect(loadFilter(foreign)).rejects.toThrow(
      `bloom filter ${foreign}: not a Bloom filter: starts with "HTTP", not "LSBF"`,
    );
    const future = Buffer.from(bytes);
    future.writeUInt32LE(2, 4);
    await writeFile(path, future);
    await expect(loadFilter(path)).rejects.toThrow(
      `bloom filter ${path}: unsupported Bloom filter format version 2`,
    );
    await expect(loadFilter(path)).rejects.toBeInstanceOf(BloomFileError);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
