/**
 * The dashboard's pictures as plain strings and cells, no React: heat strips of Task 6's
 * windows and Task 5's buckets on a shared time grid, the time axis under them, and a
 * multi-row area chart. Pure, so they are tested without a terminal.
 */
import type { KeyedWindowRecord, ServiceBucket } from '../../operators/records.js';
import { formatClock, sparkline } from './format.js';
import { failureLevel, levelColour, successLevel, type Thresholds } from './levels.js';
import { failureOfWindow } from './service-table.js';

/** Eight heights of a block, lowest first: a failure rate from 0 to 1, a chart's eighths. */
export const BLOCKS = '▁▂▃▄▅▆▇█';
/** A slot of the grid with no window (or a window without a status): nothing to rate. */
export const EMPTY_CELL = '·';
/** A window flagged as an anomaly: a mark that reads without colour. */
export const ANOMALY_CELL = '!';

/** One terminal column of a strip: its character and how it is drawn. */
export interface Cell {
  readonly char: string;
  readonly color: string | undefined;
  readonly bold: boolean;
  readonly underline: boolean;
  readonly dim: boolean;
}

const EMPTY: Cell = {
  char: EMPTY_CELL,
  color: undefined,
  bold: false,
  underline: false,
  dim: true,
};

/**
 * The block of a failure rate, `▁` for 0 up to `█` for 1, by the absolute rate (not scaled to
 * the strip), so a strip reads the same without colour and two strips compare by eye.
 */
export function failureGlyph(failure: number): string {
  const level = Math.round(Math.min(1, Math.max(0, failure)) * (BLOCKS.length - 1));
  return BLOCKS[level]!;
}

/**
 * A Task 6 window as one column: {@link failureGlyph} of its {@link failureOfWindow} coloured by
 * {@link failureLevel} against the service's `baseline`, `!` in bold red for an anomaly,
 * `·` (dim) for no window or one without a status; a window re-emitted with late events
 * (`update: true`) is underlined.
 */
export function heatCell(
  window: KeyedWindowRecord | undefined,
  baseline: number | null,
  thresholds: Thresholds,
): Cell {
  if (window === undefined) return EMPTY;
  const underline = window.update;
  if (window.anomaly)
    return { char: ANOMALY_CELL, color: 'red', bold: true, underline, dim: false };
  const failure = failureOfWindow(window);
  if (failure === null) return { ...EMPTY, underline };
  return {
    char: failureGlyph(failure),
    color: levelColour(failureLevel(failure, baseline, thresholds)),
    bold: false,
    underline,
    dim: false,
  };
}

/**
 * A Task 5 bucket (`--group-every`) as one column: the glyph of its failure rate, coloured by
 * {@link successLevel} of its success rate against the service's `baseline` (a failure rate).
 */
export function bucketCell(
  bucket: ServiceBucket | undefined,
  baseline: number | null,
  thresholds: Thresholds,
): Cell {
  if (bucket === undefined || bucket.rate === null) return EMPTY;
  return {
    char: failureGlyph(1 - bucket.rate),
    color: levelColour(successLevel(bucket.rate, baseline, thresholds)),
    bold: false,
    underline: false,
    dim: false,
  };
}

/** A run of adjacent cells drawn alike: one Text node instead of one per column. */
export interface CellRun extends Omit<Cell, 'char'> {
  readonly text: string;
}

/** `cells` merged into runs of the same style, in order. */
export function cellRuns(cells: readonly Cell[]): CellRun[] {
  const runs: CellRun[] = [];
  let current: CellRun | undefined;
  for (const { char, ...style } of cells) {
    if (
      current !== undefined &&
      current.color === style.color &&
      current.bold === style.bold &&
      current.underline === style.underline &&
      current.dim === style.dim
    ) {
      current = { ...current, text: current.text + char };
      runs[runs.length - 1] = current;
    } else {
      current = { ...style, text: char };
      runs.push(current);
    }
  }
  return runs;
}

