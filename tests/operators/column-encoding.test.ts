import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeColumn, encodeColumn } from '../../operators/task-state.js';

describe('the base64 encoding of state and recording columns', () => {
  it("is standard base64, as Node's Buffer writes it, for every length and byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(encodeColumn(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      }),
      { seed: 16, numRuns: 500 },
    );
  });

  it('reads back every double exactly, from a column that is a view into a larger buffer', () => {
    fc.assert(
      fc.property(fc.array(fc.double()), fc.nat(3), (values, offset) => {
        const buffer = new Float64Array(values.length + offset + 1);
        buffer.set(values, offset);
        const view = buffer.subarray(offset, offset + values.length);
        expect([...decodeColumn(encodeColumn(view), Float64Array)]).toEqual([...view]);
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});
