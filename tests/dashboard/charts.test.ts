import { describe, expect, it } from 'vitest';
import type { ServiceBucket } from '../../operators/records.js';
import {
  ANOMALY_CELL,
  areaChart,
  BLOCKS,
  bucketCell,
  bucketGrid,
  cellRuns,
  EMPTY_CELL,
  failureGlyph,
  gridSlots,
  heatCell,
  keyedGrid,
  smallestGap,
  stripSlots,
  timeAxis,
} from '../../src/dashboard/charts.js';
import { formatClock, formatStep, sparkline } from '../../src/dashboard/format.js';
import { DEFAULT_THRESHOLDS } from '../../src/dashboard/levels.js';
import { keyedWindow, windowOf } from './helpers.js';

const T0 = 1_714_564_800;

describe('heatCell', () => {
  it('draws the failure rate as a block by its absolute value, lowest for none, full for all', () => {
    expect(heatCell(windowOf('api', T0, 0), null, DEFAULT_THRESHOLDS).char).toBe('▁');
    expect(heatCell(windowOf('api', T0, 50), null, DEFAULT_THRESHOLDS).char).toBe('▅');
    expect(heatCell(windowOf('api', T0, 100), null, DEFAULT_THRESHOLDS).char).toBe('█');
    // Absolute: the same rate is the same block whatever the service's baseline.
    expect(heatCell(windowOf('api', T0, 50), 0.45, DEFAULT_THRESHOLDS).char).toBe('▅');
    const glyphs = Array.from({ length: 8 }, (_, i) => failureGlyph(i / 7));
    expect(glyphs.join('')).toBe(BLOCKS);
  });

  it('rates failures over events with a status: a 3xx is no failure', () => {
    // 20 failures, 40 successes, 40 redirects: 20 % failing (▂), where 1 - rate is 60 % (▅).
    const window = keyedWindow('api', T0, { total: 100, failures: 20, successes: 40, rate: 0.4 });
    expect(heatCell(window, null, DEFAULT_THRESHOLDS)).toMatchObject({ char: '▂', color: 'green' });
  });

  it("marks an anomaly with '!' in bold red, whatever its rate", () => {
    const cell = heatCell(windowOf('api', T0, 2, { anomaly: true }), null, DEFAULT_THRESHOLDS);
    expect(cell).toMatchObject({ char: ANOMALY_CELL, color: 'red', bold: true });
  });

  it("draws '·' for no window and for a window without a status", () => {
    expect(heatCell(undefined, null, DEFAULT_THRESHOLDS)).toMatchObject({
      char: EMPTY_CELL,
      color: undefined,
    });
    const empty = keyedWindow('api', T0, { total: 0, successes: 0, failures: 0, rate: null });
    expect(heatCell(empty, null, DEFAULT_THRESHOLDS).char).toBe(EMPTY_CELL);
  });

  it('colours by the rise over the baseline, and by absolute thresholds without one', () => {
    const at = (failures: number, baseline: number | null) =>
      heatCell(windowOf('api', T0, failures), baseline, DEFAULT_THRESHOLDS).color;
    // 35 % failing is as usual for a service at 30 %, a warning rise for one at 20 %.
    expect(at(35, 0.3)).toBe('green');
    expect(at(35, 0.2)).toBe('yellow');
    expect(at(35, 0)).toBe('red');
    expect(at(35, null)).toBe('green');
    expect(at(90, null)).toBe('red');
  });

  it('underlines a window updated by late events, anomaly or not', () => {
    expect(
      heatCell(windowOf('api', T0, 1, { update: true }), null, DEFAULT_THRESHOLDS),
    ).toMatchObject({
      underline: true,
    });
    expect(
      heatCell(windowOf('api', T0, 1, { update: true, anomaly: true }), null, DEFAULT_THRESHOLDS),
    ).toMatchObject({ char: '!', underline: true });
    expect(heatCell(windowOf('api', T0, 1), null, DEFAULT_THRESHOLDS).underline).toBe(false);
  });
});

