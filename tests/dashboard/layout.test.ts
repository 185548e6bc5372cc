import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeLayout, PANEL_ORDER } from '../../src/dashboard/layout.js';

describe('computeLayout', () => {
  it('fits all six panels in two columns on 80×24, one row short of the terminal', () => {
    const layout = computeLayout({ columns: 80, rows: 24 });
    expect(layout.grid.map((row) => row.length)).toEqual([2, 2, 2]);
    expect(layout.hiddenPanels).toBe(0);
    expect(layout.headerRows + layout.bodyRows + layout.footerRows).toBe(23);
    expect(layout.grid.flat().every((slot) => slot.contentRows >= 4)).toBe(true);
  });

  it('uses three bordered columns on 160×48', () => {
    const layout = computeLayout({ columns: 160, rows: 48 });
    expect(layout.grid.map((row) => row.map((slot) => slot.id))).toEqual([
      PANEL_ORDER.slice(0, 3),
      PANEL_ORDER.slice(3),
    ]);
    expect(layout.grid.flat().every((slot) => slot.bordered)).toBe(true);
  });

  it('is never taller or wider than the terminal', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 200 }),
        (columns, rows) => {
          const layout = computeLayout({ columns, rows });
          const panelRows = layout.grid.reduce((sum, row) => sum + row[0]!.height, 0);
          expect(panelRows).toBeLessThanOrEqual(layout.bodyRows);
          expect(layout.headerRows + layout.bodyRows + layout.footerRows).toBeLessThanOrEqual(
            Math.max(0, rows - 1),
          );
          for (const row of layout.grid) {
            const width =
              row.reduce((sum, slot) => sum + slot.width, 0) + layout.gap * (row.length - 1);
            expect(width).toBeLessThanOrEqual(columns);
            for (const slot of row) {
              expect(slot.contentRows).toBeLessThan(slot.height);
              expect(slot.contentWidth).toBeLessThanOrEqual(slot.width);
            }
          }
          const shown = layout.grid.flat().length;
          expect(shown + layout.hiddenPanels).toBe(PANEL_ORDER.length);
        },
      ),
      { seed: 3, numRuns: 2000 },
    );
  });
});
