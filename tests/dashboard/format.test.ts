import { describe, expect, it } from 'vitest';
import {
  bar,
  formatCount,
  formatPercent,
  formatPerSecond,
  formatSmallPercent,
  formatSpan,
  sparkline,
} from '../../src/dashboard/format.js';

describe('formats', () => {
  it('shows rates as percentages and a missing rate as a dash', () => {
    expect(formatPercent(0.9523)).toBe('95.2%');
    expect(formatPercent(1)).toBe('100.0%');
    expect(formatPercent(null)).toBe('–');
    expect(formatSmallPercent(0.0081)).toBe('0.81%');
    expect(formatSmallPercent(2e-7)).toBe('<0.01%');
  });

  it('keeps counts narrow', () => {
    expect(formatCount(99_999)).toBe('99999');
    expect(formatCount(123_456)).toBe('123k');
    expect(formatCount(4_560_000)).toBe('4.56M');
    expect(formatPerSecond(null)).toBe('–');
    expect(formatPerSecond(2.25)).toBe('2.3/s');
    expect(formatPerSecond(512.4)).toBe('512/s');
    expect(formatPerSecond(12_340)).toBe('12.3k/s');
  });

  it('draws a sparkline scaled to its largest value, a space for no value', () => {
    expect(sparkline([0, 0.5, 1], 3)).toBe('▁▅█');
    expect(sparkline([0.1, null, 0.2], 3)).toBe('▅ █');
    expect(sparkline([0, 0], 2)).toBe('▁▁');
    expect(sparkline([1, 0, 0, 0], 2)).toBe('▁▁');
  });

  it('draws bars in eighths of a column', () => {
    expect(bar(1, 4)).toBe('████');
    expect(bar(0.5, 3)).toBe('█▌');
    expect(bar(0, 4)).toBe('');
    expect(bar(2, 2)).toBe('██');
  });
});

describe('formatSpan', () => {
  it('says a span to the second in its two largest units', () => {
    expect(formatSpan(45)).toBe('45s');
    expect(formatSpan(37 * 60 + 58)).toBe('37m58s');
    expect(formatSpan(2 * 3600 + 5 * 60 + 7)).toBe('2h05m');
    expect(formatSpan(3 * 86_400 + 4 * 3600)).toBe('3d04h');
    expect(formatSpan(-1)).toBe('–');
  });
});
