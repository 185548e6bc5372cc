import { Text } from 'ink';
import { type Cell, cellRuns, heatCell, stripSlots, type TimeGrid, timeAxis } from '../charts.js';
import type { Thresholds } from '../levels.js';
import type { ServiceRow } from '../service-table.js';
import { Line } from './line.js';
import { nameColumnsLimit } from './service-rows.js';

/** The time axis is drawn when the strip has room for one label. */
const MIN_AXIS_COLUMNS = 8;

/**
 * The cells of `row`'s windows on `grid`, `cells` columns ending with the grid's newest,
 * coloured against the service's `baseline` (see `baselineFailure`).
 */
export function heatStrip(
  row: ServiceRow,
  grid: TimeGrid,
  cells: number,
  thresholds: Thresholds,
  baseline: number | null,
): Cell[] {
  return stripSlots(row.windows, grid.latestStart, grid.step, cells).map((window) =>
    heatCell(window, baseline, thresholds),
  );
}

/** A strip of cells, one Text per run of alike cells. */
export function CellStrip({ cells }: { cells: readonly Cell[] }) {
  return (
    <>
      {cellRuns(cells).map((run, index) => (
        <Text
          // The runs are positions in a line: the index is their identity.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          key={index}
          color={run.color}
          bold={run.bold}
          underline={run.underline}
          dimColor={run.dim}
        >
          {run.text}
        </Text>
      ))}
    </>
  );
}

/**
 * The time axis of strips that end at the right edge of `width` columns, under their last
 * `columns` (see {@link sharedStripColumns}); nothing when not even a label fits.
 */
export function StripAxis({
  grid,
  width,
  columns,
}: {
  grid: TimeGrid;
  width: number;
  columns: number;
}) {
  if (columns < MIN_AXIS_COLUMNS) return null;
  return (
    <Line dim>
      {' '.repeat(Math.max(0, width - columns))}
      {timeAxis(grid.latestStart, grid.step, columns)}
    </Line>
  );
}

/**
 * The strip columns every line of a ServiceRows list `width` wide has, whatever the names
 * shown, when its cells draw `reserved` columns before a strip that fills the rest: the
 * widest name column ServiceRows draws, plus the marker and a space. An axis this wide, right-aligned, stands under strip columns in every row.
 */
export function sharedStripColumns(width: number, reserved: number): number {
  return Math.max(0, width - 2 - nameColumnsLimit(width) - reserved);
}
