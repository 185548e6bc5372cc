/** A seeded source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * A small, fast, seeded generator (sfc32: 128 bits of state, passes PractRand to 2^40+),
 * so that the same seed and input always give the same sample. Without a seed, one is drawn
 * from Math.random.
 */
export function createRandom(seed: number = Math.floor(Math.random() * 2 ** 32)): Random {
  // splitmix32 spreads a small integer seed over the whole state.
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}
