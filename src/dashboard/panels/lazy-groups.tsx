import { Text } from 'ink';
import type { LazyGroupsRecord } from '../../../operators/records.js';
import { areaChart, bucketCell, bucketGrid, gridSlots, type TimeGrid } from '../charts.js';
import { CellStrip, StripAxis, sharedStripColumns } from '../components/cell-strip.js';
import { Line } from '../components/line.js';
import { ServiceRows } from '../components/service-rows.js';
import { formatCount, formatPercent, formatPerSecond, formatStep, sparkline } from '../format.js';
import type { Thresholds } from '../levels.js';
import { baselineFailure, type ServiceRow } from '../service-table.js';
import type { ServiceView } from '../service-view.js';

/** From this many rows on, the throughput gets an area chart instead of a sparkline. */
const AREA_CHART_ROWS = 8;

/**
 * Task 5: what only the batched lazy engine shows, not a repeat of Task 1's rates: its
 * events, batches and throughput with the throughput's trend; with `--group-every`, each
 * service's latest buckets as a strip (see {@link bucketCell}), newest on the right, on a
 * grid every service shares, with its time axis; without, the engine's own figures and, when the panel is tall, the throughput as
 * an area chart in place of the sparkline.
 */
export function LazyGroupsPanel({
  record,
  batches,
  throughput,
  throughputHistory,
  view,
  bucketSeconds,
  width,
  rows,
}: {
  record: LazyGroupsRecord | null;
  batches: number;
  /** Events reduced per second; null until measurable. */
  throughput: number | null;
  /** `throughput` at each tick, oldest first. */
  throughputHistory: readonly (number | null)[];
  view: ServiceView;
  /** `--group-every`, seconds: the buckets' grid (found from the buckets without it). */
  bucketSeconds?: number | undefined;
  width: number;
  rows: number;
}) {
  if (record === null) return <Line dim>waiting for the first batch…</Line>;
  const counts = (
    <Line>
      {`events ${formatCount(record.events)} · batches ${formatCount(batches)} · `}
      <Text bold>{formatPerSecond(throughput)}</Text>
    </Line>
  );
  const figures = engineFigures(record, batches);
  if (record.buckets === undefined && rows >= AREA_CHART_ROWS) {
    return (
      <>
        {counts}
        <Line dim>{figures}</Line>
        <ThroughputChart history={throughputHistory} width={width} height={rows - 2} />
      </>
    );
  }
  const grid = record.buckets === undefined ? undefined : bucketGrid(view.order, bucketSeconds);
  const axisLine = grid !== undefined && rows >= 5;
  return (
    <>
      {counts}
      {rows >= 2 && <ThroughputChart history={throughputHistory} width={width} height={1} />}
      {rows >= 3 && (
        <Line dim>
          {record.buckets === undefined
            ? figures
            : `buckets${grid === undefined ? '' : ` of ${formatStep(grid.step)}`} · ${figures}`}
        </Line>
      )}
      {record.buckets !== undefined && (
        <ServiceRows
          view={view}
          rows={rows - 3 - (axisLine ? 1 : 0)}
          width={width}
          cells={(row, cellsWidth) => (
            <BucketCells
              row={row}
              grid={grid}
              width={cellsWidth}
              thresholds={view.thresholds}
              baseline={baselineFailure(row, view.table)}
            />
          )}
        />
      )}
      {axisLine && <StripAxis grid={grid} width={width} columns={sharedStripColumns(width, 0)} />}
    </>
  );
}

/** Events per batch and services: the engine's own figures. */
function engineFigures(record: LazyGroupsRecord, batches: number): string {
  const perBatch = batches > 0 ? `${formatCount(record.events / batches)} events/batch · ` : '';
  const services = record.services.length;
  return `${perBatch}${services} ${services === 1 ? 'service' : 'services'}`;
}

/** The throughput's trend, `height` rows, with its peak at the end of the top row. */
function ThroughputChart({
  history,
  width,
  height,
}: {
  history: readonly (number | null)[];
  width: number;
  height: number;
}) {
  const label = ` max ${formatPerSecond(Math.max(0, ...history.map((value) => value ?? 0)))}`;
  const chartWidth = Math.max(1, width - label.length);
  const chart =
    height === 1 ? [sparkline(history, chartWidth)] : areaChart(history, chartWidth, height);
  return (
    <>
      {chart.map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows of one chart, by position
        <Line key={index}>
          <Text color="magenta">{line}</Text>
          {index === 0 && <Text dimColor>{label}</Text>}
        </Line>
      ))}
    </>
  );
}

/** A service's buckets on the shared grid; its latest bucket's rate when there is no grid yet. */
function BucketCells({
  row,
  grid,
  width,
  thresholds,
  baseline,
}: {
  row: ServiceRow;
  grid: TimeGrid | undefined;
  width: number;
  /** The service's normal failure rate, the colours' reference. */
  baseline: number | null;
  thresholds: Thresholds;
}) {
  if (grid === undefined) {
    const last = row.buckets.at(-1);
    return <Text dimColor>{last === undefined ? '–' : formatPercent(last.rate)}</Text>;
  }
  const slots = gridSlots(
    row.buckets,
    (bucket) => bucket.start,
    grid.latestStart,
    grid.step,
    width,
  );
  return <CellStrip cells={slots.map((bucket) => bucketCell(bucket, baseline, thresholds))} />;
}
