import { describe, expect, it } from 'vitest';
import { toEpochSeconds } from '../../operators/event.js';
import { SeededRandom } from '../../operators/random.js';

const MAX_MILLIS = Date.parse('9999-12-31T23:59:59.999Z');

describe('toEpochSeconds', () => {
  it('reads every ISO-8601 form of an instant as Date.parse reads it with its zone', () => {
    const random = SeededRandom.fromSeed(20);
    for (let i = 0; i < 20_000; i++) {
      const millis = Math.floor(random.next() * MAX_MILLIS);
      const iso = new Date(millis).toISOString();
      expect(toEpochSeconds(iso)).toBeCloseTo(millis / 1000, 6);
      expect(toEpochSeconds(iso.replace('T', ' '))).toBeCloseTo(millis / 1000, 6);
      expect(toEpochSeconds(iso.replace('Z', '+05:30'))).toBeCloseTo(millis / 1000 - 19_800, 6);
      expect(toEpochSeconds(iso.replace('Z', '-0800'))).toBeCloseTo(millis / 1000 + 28_800, 6);
      expect(toEpochSeconds(iso.slice(0, 10))).toBe(Date.parse(iso.slice(0, 10)) / 1000);
    }
  });

  it('reads a date-time without a zone as UTC, not local time', () => {
    const random = SeededRandom.fromSeed(21);
    for (let i = 0; i < 2_000; i++) {
      const millis = Math.floor(random.next() * MAX_MILLIS);
      const iso = new Date(millis).toISOString();
      expect(toEpochSeconds(iso.slice(0, 19))).toBe(Math.floor(millis / 1000));
      expect(toEpochSeconds(iso.slice(0, 16))).toBe(Date.parse(`${iso.slice(0, 16)}Z`) / 1000);
      expect(toEpochSeconds(iso.slice(0, 23))).toBeCloseTo(millis / 1000, 6);
    }
  });

  it('keeps years before 100 and leap days where the calendar has them', () => {
    expect(toEpochSeconds('0000-01-01')).toBe(Date.parse('0000-01-01T00:00:00Z') / 1000);
    expect(toEpochSeconds('0099-03-01T12:00')).toBe(Date.parse('0099-03-01T12:00:00Z') / 1000);
    expect(toEpochSeconds('2024-02-29')).toBe(Date.parse('2024-02-29') / 1000);
    expect(toEpochSeconds('2000-02-29')).toBe(Date.parse('2000-02-29') / 1000);
  });

  it.each([
    '2026-02-30',
    '2023-02-29',
    '1900-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-01-01T24:00:00Z',
    '2026-01-01T10:60',
    '2026-01-01T10:00:60Z',
    '2026-01-01T10:00+24:00',
    '2026-01-01T10:00+05:60',
    '2026-01-01T10',
    '2026-1-01',
    ' 2026-01-01',
    '2026-01-01Z',
    '1700000000',
    'May 3',
  ])('refuses %j', (text) => {
    expect(toEpochSeconds(text)).toBeUndefined();
  });
});
