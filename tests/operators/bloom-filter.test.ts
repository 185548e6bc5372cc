import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BloomFilter } from '../../operators/bloom-filter.js';
import { createRandom } from '../../operators/random.js';

const SEED = 20_240_611;

/** Any UTF-16 string, lone surrogates included: JavaScript strings are not always valid text. */
const anyCodeUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
});
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  anyCodeUnits,
);

function randomWord(random: () => number, length: number): string {
  let word = '';
  for (let i = 0; i < length; i++) word += String.fromCharCode(97 + Math.floor(random() * 26));
  return word;
}

describe('BloomFilter sizing', () => {
  it('sizes optimally as the usual calculators do (n = 1M: 9,585,059 bits/7 and 14,377,588 bits/10)', () => {
    expect(BloomFilter.optimalSize(1_000_000, 0.01)).toEqual({ bits: 9_585_059, hashes: 7 });
    expect(BloomFilter.optimalSize(1_000_000, 0.001)).toEqual({ bits: 14_377_588, hashes: 10 });
    const filter = BloomFilter.optimal(1_000_000, 0.01);
    expect([filter.bits, filter.hashes, filter.count, filter.setBits]).toEqual([
      9_585_059, 7, 0, 0,
    ]);
  });

  it('uses at least one hash even when the rate asks for almost none', () => {
    expect(BloomFilter.optimalSize(10, 0.9).hashes).toBe(1);
  });

  it('rejects sizes and rates out of range with a RangeError naming the parameter', () => {
    expect(() => BloomFilter.withSize(0, 3)).toThrow(/bits must be an integer from 1/);
    expect(() => BloomFilter.withSize(1.5, 3)).toThrow(RangeError);
    expect(() => BloomFilter.withSize(2 ** 32 + 1, 3)).toThrow(RangeError);
    expect(() => BloomFilter.withSize(Number.NaN, 3)).toThrow(RangeError);
    expect(() => BloomFilter.withSize(64, 0)).toThrow(/hashes must be an integer from 1/);
    expect(() => BloomFilter.withSize(64, 2.5)).toThrow(RangeError);
    expect(() => BloomFilter.optimal(0, 0.01)).toThrow(/expectedItems/);
    expect(() => BloomFilter.optimal(-5, 0.01)).toThrow(RangeError);
    for (const rate of [0, 1, -0.1, 1.5, Number.NaN]) {
      expect(() => BloomFilter.optimal(10, rate)).toThrow(/falsePositiveRate must be in \(0, 1\)/);
    }
    expect(() => BloomFilter.optimal(1e9, 1e-6)).toThrow(/more than the maximum of 2\^32/);
  });
});

