/**
 * A Bloom filter over strings: a set membership test in a fixed number of bits that never
 * answers "no" for a string that was added, and answers "yes" for a string that was not with
 * a small, tunable probability (the false-positive rate).
 */

import { fmix32 } from './fmix32.js';

/** The largest filter: bit indexes stay exact doubles and fit the u64 header field. */
export const MAX_BITS = 2 ** 32;

/**
 * Far above any optimal count (p = 1e-9 needs 30); the cap keeps a typo from turning every
 * lookup into a million probes.
 */
export const MAX_HASHES = 1024;

/** The optimal size of a filter for an expected number of items and a target rate. */
export interface BloomSize {
  readonly bits: number;
  readonly hashes: number;
}

/**
 * The byte layout of {@link BloomFilter.toBytes}, little-endian:
 * `"LSBF"` | version u32 | bits u64 | hashes u32 | count u64 | the bit array, ceil(bits / 8)
 * bytes, bit i at byte i >> 3, mask 1 << (i & 7).
 */
const MAGIC = 'LSBF';
export const FORMAT_VERSION = 1;
const VERSION_OFFSET = 4;
const BITS_OFFSET = 8;
const HASHES_OFFSET = 16;
const COUNT_OFFSET = 20;
export const HEADER_BYTES = 28;

/**
 * A Bloom filter of `bits` bits probed by `hashes` hash functions.
 *
 * Each string is hashed once into two 32-bit values h1 and h2, and its k probe positions are
 * g_i = (h1 + i·h2) mod m for i = 0 … k−1 (Kirsch–Mitzenmacher double hashing), which keeps
 * the false-positive rate of k independent hashes at the cost of one. Strings hash by
 * content, as UTF-16 code units, so the same text gives the same bits on every machine
 * whatever file encoding it came from; text that differs only in Unicode normalization
 * (NFC vs NFD) is different text.
 *
 * @example
 * ```ts
 * const filter = BloomFilter.optimal(1_000_000, 0.01); // 9,585,059 bits (1.2 MB), 7 hashes
 * filter.add('HTTP Status Code: 500');
 * filter.has('HTTP Status Code: 500'); // true, always
 * filter.has('HTTP Status Code: 200'); // false, except with probability ≈ 1 %
 * ```
 */
export class BloomFilter {
  /** Items added so far (every call to {@link add}, duplicates included). */
  get count(): number {
    return this.addedCount;
  }

  /** Bits set to one; `setBits / bits` is the filter's fill. */
  get setBits(): number {
    return this.setBitCount;
  }

  /**
   * h2 of the last {@link hash} call. A field, not a returned pair, so a lookup allocates
   * nothing; scratch space only, never part of what the filter holds or answers.
   */
  private secondHash = 0;

  private constructor(
    /** m, the number of bits. */
    readonly bits: number,
    /** k, the number of probes per string. */
    readonly hashes: number,
    private readonly array: Uint8Array,
    private addedCount: number,
    private setBitCount: number,
  ) {}

