import { Text } from 'ink';
import type { KeyedWindowRecord } from '../../../operators/records.js';
import { heatCell, keyedGrid } from '../charts.js';
import { CellStrip, heatStrip, StripAxis, sharedStripColumns } from '../components/cell-strip.js';
import { Line } from '../components/line.js';
import { ServiceRows } from '../components/service-rows.js';
import type { KeyedWindowsData } from '../feed.js';
import { formatClock, formatCount } from '../format.js';
import { baselineFailure, type ServiceRow } from '../service-table.js';
import type { ServiceView } from '../service-view.js';
import { logText } from '../text.js';
import { filterAnomalies, formatScore, windowTimes } from '../views/anomalies.js';

/**
 * Task 6: the window counts, the file late events go to (`--late-output`), and per service
 * its late events and a heat strip of its latest closed windows, newest on the right, one
 * column per slide on a grid every service shares (a column is the same window start in
 * every row), with a time axis under the strips. See {@link heatCell} for what a column
 * shows.
 *
 * The strip always ends at the panel's right edge (it takes the rest of the line after a
 * `late` column of one width for every service), so the axis, right-aligned the same way,
 * lines up with it whatever the width of the names.
 */
export function KeyedWindowsPanel({
  keyed,
  anomalies,
  view,
  slideSeconds,
  lateOutput,
  width,
  rows,
}: {
  keyed: KeyedWindowsData;
  /** The latest anomalies, newest first: listed under the strips when rows are to spare. */
  anomalies: readonly KeyedWindowRecord[];
  view: ServiceView;
  /** Task 6's slide (`--keyed-slide`, else the window); undefined: found from the windows. */
  slideSeconds?: number | undefined;
  /** The --late-output file, when there is one. */
  lateOutput?: string | undefined;
  width: number;
  rows: number;
}) {
  const { latest } = keyed;
  if (latest === null) return <Line dim>no window closed yet…</Line>;
  const grid = keyedGrid(view.order, slideSeconds, latest);
  // The file late events go to gets a line of its own when there is room beside a service.
  const lateLine = lateOutput !== undefined && rows >= 3;
  const axisLine = rows >= 4 && grid !== undefined;
  const lateColumns = lateColumnsOf(view.order);
  const listRows = rows - 1 - (lateLine ? 1 : 0) - (axisLine ? 1 : 0);
  // Fewer services than rows: the rest names the latest anomalies.
  const spare = listRows - view.order.length;
  const anomalyRows = spare >= MIN_ANOMALY_ROWS ? spare : 0;
  return (
    <>
      <Line>
        {`closed ${formatCount(keyed.closed)} · `}
        {keyed.updated > 0 && <Text underline>{`updated ${formatCount(keyed.updated)}`}</Text>}
        {keyed.updated > 0 && ' · '}
        <Text color={keyed.anomalies > 0 ? 'red' : undefined} bold={keyed.anomalies > 0}>
          {`anomalies ${formatCount(keyed.anomalies)}`}
        </Text>
        <Text dimColor>{` · last ${formatClock(latest.windowEnd)}`}</Text>
      </Line>
      {lateLine && (
        <Line dim>{`late events → ${logText(lateOutput, Math.max(8, width - 14))}`}</Line>
      )}
      <ServiceRows
        view={view}
        rows={listRows - anomalyRows}
        width={width}
        cells={(row, cellsWidth) => (
          <>
            <Text dimColor>{`late ${formatCount(row.late)}`.padEnd(lateColumns)}</Text>{' '}
            {grid !== undefined && (
              <CellStrip
                cells={heatStrip(
                  row,
                  grid,
                  Math.max(0, cellsWidth - lateColumns - 1),
                  view.thresholds,
                  baselineFailure(row, view.table),
                )}
              />
            )}
          </>
        )}
      />
      {axisLine && (
        <StripAxis grid={grid} width={width} columns={sharedStripColumns(width, lateColumns + 1)} />
      )}
      {anomalyRows > 0 && (
        <LatestAnomalies
          anomalies={filterAnomalies(anomalies, view.filter)}
          rows={anomalyRows}
          width={width}
        />
      )}
    </>
  );
}

/** Rows to spare under the strips from which the latest anomalies are listed there. */
const MIN_ANOMALY_ROWS = 3;

/** A blank line, then the latest anomalies, newest first: `HH:MM:SS–HH:MM:SS service z 4.1`. */
function LatestAnomalies({
  anomalies,
  rows,
  width,
}: {
  anomalies: readonly KeyedWindowRecord[];
  rows: number;
  width: number;
}) {
  const shown = anomalies.slice(0, rows - 2);
  return (
    <>
      <Line />
      <Line dim>
        {anomalies.length === 0 ? 'no anomaly yet' : 'latest anomalies (a lists them all)'}
      </Line>
      {shown.map((window) => {
        const score = ` z ${formatScore(window.score)}`;
        const times = windowTimes(window);
        const name = logText(window.service, Math.max(4, width - times.length - score.length - 2));
        return (
          <Line key={`${window.service}\u0000${window.windowStart}`}>
            <Text dimColor>{times}</Text> <Text color="cyan">{name}</Text>
            <Text color="red" bold>
              {score}
            </Text>
          </Line>
        );
      })}
    </>
  );
}

/**
 * Columns of `late N` for every listed service: the longest count any of them shows.
 * formatCount writes at most 5 characters and, below 100 000, the number itself.
 */
function lateColumnsOf(order: readonly ServiceRow[]): number {
  let most = 0;
  for (const row of order) if (row.late > most) most = row.late;
  return 'late '.length + Math.min(5, String(Math.round(most)).length);
}