describe('BloomFilter membership', () => {
  it('never forgets an added string, whatever the text and the size (property)', () => {
    fc.assert(
      fc.property(
        fc.array(anyText, { maxLength: 200 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 20 }),
        (texts, bits, hashes) => {
          const filter = BloomFilter.withSize(bits, hashes);
          for (const text of texts) filter.add(text);
          expect(filter.count).toBe(texts.length);
          for (const text of texts) expect(filter.has(text)).toBe(true);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('hashes by content: the same text built in different ways tests positive', () => {
    const text = 'Ünïcödé HTTP Status Code: 503 — 🚀 façade \u{10FFFF}';
    const filter = BloomFilter.withSize(4096, 5);
    filter.add(text);
    const half = Math.floor(text.length / 2);
    const rebuilt = [
      text.slice(0, half) + text.slice(half),
      JSON.parse(JSON.stringify(text)) as string,
      Buffer.from(text, 'utf8').toString('utf8'),
      String.fromCharCode(...Array.from({ length: text.length }, (_, i) => text.charCodeAt(i))),
      `xx${text}xx`.slice(2, -2),
      [...text].join(''),
    ];
    for (const copy of rebuilt) expect(filter.has(copy)).toBe(true);
  });

  it('answers the same in two filters of the same size fed the same strings', () => {
    const random = createRandom(SEED);
    const make = () => {
      const filter = BloomFilter.withSize(2000, 4);
      for (let i = 0; i < 300; i++) filter.add(`pattern ${i}`);
      return filter;
    };
    const [a, b] = [make(), make()];
    let positives = 0;
    for (let i = 0; i < 5000; i++) {
      const probe = randomWord(random, 1 + (i % 12));
      expect(a.has(probe)).toBe(b.has(probe));
      if (a.has(probe)) positives++;
    }
    // A filter that answered "yes" to everything would also pass the line above.
    expect(positives).toBeLessThan(5000 * 0.5);
  });

  it('tells apart strings that differ in one code unit, order or normalization', () => {
    const filter = BloomFilter.withSize(1 << 20, 7);
    filter.add('HTTP Status Code: 500');
    filter.add('é'); // NFC, one code unit
    expect(filter.has('HTTP Status Code: 501')).toBe(false);
    expect(filter.has('HTTP Status Code: 500 ')).toBe(false);
    expect(filter.has('HTTP Status Code: 050')).toBe(false);
    expect(filter.has('e\u0301')).toBe(false); // NFD, two code units
    expect(filter.has('')).toBe(false);
  });

  it('works with the empty string and with a one-bit filter', () => {
    const filter = BloomFilter.withSize(64, 3);
    filter.add('');
    expect(filter.has('')).toBe(true);
    const tiny = BloomFilter.withSize(1, 4);
    expect(tiny.has('x')).toBe(false);
    tiny.add('y');
    expect([tiny.has('x'), tiny.setBits, tiny.expectedFalsePositiveRate()]).toEqual([true, 1, 1]);
  });

  it('addresses filters of up to 2^32 bits (indexes past 2^31 stay positive and exact)', () => {
    // The array is zero-filled lazily by the OS: only the pages touched here cost memory.
    const filter = BloomFilter.withSize(2 ** 32, 7);
    const random = createRandom(SEED);
    const added = Array.from({ length: 2000 }, (_, i) => `${randomWord(random, 8)}-${i}`);
    for (const text of added) filter.add(text);
    for (const text of added) expect(filter.has(text)).toBe(true);
    expect(filter.setBits).toBeGreaterThan(2000 * 7 - 5);
    let positives = 0;
    for (let i = 0; i < 2000; i++) if (filter.has(`absent-${i}`)) positives++;
    expect(positives).toBe(0);
  });
});

describe('BloomFilter false-positive rate', () => {
  it('estimates the rate from the fill: 0 when empty, the textbook value once filled', () => {
    const filter = BloomFilter.withSize(95_851, 7);
    expect(filter.expectedFalsePositiveRate()).toBe(0);
    for (let i = 0; i < 10_000; i++) filter.add(`item ${i}`);
    const textbook = (1 - Math.exp((-7 * 10_000) / 95_851)) ** 7;
    expect(filter.expectedFalsePositiveRate()).toBeGreaterThan(textbook * 0.97);
    expect(filter.expectedFalsePositiveRate()).toBeLessThan(textbook * 1.03);
    expect(filter.expectedFalsePositiveRate()).toBe((filter.setBits / 95_851) ** 7);
  });

  it('counts duplicates as items but not as fill', () => {
    const filter = BloomFilter.withSize(1024, 4);
    filter.add('same');
    const [bits, rate] = [filter.setBits, filter.expectedFalsePositiveRate()];
    filter.add('same');
    expect([filter.count, filter.setBits, filter.expectedFalsePositiveRate()]).toEqual([
      2,
      bits,
      rate,
    ]);
  });

  it.each([
    { target: 0.01, probes: 1_000_000 },
    { target: 0.001, probes: 2_000_000 },
  ])(
    'measures within 10 percent of the target p = $target with 1M patterns sized optimally',
    ({ target, probes }) => {
      const patterns = 1_000_000;
      const filter = BloomFilter.optimal(patterns, target);
      for (let i = 0; i < patterns; i++) filter.add(`pattern-${i}`);
      // Every pattern differs from every probe by prefix; at p = 0.1 % twice the probes keep
      // the sampling error (±2.2 % at one sigma) well inside the 10 % being tested.
      let falsePositives = 0;
      for (let i = 0; i < probes; i++) if (filter.has(`probe-${i}`)) falsePositives++;
      const measured = falsePositives / probes;
      expect(Math.abs(measured / target - 1)).toBeLessThan(0.1);
      expect(Math.abs(measured / filter.expectedFalsePositiveRate() - 1)).toBeLessThan(0.1);
    },
    30_000,
  );
});

describe('BloomFilter bytes', () => {
  const sample = () => {
    const filter = BloomFilter.withSize(1001, 5); // not a multiple of 8: a partial last byte
    for (let i = 0; i < 120; i++) filter.add(`message ${i} ✓`);
    return filter;
  };

  it('writes the documented header: "LSBF", version 1, bits u64, hashes u32, count u64', () => {
    const bytes = sample().toBytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('LSBF');
    expect(view.getUint32(4, true)).toBe(1);
    expect(view.getBigUint64(8, true)).toBe(1001n);
    expect(view.getUint32(16, true)).toBe(5);
    expect(view.getBigUint64(20, true)).toBe(120n);
    expect(bytes.length).toBe(28 + Math.ceil(1001 / 8));
  });

  it('keeps the hash and layout of saved files: a filter written by version 1 still answers', () => {
    // Pinned on purpose: changing the hash would make every filter file on disk answer wrongly.
    // 64 bits, 3 hashes, 'HTTP Status Code: 500' and 'héllo wörld 🚀' added.
    const saved = Buffer.from(
      '4c5342460100000040000000000000000300000002000000000000000000088180084000',
      'hex',
    );
    const filter = BloomFilter.fromBytes(saved);
    expect([filter.bits, filter.hashes, filter.count, filter.setBits]).toEqual([64, 3, 2, 6]);
    expect(filter.has('HTTP Status Code: 500')).toBe(true);
    expect(filter.has('héllo wörld 🚀')).toBe(true);
    const rebuilt = BloomFilter.withSize(64, 3);
    rebuilt.add('HTTP Status Code: 500');
    rebuilt.add('héllo wörld 🚀');
    expect(Buffer.from(rebuilt.toBytes()).equals(saved)).toBe(true);
  });

  it('round-trips: same parameters, count, fill and answers', () => {
    const original = sample();
    const copy = BloomFilter.fromBytes(original.toBytes());
    expect([copy.bits, copy.hashes, copy.count, copy.setBits]).toEqual([
      original.bits,
      original.hashes,
      original.count,
      original.setBits,
    ]);
    expect(copy.expectedFalsePositiveRate()).toBe(original.expectedFalsePositiveRate());
    const random = createRandom(SEED);
    for (let i = 0; i < 120; i++) expect(copy.has(`message ${i} ✓`)).toBe(true);
    for (let i = 0; i < 5000; i++) {
      const probe = randomWord(random, 6);
      expect(copy.has(probe)).toBe(original.has(probe));
    }
  });

  it('reads bytes that sit at an offset inside a larger buffer, and copies them', () => {
    const bytes = sample().toBytes();
    const pooled = new Uint8Array(bytes.length + 3);
    pooled.set(bytes, 3);
    const copy = BloomFilter.fromBytes(pooled.subarray(3));
    pooled.fill(0);
    expect(copy.has('message 7 ✓')).toBe(true);
  });

  it('is independent of the filter it came from', () => {
    const original = BloomFilter.withSize(256, 3);
    const copy = BloomFilter.fromBytes(original.toBytes());
    original.add('later');
    expect(copy.has('later')).toBe(false);
    copy.add('in copy');
    expect(copy.has('in copy')).toBe(true);
    expect(copy.count).toBe(1);
  });

  it('rejects bytes that are not a version-1 filter, saying what is wrong', () => {
    const good = sample().toBytes();
    const patched = (write: (view: DataView) => void) => {
      const bytes = good.slice();
      write(new DataView(bytes.buffer));
      return bytes;
    };
    expect(() => BloomFilter.fromBytes(good.subarray(0, 10))).toThrow(
      /truncated Bloom filter: 10 bytes, shorter than the 28-byte header/,
    );
    expect(() =>
      BloomFilter.fromBytes(new TextEncoder().encode(`{"not":"a filter at all"}`)),
    ).toThrow(/not a Bloom filter: starts with "\{\\"no", not "LSBF"/);
    expect(() => BloomFilter.fromBytes(patched((v) => v.setUint32(4, 2, true)))).toThrow(
      /unsupported Bloom filter format version 2/,
    );
    expect(() => BloomFilter.fromBytes(good.subarray(0, good.length - 1))).toThrow(
      /1001 bits need 154 bytes, got 153/,
    );
    expect(() => BloomFilter.fromBytes(new Uint8Array([...good, 0]))).toThrow(/got 155/);
    expect(() => BloomFilter.fromBytes(patched((v) => v.setBigUint64(8, 0n, true)))).toThrow(
      /corrupt Bloom filter: 0 bits/,
    );
    expect(() => BloomFilter.fromBytes(patched((v) => v.setBigUint64(8, 2n ** 40n, true)))).toThrow(
      /corrupt Bloom filter: 1099511627776 bits/,
    );
    expect(() => BloomFilter.fromBytes(patched((v) => v.setUint32(16, 0, true)))).toThrow(
      /corrupt Bloom filter: 0 hashes/,
    );
    const strayBit = good.slice();
    strayBit[strayBit.length - 1]! |= 0x80; // bit 1007 of a 1001-bit filter
    expect(() => BloomFilter.fromBytes(strayBit)).toThrow(/bits set beyond the end/);
  });
});