  /**
   * The smallest filter for `expectedItems` items at `falsePositiveRate`:
   * m = ceil(−n·ln p / (ln 2)²) bits and k = max(1, round(m/n · ln 2)) hashes.
   * @throws RangeError when n is not a positive integer, p is not in (0, 1), or m would
   * exceed {@link MAX_BITS}.
   */
  static optimalSize(expectedItems: number, falsePositiveRate: number): BloomSize {
    requirePositiveInteger('expectedItems', expectedItems, Number.MAX_SAFE_INTEGER);
    if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
      throw new RangeError(`falsePositiveRate must be in (0, 1), got ${falsePositiveRate}`);
    }
    const bits = Math.ceil((-expectedItems * Math.log(falsePositiveRate)) / Math.LN2 ** 2);
    if (bits > MAX_BITS) {
      throw new RangeError(
        `${expectedItems} items at a false-positive rate of ${falsePositiveRate} need ${bits} bits, more than the maximum of 2^32`,
      );
    }
    return { bits, hashes: BloomFilter.optimalHashes(bits, expectedItems) };
  }

  /**
   * The hash count that makes a filter of `bits` bits holding `expectedItems` items least
   * likely to answer a false positive: k = round(m/n · ln 2), at least 1, at most
   * {@link MAX_HASHES}.
   * @throws RangeError when either is not a positive integer.
   */
  static optimalHashes(bits: number, expectedItems: number): number {
    requirePositiveInteger('bits', bits, MAX_BITS);
    requirePositiveInteger('expectedItems', expectedItems, Number.MAX_SAFE_INTEGER);
    const hashes = Math.max(1, Math.round((bits / expectedItems) * Math.LN2));
    return Math.min(hashes, MAX_HASHES);
  }

  /** An empty filter sized by {@link optimalSize}. */
  static optimal(expectedItems: number, falsePositiveRate: number): BloomFilter {
    const { bits, hashes } = BloomFilter.optimalSize(expectedItems, falsePositiveRate);
    return BloomFilter.withSize(bits, hashes);
  }

  /**
   * An empty filter of exactly `bits` bits (1 … 2^32) and `hashes` hashes (1 … 1024).
   * @throws RangeError on any other value.
   */
  static withSize(bits: number, hashes: number): BloomFilter {
    requirePositiveInteger('bits', bits, MAX_BITS);
    requirePositiveInteger('hashes', hashes, MAX_HASHES);
    return new BloomFilter(bits, hashes, new Uint8Array(byteLength(bits)), 0, 0);
  }

  /**
   * The filter saved by {@link toBytes}, answering exactly as the original.
   * @throws Error naming what is wrong when the bytes are not a version-1 filter: wrong
   * magic, unsupported version, parameters out of range, or a length that does not match.
   */
  static fromBytes(bytes: Uint8Array): BloomFilter {
    const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
    if (magic !== MAGIC) {
      throw new Error(`not a Bloom filter: starts with ${JSON.stringify(magic)}, not "LSBF"`);
    }
    if (bytes.length < HEADER_BYTES) {
      throw new Error(
        `truncated Bloom filter: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getUint32(VERSION_OFFSET, true);
    if (version !== FORMAT_VERSION) {
      throw new Error(
        `unsupported Bloom filter format version ${version} (this build reads version ${FORMAT_VERSION})`,
      );
    }
    const bits = Number(view.getBigUint64(BITS_OFFSET, true));
    const hashes = view.getUint32(HASHES_OFFSET, true);
    const count = view.getBigUint64(COUNT_OFFSET, true);
    if (bits < 1 || bits > MAX_BITS) throw new Error(`corrupt Bloom filter: ${bits} bits`);
    if (hashes < 1 || hashes > MAX_HASHES) {
      throw new Error(`corrupt Bloom filter: ${hashes} hashes`);
    }
    if (count > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`corrupt Bloom filter: item count ${count}`);
    }
    const expectedLength = HEADER_BYTES + byteLength(bits);
    if (bytes.length !== expectedLength) {
      throw new Error(
        `corrupt Bloom filter: ${bits} bits need ${expectedLength} bytes, got ${bytes.length}`,
      );
    }
    const array = bytes.slice(HEADER_BYTES);
    const unusedBits = array.length * 8 - bits;
    if (unusedBits > 0 && array[array.length - 1]! >>> (8 - unusedBits) !== 0) {
      throw new Error('corrupt Bloom filter: bits set beyond the end of the filter');
    }
    return new BloomFilter(bits, hashes, array, Number(count), countSetBits(array));
  }

  /** The filter as bytes, in the layout {@link fromBytes} reads (see the README). */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(HEADER_BYTES + this.array.length);
    for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
    const view = new DataView(bytes.buffer);
    view.setUint32(VERSION_OFFSET, FORMAT_VERSION, true);
    view.setBigUint64(BITS_OFFSET, BigInt(this.bits), true);
    view.setUint32(HASHES_OFFSET, this.hashes, true);
    view.setBigUint64(COUNT_OFFSET, BigInt(this.addedCount), true);
    bytes.set(this.array, HEADER_BYTES);
    return bytes;
  }

  /** Adds `text`: from now on {@link has} answers true for it. */
  add(text: string): void {
    const firstHash = this.hash(text);
    const { bits: m, array } = this;
    let index = reduce(firstHash >>> 0, m);
    const step = reduce(this.secondHash >>> 0, m) || 1;
    for (let i = 0; i < this.hashes; i++) {
      const at = index >>> 3;
      const mask = 1 << (index & 7);
      const byte = array[at]!;
      if ((byte & mask) === 0) {
        array[at] = byte | mask;
        this.setBitCount++;
      }
      index += step;
      if (index >= m) index -= m;
    }
    this.addedCount++;
  }

  /**
   * Whether `text` may have been added: always true for added text, and true for other text
   * with probability {@link expectedFalsePositiveRate}.
   */
  has(text: string): boolean {
    const firstHash = this.hash(text);
    const { bits: m, array } = this;
    let index = reduce(firstHash >>> 0, m);
    const step = reduce(this.secondHash >>> 0, m) || 1;
    for (let i = 0; i < this.hashes; i++) {
      if ((array[index >>> 3]! & (1 << (index & 7))) === 0) return false;
      index += step;
      if (index >= m) index -= m;
    }
    return true;
  }

  /**
   * The chance that a string never added tests positive, given the bits set now:
   * (setBits / m)^k, the chance that k uniform probes all land on set bits. Unlike the
   * textbook (1 − e^(−kn/m))^k it reads the fill instead of assuming the added items were
   * distinct, so duplicates among them do not inflate it.
   */
  expectedFalsePositiveRate(): number {
    return (this.setBitCount / this.bits) ** this.hashes;
  }

  /**
   * A 32-bit FNV-1a hash of the bit array, as 8 hex digits: what tells two filters of the
   * same size apart in a saved state's options without storing the filter there. The bit
   * array alone decides every answer and the false-positive rate, so the item count (which
   * counts duplicates) is not part of it.
   */
  fingerprint(): string {
    const { array } = this;
    let h = 0x811c9dc5;
    for (let i = 0; i < array.length; i++) h = Math.imul(h ^ array[i]!, 0x01000193);
    return (h >>> 0).toString(16).padStart(8, '0');
  }

  /** Whether `other` answers exactly as this filter: same size, same hashes, same bits. */
  sameBits(other: BloomFilter): boolean {
    if (other === this) return true;
    if (other.bits !== this.bits || other.hashes !== this.hashes) return false;
    const a = this.array;
    const b = other.array;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /**
   * One pass over the string's UTF-16 code units, two at a time as one 32-bit block, through
   * two MurmurHash3-style lanes: lane one is MurmurHash3 x86_32's block step, lane two uses the
   * constants of MurmurHash3 x86_128's second lane and is also fed by lane one. Both are then
   * mixed into each other and through MurmurHash3's avalanche finalizer, so h1 and h2 behave as
   * two independent uniform 32-bit hashes. Returns h1 and leaves h2 in {@link secondHash}.
   * The constants are part of the file format: changing them makes saved filters answer
   * wrongly.
   */
  private hash(text: string): number {
    const length = text.length;
    let h1 = 0x9747b28c;
    let h2 = 0x5bd1e995;
    let i = 0;
    for (; i + 1 < length; i += 2) {
      const block = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
      let k1 = Math.imul(block, 0xcc9e2d51);
      k1 = (k1 << 15) | (k1 >>> 17);
      h1 ^= Math.imul(k1, 0x1b873593);
      h1 = (h1 << 13) | (h1 >>> 19);
      h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
      let k2 = Math.imul(block, 0x239b961b);
      k2 = (k2 << 16) | (k2 >>> 16);
      h2 ^= Math.imul(k2, 0xab0e9789);
      h2 = (h2 << 17) | (h2 >>> 15);
      h2 = (Math.imul(h2 + h1, 5) + 0x0bcaa747) | 0;
    }
    if (i < length) {
      const tail = text.charCodeAt(i);
      let k1 = Math.imul(tail, 0xcc9e2d51);
      k1 = (k1 << 15) | (k1 >>> 17);
      h1 ^= Math.imul(k1, 0x1b873593);
      let k2 = Math.imul(tail, 0x239b961b);
      k2 = (k2 << 16) | (k2 >>> 16);
      h2 ^= Math.imul(k2, 0xab0e9789);
    }
    h1 ^= length;
    h2 ^= length;
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    h1 = fmix32(h1);
    h2 = fmix32(h2);
    h1 = (h1 + h2) | 0;
    this.secondHash = (h2 + h1) | 0;
    return h1;
  }
}

function requirePositiveInteger(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
}

function byteLength(bits: number): number {
  return Math.ceil(bits / 8);
}

/**
 * `value mod m` for value, m < 2^33. The quotient of two such doubles never rounds across an
 * integer, so floor() is exact; this avoids the slow floating-point `%` once m > 2^31.
 */
function reduce(value: number, m: number): number {
  return value - Math.floor(value / m) * m;
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >>> 1]!;

function countSetBits(array: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < array.length; i++) total += POPCOUNT[array[i]!]!;
  return total;
}
