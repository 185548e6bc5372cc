/**
 * Where everything goes on a terminal of a given size. Pure: the rows and columns every part
 * may use, computed so the screen is never taller than the terminal (Ink redraws the whole
 * screen, flickering, once its output reaches the terminal's height) nor wider.
 */

import { TASK_NAMES, type TaskName } from '../../operators/records.js';

/** One panel per task, named as the task. */
export type PanelId = TaskName;

/** The panels in the order of the tasks. */
export const PANEL_ORDER: readonly PanelId[] = TASK_NAMES;

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

export interface PanelSlot {
  readonly id: PanelId;
  /** Outer size, border included. */
  readonly width: number;
  readonly height: number;
  /** Drawn with a border (when there is room for one). */
  readonly bordered: boolean;
  /** What the panel's content may use: outer size minus title, border and padding. */
  readonly contentWidth: number;
  readonly contentRows: number;
}

export interface DashboardLayout {
  readonly width: number;
  readonly headerRows: number;
  readonly footerRows: number;
  /** Rows between header and footer: the panels, or the help. */
  readonly bodyRows: number;
  /** Columns between two panels. */
  readonly gap: number;
  /** The panels row by row; every row's widths and gaps add up to `width`. */
  readonly grid: readonly (readonly PanelSlot[])[];
  /** Panels left out because the terminal is too small for them. */
  readonly hiddenPanels: number;
}

/** Below this a panel shows nothing but its title. */
const MIN_PANEL_ROWS = 2;
const HEADER_ROWS = 2;
const FOOTER_ROWS = 1;
const GAP = 1;
/** A border costs 2 rows and 4 columns (border and padding): only worth it with room to spare. */
const BORDER_MIN_ROWS = 9;
const BORDER_MIN_WIDTH = 30;

/**
 * The layout for a terminal of `size`. It uses `rows - 1` rows at most: a frame as tall as
 * the terminal makes Ink clear the screen on every redraw. Panels go in 1, 2 or 3 columns by
 * width; panel rows that do not fit even with a title and one line are left out (counted in
 * `hiddenPanels`) rather than overflowing.
 */
export function computeLayout(size: TerminalSize): DashboardLayout {
  const width = Math.max(1, Math.floor(size.columns));
  const usable = Math.max(0, Math.floor(size.rows) - 1);
  const footerRows = Math.min(FOOTER_ROWS, usable);
  const headerRows = usable >= FOOTER_ROWS + HEADER_ROWS + MIN_PANEL_ROWS ? HEADER_ROWS : 0;
  const bodyRows = usable - footerRows - headerRows;

  const columns = width >= 120 ? 3 : width >= 56 ? 2 : 1;
  const gridRowsNeeded = Math.ceil(PANEL_ORDER.length / columns);
  const gridRows = Math.min(gridRowsNeeded, Math.floor(bodyRows / MIN_PANEL_ROWS));
  const heights = split(bodyRows, gridRows);
  const widths = split(width - GAP * (columns - 1), columns);

  const grid: PanelSlot[][] = [];
  for (let row = 0; row < gridRows; row++) {
    const ids = PANEL_ORDER.slice(row * columns, (row + 1) * columns);
    grid.push(ids.map((id, column) => slot(id, widths[column]!, heights[row]!)));
  }
  const shown = grid.reduce((count, row) => count + row.length, 0);
  return {
    width,
    headerRows,
    footerRows,
    bodyRows,
    gap: GAP,
    grid,
    hiddenPanels: PANEL_ORDER.length - shown,
  };
}

function slot(id: PanelId, width: number, height: number): PanelSlot {
  const bordered = height >= BORDER_MIN_ROWS && width >= BORDER_MIN_WIDTH;
  const chromeRows = bordered ? 3 : 1;
  const chromeColumns = bordered ? 4 : 0;
  return {
    id,
    width,
    height,
    bordered,
    contentWidth: Math.max(0, width - chromeColumns),
    contentRows: Math.max(0, height - chromeRows),
  };
}

/** `total` split into `parts` whole numbers that differ by at most one, larger ones first. */
function split(total: number, parts: number): number[] {
  if (parts <= 0) return [];
  const base = Math.floor(total / parts);
  const extra = total - base * parts;
  return Array.from({ length: parts }, (_, index) => base + (index < extra ? 1 : 0));
}

/**
 * Services one page of the panels' lists holds (what PgUp and PgDn move by): the content
 * rows of a panel less its two summary lines.
 */
export function listRowsOf(layout: DashboardLayout): number {
  return Math.max(1, (layout.grid[0]?.[0]?.contentRows ?? 0) - 2);
}
