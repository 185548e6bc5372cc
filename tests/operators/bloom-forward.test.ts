import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import { BloomFilter } from '../../operators/bloom-filter.js';
import { bloomForward, forwardedEvents } from '../../operators/bloom-forward.js';
import type { LogEvent } from '../../operators/event.js';
import { BASE_TIME as base, event as statusEvent, testScheduler } from '../support/events.js';

const event = (service: string, offset: number, message: string): LogEvent => ({
  service,
  timestamp: base + offset,
  message,
});
const status = (code: number, offset = 0) => statusEvent('monitoring', offset, code);

/** The seed's filter: 1024 bytes, 3 hashes, two messages of interest. */
function seedFilter(): BloomFilter {
  const filter = BloomFilter.withSize(8192, 3);
  filter.add('HTTP Status Code: 500');
  filter.add('Something else');
  return filter;
}

describe('bloomForward', () => {
  it('forwards the 500 and not the 200 of one batch (the seed test)', () => {
    const filter = seedFilter();
    const ok = status(200, 1);
    const failed = status(500, 2);
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a|', { a: [ok, failed] });
      expectObservable(source.pipe(bloomForward({ filter }))).toBe('-x|', {
        x: {
          task: 'bloom',
          bits: 8192,
          hashes: 3,
          // Two messages × three probes, none on the same bit.
          falsePositiveRate: (6 / 8192) ** 3,
          checked: 2,
          forwarded: 1,
          ratio: 0.5,
          batchChecked: 2,
          batchForwarded: 1,
          batchRatio: 0.5,
        },
      });
      expectObservable(source.pipe(forwardedEvents(filter))).toBe('-f|', { f: failed });
    });
  });

  it('keeps cumulative counts across inputs and per-input counts in batch fields', () => {
    const filter = seedFilter();
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c-d|', {
        a: [status(500), status(404)],
        b: status(500),
        c: [],
        d: [event('api', 3, 'Something else'), event('api', 4, 'Something else!'), status(200)],
      });
      const counts = (
        checked: number,
        forwarded: number,
        batchChecked: number,
        batchForwarded: number,
      ) =>
        expect.objectContaining({
          checked,
          forwarded,
          ratio: checked === 0 ? null : forwarded / checked,
          batchChecked,
          batchForwarded,
          batchRatio: batchChecked === 0 ? null : batchForwarded / batchChecked,
        });
      expectObservable(source.pipe(bloomForward({ filter }))).toBe('a-b-c-d|', {
        a: counts(2, 1, 2, 1),
        b: counts(3, 2, 1, 1),
        c: counts(3, 2, 0, 0),
        d: counts(6, 3, 3, 1),
      });
    });
  });

  it('matches whole messages only: a message that contains a pattern is not forwarded', () => {
    const filter = seedFilter();
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a|', {
        a: [
          event('api', 1, 'GET /x HTTP Status Code: 500'),
          event('api', 2, 'HTTP Status Code: 500 '),
          event('api', 3, 'HTTP Status Code: 500'),
        ],
      });
      expectObservable(source.pipe(forwardedEvents(filter))).toBe('f|', {
        f: event('api', 3, 'HTTP Status Code: 500'),
      });
    });
  });

  it('skips invalid events: they are neither checked nor forwarded; null ratios over nothing', () => {
    const filter = seedFilter();
    const invalid = [
      { service: 'api', timestamp: base, message: 42 },
      { service: '', timestamp: base, message: 'HTTP Status Code: 500' },
      null,
    ] as unknown as LogEvent[];
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab|', { a: invalid, b: [...invalid, status(500)] });
      expectObservable(source.pipe(bloomForward({ filter }))).toBe('xy|', {
        x: expect.objectContaining({ checked: 0, forwarded: 0, ratio: null, batchRatio: null }),
        y: expect.objectContaining({ checked: 1, forwarded: 1, ratio: 1, batchChecked: 1 }),
      });
    });
  });

  it('accepts a columnar EventBatch as one input value', () => {
    const filter = seedFilter();
    const batch = EventBatch.of([status(500), status(500), status(302)]);
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: batch }).pipe(bloomForward({ filter }))).toBe('x|', {
        x: expect.objectContaining({ checked: 3, forwarded: 2, batchRatio: 2 / 3 }),
      });
    });
  });

  it('reports the expected false-positive rate of the filter as it is when the record is made', () => {
    const filter = BloomFilter.withSize(64, 2);
    filter.add('one');
    const subject = new Subject<LogEvent>();
    const rates: number[] = [];
    subject.pipe(bloomForward({ filter })).subscribe((r) => rates.push(r.falsePositiveRate));
    subject.next(status(200));
    const before = filter.setBits;
    filter.add('two');
    filter.add('three');
    subject.next(status(200));
    expect(rates[0]).toBe((before / 64) ** 2);
    expect(rates[1]).toBe((filter.setBits / 64) ** 2);
    expect(rates[1]).toBeGreaterThan(rates[0]!);
  });

  it('starts from zero for each subscription while sharing one filter', () => {
    const filter = seedFilter();
    testScheduler().run(({ cold, expectObservable }) => {
      const forwarded = cold('a|', { a: status(500) }).pipe(bloomForward({ filter }));
      const first = { x: expect.objectContaining({ checked: 1, forwarded: 1 }) };
      expectObservable(forwarded).toBe('x|', first);
      expectObservable(forwarded).toBe('x|', first);
    });
  });

  it('hands each forwarded event, the original object, to a callback before its record', () => {
    const filter = seedFilter();
    const a = status(500, 1);
    const b = { ...status(500, 2), extra: 'kept' };
    const seen: unknown[] = [];
    from([[a, status(200)], [status(404)], [b]])
      .pipe(bloomForward({ filter, forwarded: (e) => seen.push(e) }))
      .subscribe((record) => seen.push(`record ${record.forwarded}/${record.checked}`));
    expect(seen).toEqual([a, 'record 1/2', 'record 1/3', b, 'record 2/4']);
    expect(seen[0]).toBe(a);
    expect(seen[3]).toBe(b);
  });

  it('gives an observer the forwarded events, then completion or the error', () => {
    const filter = seedFilter();
    const log: string[] = [];
    const errors: unknown[] = [];
    const observer = {
      prefix: 'fw',
      next(e: LogEvent) {
        log.push(`${this.prefix} ${e.timestamp}`);
      },
      complete() {
        log.push(`${this.prefix} complete`);
      },
    };
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab|', { a: status(500, 1), b: [status(500, 2), status(201, 3)] });
      expectObservable(source.pipe(bloomForward({ filter, forwarded: observer }))).toBe('xy|', {
        x: expect.objectContaining({ forwarded: 1 }),
        y: expect.objectContaining({ forwarded: 2 }),
      });
      const failing = cold('a#', { a: status(500, 4) }, new Error('disk gone'));
      expectObservable(
        failing.pipe(bloomForward({ filter, forwarded: { error: (e) => errors.push(e) } })),
      ).toBe('x#', { x: expect.objectContaining({ forwarded: 1 }) }, new Error('disk gone'));
    });
    expect(log).toEqual([`fw ${base + 1}`, `fw ${base + 2}`, 'fw complete']);
    expect(errors).toEqual([new Error('disk gone')]);
  });
});

describe('forwardedEvents', () => {
  it('emits the forwarded events of each input in order, as the original objects', async () => {
    const filter = seedFilter();
    const first = status(500, 1);
    const second = event('billing', 2, 'Something else');
    const third = status(500, 3);
    const events = await lastValueFrom(
      from([[first, status(200), second], status(404), [third]]).pipe(
        forwardedEvents(filter),
        toArray(),
      ),
    );
    expect(events).toHaveLength(3);
    expect(events[0]).toBe(first);
    expect(events[1]).toBe(second);
    expect(events[2]).toBe(third);
  });

  it('emits the events of one input synchronously, in the frame of that input', () => {
    const filter = seedFilter();
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c|', {
        a: [status(500, 1), status(500, 2)],
        b: status(200),
        c: status(500, 3),
      });
      expectObservable(source.pipe(forwardedEvents(filter))).toBe('(fg)h|', {
        f: status(500, 1),
        g: status(500, 2),
        h: status(500, 3),
      });
    });
  });
});
