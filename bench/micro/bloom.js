// Bloom filter lookups per second: logstream's BloomFilter vs the bloom-filters package,
// both sized for the same n and p, over the same lookups (half of them added, half not).
// The package hashes with a pure-JS XXH64 and is ~100x slower, so it is timed over the first
// `packageLookups` of the same lookups (its rate does not depend on how many).
// `node micro/bloom.js [items] [falsePositiveRate] [lookups] [packageLookups]` prints one
// JSON object.
import bloomFilters from 'bloom-filters';
import { BloomFilter } from '../../dist/operators/bloom-filter.js';
import { createRandom } from '../../dist/operators/random.js';
import { messageSource } from './messages.js';

const items = Number(process.argv[2] ?? 100_000);
const falsePositiveRate = Number(process.argv[3] ?? 0.01);
const lookups = Number(process.argv[4] ?? 1_000_000);
const packageLookups = Math.min(lookups, Number(process.argv[5] ?? 100_000));

const random = createRandom(42);
const message = messageSource(42);
// Through JSON, as messages arrive from log files: flat strings, not the ropes that template
// literals build (which V8 flattens on first access, an unfair cost on the first lookup).
const messages = (from, count) =>
  JSON.parse(JSON.stringify(Array.from({ length: count }, (_, i) => message(from + i))));
const added = messages(0, items);
const absent = messages(items, items);
// A fixed sequence of lookups, alternating one added message and one absent message.
const queries = Array.from({ length: lookups }, (_, i) => {
  const pick = Math.floor(random() * items);
  return i % 2 === 0 ? added[pick] : absent[pick];
});

const ours = BloomFilter.optimal(items, falsePositiveRate);
const theirs = bloomFilters.BloomFilter.create(items, falsePositiveRate);
for (const text of added) {
  ours.add(text);
  theirs.add(text);
}

function measure(has, lookups) {
  // Warm-up, so both are timed as optimized code.
  for (let i = 0; i < Math.min(lookups, 20_000); i++) has(queries[i]);
  // Hits of added (even i) and absent (odd i) messages: also keeps the lookups from being
  // optimized away.
  const hits = [0, 0];
  const started = process.hrtime.bigint();
  for (let i = 0; i < lookups; i++) if (has(queries[i])) hits[i & 1]++;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    seconds,
    lookupsPerSecond: lookups / seconds,
    falseNegatives: Math.ceil(lookups / 2) - hits[0],
    falsePositiveRate: hits[1] / Math.floor(lookups / 2),
  };
}

const result = {
  items,
  targetFalsePositiveRate: falsePositiveRate,
  lookups,
  meanMessageLength: queries.reduce((sum, text) => sum + text.length, 0) / lookups,
  logstream: {
    lookups,
    bits: ours.bits,
    hashes: ours.hashes,
    ...measure((text) => ours.has(text), lookups),
  },
  bloomFilters: {
    bits: theirs.size,
    hashes: theirs._nbHashes,
    lookups: packageLookups,
    ...measure((text) => theirs.has(text), packageLookups),
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