describe('bucketCell', () => {
  const bucket = (successes: number, total: number): ServiceBucket => ({
    service: 'api',
    start: T0,
    successes,
    total,
    rate: total === 0 ? null : successes / total,
  });

  it('draws the failure rate and colours the success rate against the baseline', () => {
    expect(bucketCell(bucket(10, 10), null, DEFAULT_THRESHOLDS)).toMatchObject({
      char: '▁',
      color: 'green',
    });
    expect(bucketCell(bucket(0, 10), null, DEFAULT_THRESHOLDS)).toMatchObject({
      char: '█',
      color: 'red',
    });
    // 60 % succeeding: usual for a service failing 40 % since start, critical for one at 5 %.
    expect(bucketCell(bucket(6, 10), 0.4, DEFAULT_THRESHOLDS).color).toBe('green');
    expect(bucketCell(bucket(6, 10), 0.05, DEFAULT_THRESHOLDS).color).toBe('red');
    expect(bucketCell(undefined, null, DEFAULT_THRESHOLDS).char).toBe(EMPTY_CELL);
  });
});

describe('stripSlots', () => {
  it('puts each window in the column of its start, newest on the right, gaps empty', () => {
    const windows = [0, 10, 30].map((offset) => windowOf('api', T0 + offset, 0));
    const slots = stripSlots(windows, T0 + 30, 10, 5);
    expect(slots.map((window) => window?.windowStart)).toEqual([
      undefined,
      T0,
      T0 + 10,
      undefined,
      T0 + 30,
    ]);
  });

  it('gives every service the same grid: a column is the same time in every row', () => {
    const api = [0, 10, 20, 30].map((offset) => windowOf('api', T0 + offset, 0));
    const db = [10].map((offset) => windowOf('db', T0 + offset, 0));
    const latest = T0 + 30;
    const apiSlots = stripSlots(api, latest, 10, 6);
    const dbSlots = stripSlots(db, latest, 10, 6);
    const column = dbSlots.findIndex((window) => window !== undefined);
    expect(column).toBe(3);
    expect(apiSlots[column]!.windowStart).toBe(dbSlots[column]!.windowStart);
    // db has nothing newer: its right columns are idle, not shifted to the right.
    expect(dbSlots.slice(4)).toEqual([undefined, undefined]);
  });

  it('keeps only the newest columns of a long history and handles sliding windows', () => {
    const windows = Array.from({ length: 200 }, (_, i) => windowOf('api', T0 + i * 5, 0));
    const slots = stripSlots(windows, T0 + 199 * 5, 5, 3);
    expect(slots.map((window) => window!.windowStart)).toEqual([
      T0 + 197 * 5,
      T0 + 198 * 5,
      T0 + 199 * 5,
    ]);
    expect(stripSlots(windows, T0, 5, 0)).toEqual([]);
  });

  it('places by any start with gridSlots (Task 5 buckets)', () => {
    const buckets = [{ start: 60 }, { start: 120 }];
    expect(gridSlots(buckets, (b) => b.start, 180, 60, 3)).toEqual([
      { start: 60 },
      { start: 120 },
      undefined,
    ]);
  });
});

describe('the grid step', () => {
  it('is the smallest positive gap between starts, else the fallback, else unknown', () => {
    expect(
      smallestGap([
        [0, 30, 40],
        [0, 20],
      ]),
    ).toBe(10);
    expect(smallestGap([[0], [5]], 10)).toBe(10);
    expect(smallestGap([], undefined)).toBeUndefined();
  });

  it('keyedGrid: the latest window of any row, the slide given or found', () => {
    const rows = [
      { windows: [windowOf('api', T0, 0), windowOf('api', T0 + 5, 0)] },
      { windows: [windowOf('db', T0 + 20, 0)] },
    ];
    expect(keyedGrid(rows, 10)).toEqual({ latestStart: T0 + 20, step: 10 });
    expect(keyedGrid(rows, undefined)).toEqual({ latestStart: T0 + 20, step: 5 });
    // One window each: the window's length, the slide of the default tumbling windows.
    expect(keyedGrid([{ windows: [windowOf('db', T0, 0)] }], undefined)?.step).toBe(10);
    expect(keyedGrid([{ windows: [] }], undefined)).toBeUndefined();
    // The window the task closed last counts, so idle services show idle columns.
    expect(keyedGrid(rows, 10, windowOf('x', T0 + 50, 0))?.latestStart).toBe(T0 + 50);
  });

  it('bucketGrid: the bucket width found from the buckets', () => {
    const bucket = (start: number): ServiceBucket => ({
      service: 'api',
      start,
      successes: 1,
      total: 1,
      rate: 1,
    });
    expect(bucketGrid([{ buckets: [bucket(T0), bucket(T0 + 60)] }])).toEqual({
      latestStart: T0 + 60,
      step: 60,
    });
    expect(bucketGrid([{ buckets: [bucket(T0)] }])).toBeUndefined();
    expect(formatStep(60)).toBe('1m');
    expect(formatStep(7200)).toBe('2h');
    expect(formatStep(90)).toBe('90s');
  });
});

