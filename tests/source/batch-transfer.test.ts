import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventBatch } from '../../operators/batch.js';
import { decodeRead, encodeRead } from '../../src/source/batch-transfer.js';
import { type JsonRead, readJsonDocument } from '../../src/source/json.js';
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

const compiledPool = resolve(import.meta.dirname, '../../dist/src/source/scan-pool.js');

describe.runIf(existsSync(compiledPool))('reader threads (compiled package)', () => {
  it('read and scan files on other threads, with the same result as the calling thread', async () => {
    const { ScanPool } = (await import(
      compiledPool
    )) as typeof import('../../src/source/scan-pool.js');
    const pool = ScanPool.create(2);
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
      pool!.close();
    }
  });
});
