// Micro benchmark: the general source path (JSON.parse + validateEvent + EventBatch.fromParsed)
// against the byte scanner, on events in the generator's format held in memory.
// Run: npx tsc -p tsconfig.build.json && node bench/scan.mjs [events] [runs] [--json]
// --json prints one object instead of the table, for bench/run.js:
// { events, runs, rows: [{ name, general: { eventsPerSecond, mbPerSecond }, scanner: { … } }] }
// with rates per CPU second and MB = 1e6 bytes of input.
import { isUtf8 } from 'node:buffer';
import { EventBatch } from '../dist/operators/batch.js';
import { generateLogFiles } from '../dist/src/generator.js';
import { collectValues, MAX_BATCH_ELEMENTS, parseJsonDocument } from '../dist/src/source/json.js';
import { scanJsonArray, scanNdjsonLines } from '../dist/src/source/scan-events.js';
import { BatchCollector } from '../dist/src/source/validate-values.js';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const [eventsArg, runsArg] = args.filter((arg) => arg !== '--json');
const EVENTS = Number(eventsArg ?? 200_000);
const RUNS = Number(runsArg ?? 9);
const SMALL_FILE_EVENTS = 1000;
/** readNdjsonLines reads 1 MiB at a time: the scanner gets the complete lines of each read. */
const NDJSON_READ = 1 << 20;

const start = Date.UTC(2026, 0, 1) / 1000;
const events = generateLogFiles({ events: EVENTS, bursts: 0.1, start, seed: 1 }).next().value;
const smallFiles = [];
for (let i = 0; i < EVENTS; i += SMALL_FILE_EVENTS) {
  smallFiles.push(Buffer.from(`${JSON.stringify(events.slice(i, i + SMALL_FILE_EVENTS))}\n`));
}
const bigFile = Buffer.from(`${JSON.stringify(events)}\n`);
const ndjson = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
const ndjsonChunks = splitAtLines(ndjson, NDJSON_READ);
/** The same events in another shape, read with --service-field svc --timestamp-field ts --message-field msg.text --timestamp-unit ms. */
const MAPPED = {
  service: ['svc'],
  timestamp: ['ts'],
  message: ['msg', 'text'],
  timestampUnit: 'ms',
};
const mappedNdjson = Buffer.from(
  events
    .map(
      (e) =>
        `${JSON.stringify({ ts: e.timestamp * 1000, svc: e.service, msg: { text: e.message } })}\n`,
    )
    .join(''),
);
const mappedChunks = splitAtLines(mappedNdjson, NDJSON_READ);

function generalJson(bytes) {
  const document = parseJsonDocument(bytes);
  if (!document.ok) throw new Error(document.reason);
  let n = 0;
  for (const collector of collectValues(document.values, 0)) {
    n += EventBatch.fromParsed(collector.events).length + collector.invalid.length;
  }
  return n;
}

function scannedJson(bytes) {
  const scan = scanJsonArray(bytes, { maxBatchElements: MAX_BATCH_ELEMENTS });
  if (scan === undefined) throw new Error('scanner declined');
  let n = 0;
  for (const part of scan.parts) n += part.batch.length + part.invalid.length;
  return n;
}

/** What readNdjsonLines does per line, without the file reads. */
function generalNdjson(bytes) {
  let collector = new BatchCollector();
  let n = 0;
  let lineNo = 0;
  let inChunk = 0;
  for (let start = 0; start < bytes.length; ) {
    let newline = bytes.indexOf(10, start);
    if (newline < 0) newline = bytes.length;
    let line = bytes.subarray(start, newline);
    start = newline + 1;
    lineNo += 1;
    if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    if (line.length === 0) continue;
    inChunk += 1;
    const text = line.toString('utf8');
    isUtf8(line);
    try {
      collector.add(JSON.parse(text), { line: lineNo });
    } catch (error) {
      collector.reject(`not valid JSON (${error.message})`, { line: lineNo });
    }
    if (inChunk >= 50_000) {
      n += EventBatch.fromParsed(collector.events).length + collector.invalid.length;
      collector = new BatchCollector();
      inChunk = 0;
    }
  }
  return n + EventBatch.fromParsed(collector.events).length + collector.invalid.length;
}

