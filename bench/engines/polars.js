// Task 5's totals computed by Polars over the corpus's JSON files:
// `node engines/polars.js <dir> [filesPerChunk]` prints [{service, successes, total}] sorted
// by service.
//
// nodejs-polars cannot scan JSON arrays lazily (scanJson reads NDJSON only), so each file is
// read with readJSON, and every `filesPerChunk` files are concatenated and reduced by one lazy
// group_by to per-service partial counts, which are summed at the end: the same batched lazy
// grouping as Task 5, and memory bounded by a chunk. One query per file costs ~5 ms of
// planning each (10× slower); one query over all files holds the whole corpus (1.2 GB at 2M
// events). 100 files per chunk was the fastest of those tried (25, 50, 100, 250, 500).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';

const dir = process.argv[2];
const filesPerChunk = Number(process.argv[3] ?? 100);
if (!dir || !(filesPerChunk >= 1))
  throw new Error('usage: node engines/polars.js <dir> [filesPerChunk]');

const files = readdirSync(dir)
  .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
  .sort();

// str.extract gives null when the message has no status; a failed cast gives null too.
const status = pl
  .col('message')
  .str.extract(/HTTP Status Code:\s*(\d{3})/, 1)
  .cast(pl.Int32, false)
  .alias('status');

const partials = [];
for (let start = 0; start < files.length; start += filesPerChunk) {
  const frames = files
    .slice(start, start + filesPerChunk)
    .map((name) => pl.readJSON(join(dir, name), { format: 'json' }));
  const partial = pl
    .concat(frames, { how: 'vertical', rechunk: false })
    .lazy()
    .select(pl.col('service'), status)
    .groupBy('service')
    .agg(
      pl.col('status').gtEq(200).and(pl.col('status').ltEq(299)).sum().alias('successes'),
      pl.col('status').isNotNull().sum().alias('total'),
    )
    .collectSync();
  partials.push(partial);
  // napi-rs frees a frame's native memory in a finalizer that runs from the event loop, not
  // inside a synchronous loop: without this turn, RSS grows by the corpus size (2 GB at 20M).
  await new Promise((resolve) => setImmediate(resolve));
}

const rows =
  partials.length === 0
    ? []
    : pl
        .concat(partials, { how: 'vertical' })
        .lazy()
        .groupBy('service')
        .agg(pl.col('successes').sum(), pl.col('total').sum())
        .sort('service')
        .collectSync()
        .toRecords()
        .map((row) => ({
          service: row.service,
          successes: Number(row.successes),
          total: Number(row.total),
        }));
process.stdout.write(`${JSON.stringify(rows)}\n`);