describe('timeAxis', () => {
  const labels = (axis: string) => [...axis.matchAll(/\d\d:\d\d:\d\d/g)];

  it('is exactly as wide as the strip, labels naming the columns they stand under', () => {
    const cells = 60;
    const latest = T0 + 600;
    const axis = timeAxis(latest, 10, cells);
    expect(axis).toHaveLength(cells);
    const timeOf = (column: number) => formatClock(latest - (cells - 1 - column) * 10);
    const found = labels(axis);
    expect(found.length).toBeGreaterThanOrEqual(3);
    // The leftmost label begins under column 0 and names it.
    expect(found[0]!.index).toBe(0);
    expect(found[0]![0]).toBe(timeOf(0));
    // The rightmost ends under the newest column and names it.
    const last = found.at(-1)!;
    expect(last.index! + 8).toBe(cells);
    expect(last[0]).toBe(formatClock(latest));
    // Those between begin under their column.
    for (const label of found.slice(1, -1)) expect(label[0]).toBe(timeOf(label.index!));
  });

  it('keeps labels apart and drops them when narrow', () => {
    const axis = timeAxis(T0, 10, 18);
    expect(labels(axis)).toHaveLength(2);
    expect(axis).toMatch(/^\S{8} {2}\S{8}$/);
    expect(labels(timeAxis(T0, 10, 17)).map((label) => label.index)).toEqual([9]);
    expect(timeAxis(T0, 10, 7)).toBe(' '.repeat(7));
    expect(timeAxis(T0, 10, 0)).toBe('');
  });
});

describe('areaChart', () => {
  it('returns height rows of exactly width columns, filled from the bottom', () => {
    const chart = areaChart([0, 5, 10], 3, 2);
    expect(chart).toEqual([
      '  █', // top row: only the largest reaches it
      '▁██',
    ]);
    for (const row of areaChart([1, 2, 3], 10, 4)) expect(row).toHaveLength(10);
  });

  it('fills a half-height value up to its eighth', () => {
    // 3/8 of a 2-row chart is 6 eighths: the bottom row only, at ▆.
    expect(areaChart([3, 8], 2, 2)).toEqual([' █', '▆█']);
  });

  it('puts the newest value on the right and leaves null columns blank', () => {
    expect(areaChart([4, null, 4], 5, 2)).toEqual(['  █ █', '  █ █']);
    expect(areaChart([1, 2, 3, 4, 5, 6], 3, 2)[1]).toBe('███');
  });

  it('is the sparkline on one row, padded to the width', () => {
    const values = [0, 0.05, 0.1];
    expect(areaChart(values, 5, 1)).toEqual([`  ${sparkline(values, 5)}`]);
    expect(areaChart(values, 5, 0)).toEqual([]);
  });
});

describe('cellRuns', () => {
  it('merges adjacent cells drawn alike, in order', () => {
    const cells = [
      heatCell(undefined, null, DEFAULT_THRESHOLDS),
      heatCell(undefined, null, DEFAULT_THRESHOLDS),
      heatCell(windowOf('api', T0, 0), null, DEFAULT_THRESHOLDS),
      heatCell(windowOf('api', T0, 0), null, DEFAULT_THRESHOLDS),
      heatCell(windowOf('api', T0, 0, { anomaly: true }), null, DEFAULT_THRESHOLDS),
    ];
    expect(cellRuns(cells).map((run) => run.text)).toEqual(['··', '▁▁', '!']);
  });
});
