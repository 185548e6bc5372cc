import { describe, expect, it } from 'vitest';
import { createRateMeter, perSecond, recordCount } from '../../src/dashboard/rate-meter.js';

describe('rate meter', () => {
  it('has no rate until the samples span a second', () => {
    let meter = createRateMeter(5000);
    expect(perSecond(meter, 0)).toBeNull();
    meter = recordCount(meter, 0, 100);
    meter = recordCount(meter, 500, 200);
    expect(perSecond(meter, 500)).toBeNull();
  });

  it('measures growth since the first sample while younger than the window', () => {
    let meter = createRateMeter(5000);
    meter = recordCount(meter, 0, 100);
    meter = recordCount(meter, 2000, 700);
    expect(perSecond(meter, 2000)).toBe(300);
  });

  it('measures growth over the last window once older', () => {
    let meter = createRateMeter(5000);
    meter = recordCount(meter, 0, 0);
    meter = recordCount(meter, 4000, 4000); // the count at 5000 is still 4000 at t=9000
    meter = recordCount(meter, 10_000, 5000);
    // Window [5000, 10000]: from 4000 to 5000 in 5 s.
    expect(perSecond(meter, 10_000)).toBe(200);
    expect(meter.samples.map((sample) => sample.time)).toEqual([4000, 10_000]);
  });

  it('falls to zero when the count stops growing', () => {
    let meter = createRateMeter(5000);
    meter = recordCount(meter, 0, 0);
    meter = recordCount(meter, 1000, 1000);
    expect(perSecond(meter, 1000)).toBe(1000);
    expect(perSecond(meter, 3000)).toBeCloseTo(1000 / 3);
    meter = recordCount(meter, 7000, 1000);
    expect(perSecond(meter, 7000)).toBe(0);
  });

  it('returns the same meter when nothing changed', () => {
    const meter = recordCount(createRateMeter(5000), 0, 10);
    expect(recordCount(meter, 100, 10)).toBe(meter);
  });
});
