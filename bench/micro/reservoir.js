// Reservoir sampling throughput: logstream's reservoirSample operator (Algorithm L, fed
// EventBatch columns) vs a plain Algorithm R (one random number per item), same items, same
// capacity, same generator (sfc32).
// `node micro/reservoir.js [items] [capacity] [batchSize]` prints one JSON object.
import { from, last } from 'rxjs';
import { EventBatch } from '../../dist/operators/batch.js';
import { createRandom } from '../../dist/operators/random.js';
import { reservoirSample } from '../../dist/operators/reservoir-sample.js';
import { statusSource } from './messages.js';

const items = Number(process.argv[2] ?? 10_000_000);
const capacity = Number(process.argv[3] ?? 1000);
const batchSize = Number(process.argv[4] ?? 100_000);
const DISTINCT_BATCHES = 10;

// Ten distinct batches of statuses, cycled: the items differ from batch to batch without
// holding 10M events in memory.
const nextStatus = statusSource(7);
const distinct = Array.from({ length: DISTINCT_BATCHES }, () => {
  const statuses = new Uint16Array(batchSize);
  for (let i = 0; i < batchSize; i++) statuses[i] = nextStatus();
  const services = new Array(batchSize).fill('inference');
  const messages = new Array(batchSize).fill('');
  return EventBatch.fromColumns(services, new Float64Array(batchSize), statuses, messages);
});
const batchCount = Math.ceil(items / batchSize);
const batches = Array.from({ length: batchCount }, (_, i) => distinct[i % DISTINCT_BATCHES]);

function operatorRun(list) {
  let record;
  from(list)
    .pipe(reservoirSample({ capacity, seed: 1 }), last())
    .subscribe((value) => {
      record = value;
    });
  return record;
}

/** Vitter's Algorithm R: item n (0-based) replaces a random slot with probability k/(n+1). */
function algorithmR(list) {
  const next = createRandom(1);
  const sample = new Uint16Array(capacity);
  let seen = 0;
  for (const batch of list) {
    const statuses = batch.statuses;
    for (let i = 0; i < statuses.length; i++) {
      if (seen < capacity) sample[seen] = statuses[i];
      else {
        const slot = Math.floor(next() * (seen + 1));
        if (slot < capacity) sample[slot] = statuses[i];
      }
      seen++;
    }
  }
  return {
    seen,
    size: Math.min(seen, capacity),
    mostCommon: mostCommon(sample.subarray(0, Math.min(seen, capacity))),
  };
}

function mostCommon(statuses) {
  const counts = new Map();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  let best = null;
  for (const [status, count] of counts) {
    const bestCount = best === null ? -1 : counts.get(best);
    if (count > bestCount || (count === bestCount && status < best)) best = status;
  }
  return best;
}

function timed(run) {
  run(batches.slice(0, 2)); // warm-up
  const started = process.hrtime.bigint();
  const output = run(batches);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, itemsPerSecond: (batchCount * batchSize) / seconds, output };
}

const ours = timed(operatorRun);
const plain = timed(algorithmR);
const result = {
  items: batchCount * batchSize,
  capacity,
  batchSize,
  logstream: {
    seconds: ours.seconds,
    itemsPerSecond: ours.itemsPerSecond,
    seen: ours.output.seen,
    size: ours.output.size,
    mostCommon: ours.output.mostCommon,
  },
  algorithmR: {
    seconds: plain.seconds,
    itemsPerSecond: plain.itemsPerSecond,
    seen: plain.output.seen,
    size: plain.output.size,
    mostCommon: plain.output.mostCommon,
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
