import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { EventBatch } from '../../operators/batch.js';
import { decodeRead, encodeRead } from '../../src/source/batch-transfer.js';
import { type JsonRead, readJsonDocument } from '../../src/source/json.js';
import { poolWorkerScript, WorkerPool } from '../../src/threads/worker-pool.js';
import { tempDir } from '../support/cli.js';

const DOCUMENT = Buffer.from(
  JSON.stringify([
    { service: 'api', timestamp: 1.5, message: 'HTTP Status Code: 200' },
    { service: '__proto__', timestamp: '2026-01-01T00:00:00Z', message: 'ISO time', extra: true },
    { service: 'api', timestamp: 3, message: 'HTTP Status Code: 500' },
    { service: 'api' },
    'not an event',
    { service: 'db', timestamp: 4, message: 'HTTP Status Code: 200' },
  ]),
);

function columns(batch: EventBatch) {
  return {
    services: [...batch.services],
    times: [...batch.times],
    statuses: [...batch.statuses],
    messages: [...batch.messages],
    events: Array.from({ length: batch.length }, (_, i) => batch.eventAt(i)),
  };
}

function expectSameRead(actual: JsonRead, expected: JsonRead): void {
  if (!expected.ok || !actual.ok) {
    expect(actual).toEqual(expected);
    return;
  }
  expect(actual.count).toBe(expected.count);
  expect(actual.badUtf8).toBe(expected.badUtf8);
  expect(actual.parts.map((part) => part.invalid)).toEqual(
    expected.parts.map((part) => part.invalid),
  );
  expect(actual.parts.map((part) => columns(part.batch))).toEqual(
    expected.parts.map((part) => columns(part.batch)),
  );
}

describe('batches crossing threads', () => {
  it('decode(encode(read)) gives the same events, originals and invalid values, after a real transfer', () => {
    const read = readJsonDocument(DOCUMENT, 0);
    const [encoded, transfer] = encodeRead(read);
    expect(transfer.length).toBeGreaterThan(0);
    // structuredClone with a transfer list is what postMessage does between threads.
    const received = structuredClone(encoded, { transfer });
    const decoded = decodeRead(received);
    expectSameRead(decoded, readJsonDocument(DOCUMENT, 0));
    // Services are sent once each, not once per event.
    expect(received.ok && received.parts[0]!.serviceNames).toEqual(['api', '__proto__', 'db']);
  });

  it('passes a document that does not parse through as its reason', () => {
    const read = readJsonDocument(Buffer.from('[{"service":'), 0);
    expect(decodeRead(structuredClone(encodeRead(read)[0]))).toEqual(read);
  });
});

// The pool's threads run the compiled worker script (npm test builds dist/ first).
describe.runIf(poolWorkerScript() !== undefined)('reader threads (the shared worker pool)', () => {
  it('read and scan files on other threads, with the same result as the calling thread', async () => {
    const pool = WorkerPool.create(2);
    expect(pool).toBeDefined();
    const dir = await tempDir();
    const path = join(dir, 'events.json');
    await writeFile(path, DOCUMENT);
    try {
      const scanned = await Promise.all([pool!.scan(path, 0), pool!.scan(path, 2)]);
      expectSameRead(scanned[0].read!, readJsonDocument(DOCUMENT, 0));
      expectSameRead(scanned[1].read!, readJsonDocument(DOCUMENT, 2));
      expect(scanned[0].size).toBe(DOCUMENT.length);
      await expect(pool!.scan(join(dir, 'missing.json'), 0)).rejects.toMatchObject({
        code: 'ENOENT',
      });
    } finally {
      pool!.terminate();
    }
  });

  it('starts its threads with the first job, and fails every job once terminated', async () => {
    const pool = WorkerPool.create(2)!;
    const dir = await tempDir();
    const path = join(dir, 'events.json');
    await writeFile(path, DOCUMENT);
    expect(pool.liveWorkers).toBe(0);
    const first = pool.scan(path, 0);
    expect(pool.liveWorkers).toBe(2);
    await first;
    const pending = pool.scan(path, 0);
    pool.terminate();
    await expect(pending).rejects.toThrow(/terminated/);
    await expect(pool.scan(path, 0)).rejects.toThrow(/terminated/);
    await vi.waitFor(() => expect(pool.liveWorkers).toBe(0), { timeout: 5000 });
  });

  it('is not made without threads', () => {
    expect(WorkerPool.create(0)).toBeUndefined();
    expect(() => WorkerPool.create(-1)).toThrow(RangeError);
  });
});

describe('a worker pool whose thread crashes', () => {
  // A thread that dies on its first job: a stand-in for a crash in the real worker.
  const crashing = new URL(
    `data:text/javascript,${encodeURIComponent(`
      import { parentPort } from 'node:worker_threads';
      parentPort.on('message', () => { throw new Error('worker crashed'); });
    `)}`,
  );

  it('fails the jobs of that thread, and later jobs once no thread is left', async () => {
    const pool = WorkerPool.create(1, { script: crashing })!;
    await expect(pool.scan('a.json', 0)).rejects.toThrow('worker crashed');
    await expect(pool.scan('b.json', 0)).rejects.toThrow(/every pool worker failed/);
    await vi.waitFor(() => expect(pool.liveWorkers).toBe(0), { timeout: 5000 });
    pool.terminate();
  });
});
