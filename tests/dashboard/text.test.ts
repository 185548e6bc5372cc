import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayWidth, ELLIPSIS, logText, padToWidth, truncate } from '../../src/dashboard/text.js';

describe('truncate', () => {
  it('keeps text that fits and cuts longer text with an ellipsis', () => {
    expect(truncate('service', 7)).toBe('service');
    expect(truncate('services', 7)).toBe(`servic${ELLIPSIS}`);
    expect(truncate('abc', 1)).toBe(ELLIPSIS);
    expect(truncate('abc', 0)).toBe('');
  });

  it('counts wide characters as two columns and never splits them', () => {
    expect(displayWidth('日本語')).toBe(6);
    expect(truncate('日本語', 5)).toBe(`日本${ELLIPSIS}`);
    expect(truncate('日本語', 4)).toBe(`日${ELLIPSIS}`);
    expect(truncate('a🚀b', 3)).toBe(`a${ELLIPSIS}`);
  });

  it('marks text that was shortened before', () => {
    expect(truncate('abc', 10, true)).toBe(`abc${ELLIPSIS}`);
    expect(truncate('abc', 3, true)).toBe(`ab${ELLIPSIS}`);
  });

  it('never exceeds the width', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'é', '日', '🚀', '\u0301', ' '), maxLength: 40 }),
        fc.integer({ min: 0, max: 30 }),
        (text, width) => {
          const cut = truncate(text, width);
          expect(displayWidth(cut)).toBeLessThanOrEqual(width);
          if (width === 0) expect(cut).toBe('');
          else if (displayWidth(text) <= width) expect(cut).toBe(text);
          else if (width > 0) expect(cut.endsWith(ELLIPSIS)).toBe(true);
        },
      ),
      { seed: 11, numRuns: 1000 },
    );
  });
});

describe('padToWidth', () => {
  it('pads to the width or cuts to it', () => {
    expect(padToWidth('api', 5)).toBe('api  ');
    expect(padToWidth('billing', 5)).toBe(`bill${ELLIPSIS}`);
    expect(padToWidth('日本', 5)).toBe('日本 ');
  });
});

describe('logText', () => {
  it('sanitizes before cutting, so escape sequences take no room', () => {
    expect(logText('\x1b[31mred\x1b[0m', 3)).toBe('red');
  });

  it('cuts a 10,000-character message to the width', () => {
    const cut = logText('x'.repeat(10_000), 40);
    expect(cut).toBe(`${'x'.repeat(39)}${ELLIPSIS}`);
  });

  it('marks a huge message as cut even when its visible start fits', () => {
    const text = `short${'\x1b[0m'.repeat(5000)}hidden tail`;
    expect(logText(text, 80)).toBe(`short${ELLIPSIS}`);
  });
});