function scannedNdjson(chunks, fields) {
  let n = 0;
  let line = 1;
  for (const chunk of chunks) {
    const scan = scanNdjsonLines(chunk, line, Number.POSITIVE_INFINITY, Date.now, fields);
    line += scan.lines;
    n += scan.batch.length + scan.invalid.length;
  }
  return n;
}

function splitAtLines(bytes, size) {
  const chunks = [];
  let start = 0;
  while (start < bytes.length) {
    const cut = bytes.lastIndexOf(10, Math.min(bytes.length, start + size) - 1);
    const end = cut < start ? bytes.length : cut + 1;
    chunks.push(bytes.subarray(start, end));
    start = end;
  }
  return chunks;
}

/**
 * Events and input bytes per second of CPU time (user + system of this process), median of
 * RUNS runs after two warm-ups: on a shared machine, wall time also counts the other
 * processes' turns.
 */
function measure(label, { run, bytes }) {
  for (let i = 0; i < 2; i++) run();
  const seconds = [];
  const wallSeconds = [];
  for (let i = 0; i < RUNS; i++) {
    const cpuBefore = process.cpuUsage();
    const wallBefore = process.hrtime.bigint();
    const n = run();
    const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
    const { user, system } = process.cpuUsage(cpuBefore);
    if (n !== EVENTS) throw new Error(`${label}: ${n} events instead of ${EVENTS}`);
    seconds.push((user + system) / 1e6);
    wallSeconds.push(wall);
  }
  const cpu = median(seconds);
  const wall = median(wallSeconds);
  return {
    eventsPerSecond: EVENTS / cpu,
    mbPerSecond: bytes / 1e6 / cpu,
    wallEventsPerSecond: EVENTS / wall,
    wallMbPerSecond: bytes / 1e6 / wall,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const sizeOf = (buffers) => buffers.reduce((n, buffer) => n + buffer.length, 0);

// bench/run.js finds the target row by its name: keep the names stable.
const cases = [
  {
    name: '.json, one file',
    general: { run: () => generalJson(bigFile), bytes: bigFile.length },
    scanner: { run: () => scannedJson(bigFile), bytes: bigFile.length },
  },
  {
    name: `.json, ${smallFiles.length} files of ${SMALL_FILE_EVENTS}`,
    general: {
      run: () => smallFiles.reduce((n, file) => n + generalJson(file), 0),
      bytes: sizeOf(smallFiles),
    },
    scanner: {
      run: () => smallFiles.reduce((n, file) => n + scannedJson(file), 0),
      bytes: sizeOf(smallFiles),
    },
  },
  {
    name: '.ndjson, 1 MiB reads',
    general: { run: () => generalNdjson(ndjson), bytes: ndjson.length },
    scanner: { run: () => scannedNdjson(ndjsonChunks), bytes: ndjson.length },
  },
  // Mapped fields take the general path inside the scanner: measured against the fast path.
  {
    name: '.ndjson mapped (ts/svc/msg.text)',
    general: { run: () => scannedNdjson(mappedChunks, MAPPED), bytes: mappedNdjson.length },
    scanner: { run: () => scannedNdjson(ndjsonChunks), bytes: ndjson.length },
  },
];

const rates = (m) => ({ eventsPerSecond: m.eventsPerSecond, mbPerSecond: m.mbPerSecond });
const perSecond = (rate) => `${(rate / 1e6).toFixed(2)}M/s`;
const megabytes = (rate) => `${rate.toFixed(0)}MB/s`;
const show = (m) =>
  `${perSecond(m.eventsPerSecond)} ${megabytes(m.mbPerSecond).padStart(7)} (${perSecond(m.wallEventsPerSecond)} ${megabytes(m.wallMbPerSecond)})`;

if (!asJson) {
  console.log(
    `${EVENTS} generated events; events and MB (1e6 bytes of input) per second of CPU time (wall time in brackets), median of ${RUNS} runs; node ${process.version}`,
  );
}
const rows = [];
for (const { name, general, scanner } of cases) {
  const slow = measure(name, general);
  const fast = measure(name, scanner);
  rows.push({ name, general: rates(slow), scanner: rates(fast) });
  if (!asJson) {
    console.log(
      `${name.padEnd(32)} general ${show(slow)}   scanner ${show(fast)}   x${(fast.eventsPerSecond / slow.eventsPerSecond).toFixed(1)}`,
    );
  }
}
if (asJson) console.log(JSON.stringify({ events: EVENTS, runs: RUNS, rows }));
