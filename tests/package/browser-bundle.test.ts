import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The library as a consumer gets it: `logstream/operators` and `logstream/testing` installed beside the consumer's
 * own rxjs, bundled by esbuild for a browser, and run where no Node API exists. This is what
 * keeps operators/ free of `node:` imports and I/O, and rxjs a peer dependency.
 */

const ROOT = resolve(import.meta.dirname, '../..');

// What the consumer computes: every export is referenced, the six operators run over the
// same events, and TestScheduler's virtual time drives the time-based operators.
const CONSUMER = `
import * as operators from 'logstream/operators';
import * as testing from 'logstream/testing';
import { from, lastValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

const { EventBatch, BloomFilter, runningAverage, slidingWindow, reservoirSample, bloomForward,
  lazyGroups, keyedWindows } = operators;

const events = [];
for (let i = 0; i < 200; i++) {
  events.push({
    service: ['api', 'web', '__proto__'][i % 3],
    timestamp: 1700000000 + i,
    message: 'HTTP Status Code: ' + [200, 200, 404, 500, 201][i % 5],
  });
}
const batches = [events.slice(0, 120), events.slice(120)];
const filter = BloomFilter.optimal(10, 0.01);
filter.add('HTTP Status Code: 500');

async function all(operator) {
  return lastValueFrom(from(batches).pipe(operator, toArray()));
}

export async function main() {
  const records = {
    'running-average': await all(runningAverage()),
    'sliding-window': await all(slidingWindow({ windowSeconds: 60 })),
    reservoir: await all(reservoirSample({ capacity: 50, seed: 7 })),
    bloom: await all(bloomForward({ filter })),
    'lazy-groups': await all(lazyGroups({ batchSize: 64 })),
    'keyed-windows': await all(keyedWindows({ windowSeconds: 10, watermarkSeconds: 5 })),
  };
  // Arrival time in virtual time: three batches on a 2 s processing window of 1 s panes.
  const frames = [];
  new TestScheduler(() => {}).run(({ cold }) => {
    const arrivals = cold('a 1499ms b 1299ms c|', {
      a: batches[0].slice(0, 10),
      b: batches[0].slice(10, 20),
      c: batches[0].slice(20, 30),
    });
    arrivals
      .pipe(slidingWindow({ windowSeconds: 2, clock: 'processing' }))
      .subscribe((r) => frames.push([r.windowEnd, r.total]));
  });
  // logstream/testing: a recording replayed on the TestScheduler, and the contract kit.
  const recording = [
    testing.encodeHeader({ startedAt: 0, source: 'logs', follow: false }),
    ...batches.map((batch, i) =>
      testing.encodeFrame({ type: 'batch', at: 100 * (i + 1), index: i + 1, file: 'f', invalid: 0,
        batch: EventBatch.of(batch) })),
    testing.encodeFrame({ type: 'end', at: 300 }),
  ].join('\\n') + '\\n';
  const replayed = [];
  const scheduler = new TestScheduler(() => {});
  scheduler.run(() => {
    testing.recordingObservable(new TextEncoder().encode(recording), scheduler)
      .pipe(runningAverage(), map((r) => r.total))
      .subscribe((total) => replayed.push([scheduler.now(), total]));
  });
  const laws = testing.stateLaws({ name: 'running-average', runs: 2,
    create: () => operators.RunningAverageState.create(), splits: ['any'] });
  for (const law of laws) law.check();
  return {
    exports: Object.keys(operators).sort(),
    testingExports: Object.keys(testing).sort(),
    replayed,
    laws: laws.length,
    batchOk: EventBatch.of(events).length === events.length,
    records,
    frames,
  };
}
`;

let consumerDir: string;
let bundle: { code: string; metafile: Metafile };

beforeAll(async () => {
  consumerDir = mkdtempSync(join(tmpdir(), 'logstream-consumer-'));
  const installed = join(consumerDir, 'node_modules', 'logstream');
  mkdirSync(installed, { recursive: true });
  // What `npm install logstream` puts there: the package's files, and no rxjs of its own.
  cpSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(installed, 'dist'), { recursive: true });
  // The consumer's own rxjs 7.8.
  symlinkSync(join(ROOT, 'node_modules', 'rxjs'), join(consumerDir, 'node_modules', 'rxjs'));
  const result = await build({
    stdin: { contents: CONSUMER, resolveDir: consumerDir, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'consumer',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  bundle = { code: result.outputFiles[0]!.text, metafile: result.metafile };
}, 60_000);

afterAll(() => {
  rmSync(consumerDir, { recursive: true, force: true });
});

describe('logstream/operators and logstream/testing in a browser bundle', () => {
  it('bundles for the browser with no Node built-in and one copy of rxjs', () => {
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((path) => path.includes('node:'))).toBe(false);
    const rxjsRoots = new Set(
      inputs
        .filter((path) => path.includes('node_modules/rxjs/'))
        .map((path) => realpathSync(join(consumerDir, path.slice(0, path.indexOf('rxjs/') + 4)))),
    );
    expect([...rxjsRoots]).toEqual([realpathSync(join(ROOT, 'node_modules', 'rxjs'))]);
    expect(inputs.some((path) => path.includes('logstream/node_modules'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.peerDependencies.rxjs).toMatch(/^\^7\./);
    expect(manifest.dependencies?.rxjs).toBeUndefined();
    expect(manifest.sideEffects).toBe(false);
  });

  it('runs where no Node API exists, with the records Node computes', async () => {
    // Only what a browser page has: no process, require, Buffer or module.
    const page = createContext({
      console,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      queueMicrotask,
      btoa,
      atob,
      performance,
      TextEncoder,
      TextDecoder,
    });
    runInContext(bundle.code, page);
    const consumer = runInContext('consumer', page) as { main: () => Promise<unknown> };
    const inBrowser = JSON.parse(JSON.stringify(await consumer.main()));

    // The same consumer, run by Node against the built package.
    const nodeConsumer = join(consumerDir, 'consumer.mjs');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(nodeConsumer, CONSUMER);
    const inNode = JSON.parse(
      JSON.stringify(await (await import(pathToFileURL(nodeConsumer).href)).main()),
    );
    expect(inBrowser).toEqual(inNode);

    const library = await import(pathToFileURL(join(ROOT, 'dist/operators/index.js')).href);
    expect(inBrowser.exports).toEqual(Object.keys(library).sort());
    const kit = await import(pathToFileURL(join(ROOT, 'dist/operators/testing/index.js')).href);
    expect(inBrowser.testingExports).toEqual(Object.keys(kit).sort());
    expect(inBrowser.replayed).toEqual([
      [100, 120],
      [200, 200],
    ]);
    expect(inBrowser.laws).toBeGreaterThan(4);
    expect(inBrowser.batchOk).toBe(true);
    expect(inBrowser.records['running-average'].at(-1).total).toBe(200);
    expect(inBrowser.records['keyed-windows'].length).toBeGreaterThan(0);
    // Virtual time: windowEnd follows the scheduler's clock (0, 1.5, 3 s), not the wall clock.
    // One record per 1 s pane, then one as the source completes (at 2.801 s): the panes of
    // the last two seconds.
    expect(inBrowser.frames).toEqual([
      [1, 10],
      [2, 20],
      [2.801, 20],
    ]);
  });
});
