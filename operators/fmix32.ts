/**
 * MurmurHash3's 32-bit finalizer (fmix32): every input bit flips each output bit with
 * probability about 1/2. The result is a signed 32-bit integer; `>>> 0` makes it unsigned.
 * The Bloom filter's hash relies on these exact constants (they are part of its file format).
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
