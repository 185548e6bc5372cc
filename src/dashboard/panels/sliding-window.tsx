import { Text } from 'ink';
import type { SlidingWindowRecord } from '../../../operators/records.js';
import { areaChart } from '../charts.js';
import { Line } from '../components/line.js';
import { ServiceRows } from '../components/service-rows.js';
import { formatCount, formatPercent, sparkline } from '../format.js';
import { failureLevel, levelColour } from '../levels.js';
import { baselineFailure } from '../service-table.js';
import type { ServiceView } from '../service-view.js';

/** `100.0%` */
const RATE_COLUMNS = 6;
/** The overall trend becomes a chart when this many rows are to spare, up to the most. */
const MIN_SPARE_FOR_CHART = 4;
const MAX_CHART_ROWS = 8;
/** A service's sparkline is drawn when it gets at least this many columns. */
const MIN_SPARK_COLUMNS = 6;

/**
 * Task 2: the failure rate in the window, overall with its recent trend, and per service
 * with counts and, where the panel is wide, the service's own trend. A service's rate is
 * coloured by its rise over its rate since start.
 */
export function SlidingWindowPanel({
  record,
  history,
  view,
  width,
  rows,
}: {
  record: SlidingWindowRecord | null;
  /** Failure rates of the latest records, oldest first. */
  history: readonly (number | null)[];
  view: ServiceView;
  width: number;
  rows: number;
}) {
  if (record === null) return <Line dim>waiting for events…</Line>;
  const peak = Math.max(0, ...history.slice(-width).map((rate) => rate ?? 0));
  const peakLabel = ` max ${formatPercent(peak)}`;
  const { thresholds, table } = view;
  // Fewer services than rows: the overall trend takes the rows to spare, as a chart.
  const spare = rows - 2 - view.order.length;
  const chartRows = spare >= MIN_SPARE_FOR_CHART ? Math.min(MAX_CHART_ROWS, spare) : 1;
  const chartWidth = Math.max(1, width - peakLabel.length);
  return (
    <>
      <Line>
        <Text bold>failure </Text>
        <Text color={levelColour(failureLevel(record.rate, null, thresholds))}>
          {formatPercent(record.rate)}
        </Text>
        {` ${formatCount(record.failures)}/${formatCount(record.total)} · late ${formatCount(record.late)}`}
      </Line>
      {rows >= 2 &&
        areaChart(history, chartWidth, chartRows).map((line, index) => (
          // The rows of one chart: their order never changes.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          <Line key={index}>
            <Text color="magenta">{line}</Text>
            {index === 0 && <Text dimColor>{peakLabel}</Text>}
          </Line>
        ))}
      <ServiceRows
        view={view}
        rows={rows - 1 - chartRows}
        width={width}
        cells={(row, cellsWidth) => {
          const window = row.window;
          const colour = levelColour(
            failureLevel(window?.rate ?? null, baselineFailure(row, table), thresholds),
          );
          const counts =
            window === null ? '' : `${formatCount(window.failures)}/${formatCount(window.total)}`;
          const sparkWidth = cellsWidth - RATE_COLUMNS - counts.length - 2;
          return (
            <>
              <Text color={colour}>
                {formatPercent(window?.rate ?? null).padStart(RATE_COLUMNS)}
              </Text>{' '}
              <Text dimColor>{counts}</Text>
              {sparkWidth >= MIN_SPARK_COLUMNS && (
                <Text color="magenta">{` ${sparkline(table.history(row, sparkWidth), sparkWidth, 1)}`}</Text>
              )}
            </>
          );
        }}
      />
    </>
  );
}
