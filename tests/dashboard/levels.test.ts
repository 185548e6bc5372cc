import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, failureLevel, successLevel } from '../../src/dashboard/levels.js';

describe('failureLevel', () => {
  it('leaves a service failing 30 % as usual uncoloured as a problem, however it is read', () => {
    expect(failureLevel(0.3, null, DEFAULT_THRESHOLDS)).toBe('good');
    expect(failureLevel(0.3, 0.3, DEFAULT_THRESHOLDS)).toBe('good');
    expect(successLevel(0.7, 0.3, DEFAULT_THRESHOLDS)).toBe('good');
  });

  it('judges a rise over the service baseline, and absolute rates, the worse of the two', () => {
    expect(failureLevel(0.15, 0.02, DEFAULT_THRESHOLDS)).toBe('warn');
    expect(failureLevel(0.3, 0.02, DEFAULT_THRESHOLDS)).toBe('critical');
    expect(failureLevel(0.85, 0.85, DEFAULT_THRESHOLDS)).toBe('critical');
    expect(failureLevel(0.55, null, DEFAULT_THRESHOLDS)).toBe('warn');
    expect(failureLevel(null, 0.1, DEFAULT_THRESHOLDS)).toBe('none');
  });

  it('follows thresholds a user sets', () => {
    const strict = { failure: { warn: 0.01, critical: 0.05 }, rise: { warn: 1, critical: 1 } };
    expect(failureLevel(0.03, 0.03, strict)).toBe('warn');
    expect(failureLevel(0.3, 0.3, strict)).toBe('critical');
  });
});
