import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import { type EventFields, STANDARD_FIELDS } from '../../src/source/event-fields.js';
import { collectValues } from '../../src/source/json.js';
import { scanJsonArray, scanNdjsonLines } from '../../src/source/scan-events.js';
import { validateValue } from '../../src/source/validate-values.js';

const NOW = () => Date.UTC(2026, 11, 1);
const LATEST = NOW() / 1000 + 86_400;

const MAPPED: EventFields = {
  service: ['svc'],
  timestamp: ['ts'],
  message: ['msg', 'text'],
  timestampUnit: 'ms',
};
const MILLISECONDS: EventFields = { ...STANDARD_FIELDS, timestampUnit: 'ms' };

/** The events of a batch as plain rows, to compare two readings. */
const rows = (batch: EventBatch) =>
  Array.from({ length: batch.length }, (_, i) => [
    batch.service(i),
    batch.times[i],
    batch.statuses[i],
    batch.message(i),
  ]);

describe('field mapping', () => {
  it('reads the fields at their paths, and keeps the event in its own shape', () => {
    const value = { ts: 1_700_000_000_500, svc: 'api', msg: { text: 'HTTP Status Code: 503' } };
    const result = validateValue(value, LATEST, MAPPED);
    expect(result).toEqual({
      ok: true,
      event: {
        service: 'api',
        time: 1_700_000_000.5,
        status: 503,
        message: 'HTTP Status Code: 503',
        event: value,
      },
    });
  });

  it('names the field as the logs call it in every reason', () => {
    const reason = (value: unknown) => {
      const result = validateValue(value, LATEST, MAPPED);
      return result.ok ? 'valid' : result.reason;
    };
    expect(reason({ ts: 1, msg: { text: 'x' } })).toBe('missing svc');
    expect(reason({ svc: 'a', msg: { text: 'x' } })).toBe('missing ts');
    expect(reason({ svc: 'a', ts: 1 })).toBe('missing msg.text');
    expect(reason({ svc: 'a', ts: 1, msg: 'flat' })).toBe('missing msg.text');
    expect(reason({ svc: 'a', ts: 1, msg: { text: 7 } })).toBe('msg.text is 7, not a string');
    expect(reason({ svc: '', ts: 1, msg: { text: 'x' } })).toBe('svc is empty');
    expect(reason({ svc: 'a', ts: 'soon', msg: { text: 'x' } })).toBe(
      'ts is "soon", not epoch seconds or ISO-8601',
    );
    expect(reason([1])).toBe('not an object (an array)');
  });

  it('follows own keys only: nothing is read from a prototype or through an array', () => {
    const mapped: EventFields = { ...MAPPED, service: ['constructor', 'name'] };
    expect(validateValue({ ts: 1, msg: { text: 'x' } }, LATEST, mapped)).toEqual({
      ok: false,
      reason: 'missing constructor.name',
    });
    const throughArray: EventFields = { ...MAPPED, message: ['msg', '0'] };
    expect(validateValue({ svc: 'a', ts: 1, msg: ['x'] }, LATEST, throughArray).ok).toBe(false);
  });

  it('reads ISO-8601 timestamps as they are whatever the unit', () => {
    const value = { svc: 'a', ts: '2026-01-01T00:00:00Z', msg: { text: 'x' } };
    const result = validateValue(value, LATEST, MAPPED);
    expect(result.ok && result.event.time).toBe(Date.UTC(2026, 0, 1) / 1000);
  });

  it('bounds milliseconds as seconds: today in ms is valid, not a date far in the future', () => {
    const value = { service: 'a', timestamp: NOW(), message: 'x' };
    expect(validateValue(value, LATEST, MILLISECONDS).ok).toBe(true);
    expect(validateValue(value, LATEST, STANDARD_FIELDS).ok).toBe(false);
    const lines = Buffer.from(`${JSON.stringify(value)}\n`);
    expect(
      scanNdjsonLines(lines, 1, Number.POSITIVE_INFINITY, NOW, MILLISECONDS).batch.length,
    ).toBe(1);
  });
});

describe('the scanner with mapped fields', () => {
  /** Timestamps as a log writes them: integers, fractions, exponents, negatives, huge ones. */
  const timestampText = fc.oneof(
    fc.integer({ min: -1e13, max: 1.8e12 }).map(String),
    fc.double({ min: -1e12, max: 1.8e12, noNaN: true }).map(String),
    fc.integer({ min: 0, max: 1_800_000 }).map((n) => `${n}e6`),
    fc.constantFrom('1e400', '-0', '0.0', '1700000000000.123456789'),
  );
  const line = fc.record({
    service: fc.constantFrom('api', 'db', 'édge', ''),
    timestamp: timestampText,
    status: fc.constantFrom(200, 404, 503),
  });

  it('reads milliseconds on its fast path exactly as the general path does', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 40 }), (events) => {
        const text = events
          .map(
            (e) =>
              `{"service":${JSON.stringify(e.service)},"timestamp":${e.timestamp},"message":"HTTP Status Code: ${e.status}"}`,
          )
          .join('\n');
        const bytes = Buffer.from(`${text}\n`);
        const fast = scanNdjsonLines(bytes, 1, Number.POSITIVE_INFINITY, NOW, MILLISECONDS);
        const [general] = [
          ...collectValues(
            text.split('\n').map((l) => JSON.parse(l)),
            0,
            NOW,
            MILLISECONDS,
          ),
        ];
        expect(rows(fast.batch)).toEqual(rows(EventBatch.fromParsed(general!.events)));
        expect(fast.invalid.map((v) => v.reason)).toEqual(general!.invalid.map((v) => v.reason));
      }),
      { seed: 20_261_202, numRuns: 300 },
    );
  });

  it('reads a .json document of mapped events as the general path does', () => {
    const events = Array.from({ length: 50 }, (_, i) => ({
      ts: 1_700_000_000_000 + i * 250,
      svc: `svc-${i % 3}`,
      msg: { text: `HTTP Status Code: ${i % 5 === 0 ? 500 : 200}`, level: 'info' },
      ...(i % 7 === 0 && { svc: undefined }),
    }));
    const bytes = Buffer.from(JSON.stringify(events));
    const scan = scanJsonArray(bytes, { now: NOW, fields: MAPPED })!;
    const [general] = [...collectValues(JSON.parse(bytes.toString()), 0, NOW, MAPPED)];
    expect(scan.parts).toHaveLength(1);
    expect(rows(scan.parts[0]!.batch)).toEqual(rows(EventBatch.fromParsed(general!.events)));
    expect(scan.parts[0]!.invalid).toEqual(general!.invalid);
    expect(scan.parts[0]!.invalid.map((v) => v.reason)).toEqual(Array(8).fill('missing svc'));
    // The original shape is kept (event 0 is invalid) for the sinks that forward events.
    expect(scan.parts[0]!.batch.eventAt(0)).toEqual(events[1]);
  });
});