/**
 * `items` placed on a time grid of `cells` columns, one column per `step` seconds: column
 * `c` holds the item starting at `latestStart - (cells - 1 - c) * step`, undefined where
 * there is none. Every service is placed on the same grid, so a column is the same time in
 * every row. `items` are in start order (oldest first, as the service table keeps them);
 * only the newest `cells` columns are looked at, so a long history costs nothing. A start
 * off the grid goes to the nearest column; two items in one column keep the later one.
 */
export function gridSlots<T>(
  items: readonly T[],
  startOf: (item: T) => number,
  latestStart: number,
  step: number,
  cells: number,
): (T | undefined)[] {
  const slots: (T | undefined)[] = new Array(Math.max(0, cells)).fill(undefined);
  if (cells <= 0 || !(step > 0)) return slots;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    const column = cells - 1 - Math.round((latestStart - startOf(item)) / step);
    if (column < 0) break;
    if (column < cells && slots[column] === undefined) slots[column] = item;
  }
  return slots;
}

/** {@link gridSlots} of a service's Task 6 windows, by `windowStart`, one column per slide. */
export function stripSlots(
  windows: readonly KeyedWindowRecord[],
  latestStart: number,
  slideSeconds: number,
  cells: number,
): (KeyedWindowRecord | undefined)[] {
  return gridSlots(windows, (window) => window.windowStart, latestStart, slideSeconds, cells);
}

/**
 * The grid step when no option says it: the smallest positive gap between consecutive starts
 * of any one list (windows start at multiples of the slide, so the smallest gap seen is the
 * slide as soon as one service has two adjacent windows); `fallback` (Task 6: a window's
 * length, which is the slide of the default tumbling windows) when no list has two; undefined
 * without any start. Only the newest `perList` starts of the first `lists` lists are read:
 * the answer settles fast and a frame must not cost O(every window).
 */
export function smallestGap(
  lists: Iterable<readonly number[]>,
  fallback?: number,
  { lists: maxLists = 64, perList = 16 } = {},
): number | undefined {
  let gap = Number.POSITIVE_INFINITY;
  let seen = 0;
  for (const starts of lists) {
    if (seen++ >= maxLists) break;
    const from = Math.max(1, starts.length - perList);
    for (let i = from; i < starts.length; i++) {
      const difference = starts[i]! - starts[i - 1]!;
      if (difference > 0 && difference < gap) gap = difference;
    }
  }
  if (Number.isFinite(gap)) return gap;
  return fallback !== undefined && fallback > 0 ? fallback : undefined;
}

const LABEL_COLUMNS = formatClock(0).length;
/** Labels in the middle of the axis are this many columns apart at least. */
const LABEL_SPACING = 16;

/**
 * A time axis of `cells` columns for the grid of {@link gridSlots}: `HH:MM:SS` of the window
 * start of the columns it names. The rightmost label ends under the newest column and names
 * it; every other label begins under the column it names: the leftmost column, and when the
 * axis is wide, columns every {@link LABEL_SPACING} or so between. Only the right label when
 * two do not fit, blank when not even one does.
 */
export function timeAxis(latestStart: number, slideSeconds: number, cells: number): string {
  if (cells <= 0) return '';
  const line: string[] = new Array(cells).fill(' ');
  if (cells < LABEL_COLUMNS || !(slideSeconds > 0)) return line.join('');
  const timeOf = (column: number) => latestStart - (cells - 1 - column) * slideSeconds;
  const put = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) line[at + i] = text[i]!;
  };
  const rightStart = cells - LABEL_COLUMNS;
  put(rightStart, formatClock(timeOf(cells - 1)));
  // A gap of two columns at least keeps two labels apart.
  for (let column = 0; column + LABEL_COLUMNS + 2 <= rightStart; column += LABEL_SPACING) {
    put(column, formatClock(timeOf(column)));
  }
  return line.join('');
}

/**
 * The last `width` of `values` as a chart `height` rows tall, scaled from 0 to the largest
 * value shown: `height` strings of exactly `width` columns, top row first, each column filled
 * from the bottom in eighths (a value of 0 is a thin line on the bottom row, like the
 * sparkline; null, nothing). The newest value is on the right; fewer values leave the left
 * blank. One row is the {@link sparkline}.
 */
