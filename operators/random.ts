import { fmix32 } from './fmix32.js';

/** A seeded source of uniform numbers in [0, 1). */
export type Random = () => number;

const TWO_POW_32 = 4294967296;

/**
 * A small, fast, seeded generator (sfc32: 128 bits of state, passes PractRand to 2^40+),
 * so that the same seed and input always give the same sample. Its state is four words that
 * {@link snapshot} reads and {@link restore} puts back, so that a saved state continues with
 * exactly the numbers the original would have drawn.
 */
export class SeededRandom {
  private constructor(
    private a: number,
    private b: number,
    private c: number,
    private d: number,
  ) {}

  /** A generator started from `seed`; without one, the seed is drawn from Math.random. */
  static fromSeed(seed: number = Math.floor(Math.random() * TWO_POW_32)): SeededRandom {
    // splitmix32 spreads a small integer seed over the whole state.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    const a = next();
    const b = next();
    const c = next();
    return new SeededRandom(a, b, c, next());
  }

  /**
   * The generator whose state is `words`, as {@link snapshot} gave them.
   * @throws RangeError unless `words` is four integers in [0, 2^32).
   */
  static restore(words: readonly unknown[]): SeededRandom {
    if (words.length !== 4 || !words.every(isWord)) {
      throw new RangeError('a generator state is four integers from 0 to 2^32 - 1');
    }
    const [a, b, c, d] = words as number[] as [number, number, number, number];
    return new SeededRandom(a, b, c, d);
  }

  /**
   * A new generator whose state is a hash of `parents`' states and `salt`: the same parents
   * in the same states give the same generator, and different salts give unrelated ones, so
   * a merge of two seeded states draws repeatable numbers without touching either parent.
   */
  static derive(parents: readonly SeededRandom[], salt: number): SeededRandom {
    const words = [0, 0, 0, 0];
    for (let lane = 0; lane < 4; lane++) {
      // One murmur3-style chain per output word, each started differently, over every word
      // of every parent: a change in any input bit reaches all 128 bits of the result.
      let h = fmix32(salt ^ Math.imul(lane + 1, 0x9e3779b9));
      for (const parent of parents) {
        for (const word of parent.snapshot()) {
          h = fmix32(Math.imul(h, 0x85ebca6b) ^ fmix32(word + lane));
        }
      }
      words[lane] = h >>> 0;
    }
    const derived = new SeededRandom(words[0]!, words[1]!, words[2]!, words[3]!);
    // sfc32's authors discard the first outputs after setting the state directly.
    for (let i = 0; i < 12; i++) derived.next();
    return derived;
  }

  /** The next number, uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t / TWO_POW_32;
  }

  /**
   * The generator's whole state, four unsigned 32-bit integers: {@link restore} of them
   * continues with the same numbers.
   */
  snapshot(): [number, number, number, number] {
    // `a` is kept as a signed 32-bit value (the result of ^); the words are unsigned.
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }
}

/**
 * The numbers of a {@link SeededRandom} started from `seed` (from Math.random without one),
 * as a plain function.
 */
export function createRandom(seed?: number): Random {
  const generator = SeededRandom.fromSeed(seed);
  return () => generator.next();
}

function isWord(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < TWO_POW_32;
}
