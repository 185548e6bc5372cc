import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RunningAverageRecord, TaskRecord } from '../operators/records.js';
import { NdjsonSink, recordLine } from '../src/ndjson-sink.js';
import type { TaskOutput } from '../src/topology.js';

const record: RunningAverageRecord = {
  task: 'running-average',
  oldest: 1,
  newest: 2,
  successes: 1,
  total: 2,
  rate: 0.5,
  services: [{ service: 'api', successes: 1, total: 2, rate: 0.5 }],
};
const output = (batch: number, file = 'a.json'): TaskOutput => ({ batch, file, record });

/** A reader that takes each chunk only when the test says so. */
function slowReader(highWaterMark = 16) {
  const chunks: string[] = [];
  const pending: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      pending.push(() => callback());
    },
  });
  const release = () => {
    for (const callback of pending.splice(0)) callback();
  };
  return { stream, chunks, release };
}

/** Whether `promise` has settled after the pending callbacks and I/O have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  for (let i = 0; i < 5; i++) await nextTurn();
  return done;
}

describe('NdjsonSink', () => {
  it('writes one record per line, with task, batch and file first', async () => {
    const { stream, chunks, release } = slowReader(1 << 20);
    const sink = new NdjsonSink(stream, () => {});
    sink.write(output(1));
    sink.write(output(2, '-'));
    release();
    await sink.end();
    const lines = chunks.join('').split('\n');
    expect(lines.at(-1)).toBe('');
    const parsed = lines.slice(0, -1).map((line) => JSON.parse(line));
    expect(parsed).toEqual([
      { batch: 1, file: 'a.json', ...record },
      { batch: 2, file: '-', ...record },
    ]);
    for (const line of parsed) {
      expect(Object.keys(line)).toEqual([
        'task',
        'batch',
        'file',
        'oldest',
        'newest',
        'successes',
        'total',
        'rate',
        'services',
      ]);
    }
  });

  it('respects backpressure: ready() resolves only once the stream has drained', async () => {
    const { stream, chunks, release } = slowReader(16);
    const sink = new NdjsonSink(stream, () => {});
    sink.write(output(1));
    const ready = sink.ready();
    // The record is larger than the stream's buffer and the reader has not taken it.
    expect(chunks).toHaveLength(1);
    expect(stream.writableNeedDrain).toBe(true);
    expect(await settled(ready)).toBe(false);
    release();
    expect(await settled(ready)).toBe(true);
  });

  it('resolves ready() at once when the stream has room', async () => {
    const { stream } = slowReader(1 << 20);
    const sink = new NdjsonSink(stream, () => {});
    sink.write(output(1));
    expect(await settled(sink.ready())).toBe(true);
  });

  it('ends quietly on a closed pipe (EPIPE), calls onClosed once, and writes no more', async () => {
    let closed = 0;
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString());
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const sink = new NdjsonSink(stream, () => {
      closed += 1;
    });
    sink.write(output(1));
    await sink.ready();
    await nextTurn();
    expect(closed).toBe(1);
    sink.write(output(2));
    sink.write(output(3));
    await sink.end();
    await nextTurn();
    expect(closed).toBe(1);
    expect(written).toHaveLength(1);
    expect(written[0]).toContain('"batch":1');
  });

  it('ends quietly when a write throws EPIPE synchronously', async () => {
    let closed = 0;
    const stream = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    stream.write = () => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    };
    const sink = new NdjsonSink(stream, () => {
      closed += 1;
    });
    sink.write(output(1));
    await sink.end();
    expect(closed).toBe(1);
  });

  it('does not wait forever for a drain when the stream closes instead', async () => {
    const { stream } = slowReader(16);
    const sink = new NdjsonSink(stream, () => {});
    sink.write(output(1));
    const ready = sink.ready();
    expect(await settled(ready)).toBe(false);
    stream.destroy();
    expect(await settled(ready)).toBe(true);
  });
});

describe('recordLine', () => {
  const spread = (batch: number, file: string | null, r: Record<string, unknown>) => {
    const { task, ...fields } = r;
    return JSON.stringify({ task, batch, file, ...fields });
  };

  it('puts task, batch and file first, then the fields in their order, as one object would', () => {
    const line = recordLine(7, 'x"y\u001b.json', record);
    expect(line).toBe(spread(7, 'x"y\u001b.json', { ...record }));
    expect(Object.keys(JSON.parse(line)).slice(0, 4)).toEqual(['task', 'batch', 'file', 'oldest']);
  });

  it('writes a null file (merged states) and a record of no other field', () => {
    const bare = { task: 'bloom' } as unknown as TaskRecord;
    expect(recordLine(0, null, bare)).toBe('{"task":"bloom","batch":0,"file":null}');
  });

  it('moves task first when a record does not put it there', () => {
    const late = { total: 1, task: 'reservoir' } as unknown as TaskRecord;
    expect(recordLine(3, 'a.json', late)).toBe(
      '{"task":"reservoir","batch":3,"file":"a.json","total":1}',
    );
  });
});