export function areaChart(
  values: readonly (number | null)[],
  width: number,
  height: number,
  scale?: number,
): string[] {
  if (height <= 0) return [];
  if (width <= 0) return new Array(height).fill('');
  const shown = values.slice(-width);
  const pad = ' '.repeat(width - shown.length);
  if (height === 1) return [pad + sparkline(shown, width, scale)];
  let max = scale ?? 0;
  if (scale === undefined)
    for (const value of shown) if (value !== null && value > max) max = value;
  const rows: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    let line = pad;
    for (const value of shown) {
      if (value === null || !Number.isFinite(value)) {
        line += ' ';
        continue;
      }
      const eighths = Math.max(
        1,
        max === 0 ? 0 : Math.round((Math.max(0, value) / max) * height * 8),
      );
      const inRow = Math.min(8, eighths - row * 8);
      line += inRow > 0 ? BLOCKS[inRow - 1] : ' ';
    }
    rows.push(line);
  }
  return rows;
}

/** Where the columns of a set of heat strips are: the newest column's start and the step. */
export interface TimeGrid {
  readonly latestStart: number;
  readonly step: number;
}

/**
 * The shared grid of the Task 6 strips of `rows`: the newest column is the latest window of
 * any of them (or `latest`, the window the task closed last, when later: a service with no
 * window then shows idle columns on the right), one column per `slideSeconds`, else per the
 * slide {@link smallestGap} finds in the windows. Undefined without a window.
 */
export function keyedGrid(
  rows: readonly { readonly windows: readonly KeyedWindowRecord[] }[],
  slideSeconds: number | undefined,
  latest?: KeyedWindowRecord | null,
): TimeGrid | undefined {
  let latestStart = latest?.windowStart ?? Number.NEGATIVE_INFINITY;
  let someWindow: KeyedWindowRecord | undefined = latest ?? undefined;
  for (const row of rows) {
    const last = row.windows.at(-1);
    if (last === undefined) continue;
    someWindow ??= last;
    if (last.windowStart > latestStart) latestStart = last.windowStart;
  }
  if (someWindow === undefined || !Number.isFinite(latestStart)) return undefined;
  const step =
    slideSeconds !== undefined && slideSeconds > 0
      ? slideSeconds
      : smallestGap(
          startsOf(
            rows,
            (row) => row.windows,
            (window) => window.windowStart,
          ),
          someWindow.windowEnd - someWindow.windowStart,
        );
  return step === undefined ? undefined : { latestStart, step };
}

/**
 * The shared grid of the Task 5 bucket strips of `rows`: the newest bucket of any of them,
 * one column per `bucketSeconds` (`--group-every`), else per the width {@link smallestGap}
 * finds (the record does not carry it): undefined then until some service has two buckets.
 */
export function bucketGrid(
  rows: readonly { readonly buckets: readonly ServiceBucket[] }[],
  bucketSeconds?: number,
): TimeGrid | undefined {
  let latestStart = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const last = row.buckets.at(-1);
    if (last !== undefined && last.start > latestStart) latestStart = last.start;
  }
  if (!Number.isFinite(latestStart)) return undefined;
  const step =
    bucketSeconds !== undefined && bucketSeconds > 0
      ? bucketSeconds
      : smallestGap(
          startsOf(
            rows,
            (row) => row.buckets,
            (bucket) => bucket.start,
          ),
        );
  return step === undefined ? undefined : { latestStart, step };
}

/** The starts of each row's list, lazily and only the newest few (see {@link smallestGap}). */
function* startsOf<R, T>(
  rows: readonly R[],
  listOf: (row: R) => readonly T[],
  startOf: (item: T) => number,
): Generator<number[]> {
  for (const row of rows) {
    const list = listOf(row);
    if (list.length >= 2) yield list.slice(-16).map(startOf);
  }
}
