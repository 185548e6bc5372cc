import { Text } from 'ink';
import type { ReactNode } from 'react';
import { toEpochSeconds } from '../../../operators/event.js';
import type { ServiceSuccess } from '../../../operators/records.js';
import { areaChart, bucketCell, bucketGrid, gridSlots, keyedGrid, timeAxis } from '../charts.js';
import { CellStrip, heatStrip } from '../components/cell-strip.js';
import { Line } from '../components/line.js';
import type { DashboardData } from '../feed.js';
import { formatClock, formatCount, formatPercent, formatStep, sparkline } from '../format.js';
import type { PanelId } from '../layout.js';
import { failureLevel, levelColour, successLevel, type Thresholds } from '../levels.js';
import { baselineFailure, type ServiceRow } from '../service-table.js';
import { logText, padToWidth } from '../text.js';
import { PANEL_TITLES } from '../titles.js';
import { AnomalyFigures, windowTimes } from './anomalies.js';

/** From this many rows on, the failure trend is an area chart rather than a sparkline. */
const AREA_CHART_ROWS = 30;
/** The widest label column: the longest title and a space. */
const LABEL_COLUMNS = 16;

/**
 * How much a line is worth when the body is short: lines of a lower priority are kept
 * first; among equals, the earlier line. A list's n-th entry is worth `LIST + n`, so the
 * lists of one screen share the room that is left, entry by entry.
 */
const ESSENTIAL = 0;
const TREND = 1;
const EXTRA = 2;
const LIST = 10;

/** One line of the detail view, with its worth. */
interface DetailLine {
  readonly key: string;
  readonly priority: number;
  readonly node: ReactNode;
}

/** What every section is drawn from. */
interface SectionInputs {
  readonly row: ServiceRow;
  readonly data: DashboardData;
  readonly thresholds: Thresholds;
  readonly slideSeconds: number | undefined;
  readonly bucketSeconds: number | undefined;
  readonly width: number;
  readonly rows: number;
  /** Columns of the section titles; what a section draws under its figures is indented so. */
  readonly label: number;
}

/**
 * One service across all six tasks (Enter opens it, Esc goes back): a section per task,
 * titled as its panel, with this service's figures: its success rate since start (Task 1),
 * its failure rate in the window and its trend (Task 2), the fleet-wide status sample
 * (Task 3, which samples every service together), its forwarded events and latest messages
 * (Task 4), the batched engine's totals and buckets (Task 5), its windows as a heat strip
 * with a time axis, its late events and its latest anomalies (Task 6). It fits `rows`: when
 * short, the lists go first, then the axis and the buckets, then the trends; on a large
 * terminal the trend is an area chart and the lists are longer.
 */
export function DetailView({
  row,
  data,
  thresholds,
  slideSeconds,
  bucketSeconds,
  width,
  rows,
}: {
  /** The service shown; undefined when it is no longer in the table. */
  row: ServiceRow | undefined;
  data: DashboardData;
  thresholds: Thresholds;
  /** Task 6's slide, seconds; undefined: found from the windows. */
  slideSeconds?: number | undefined;
  /** `--group-every`, seconds: the grid of the service's buckets. */
  bucketSeconds?: number | undefined;
  width: number;
  rows: number;
}) {
  if (rows <= 0) return null;
  if (row === undefined) return <Line dim>service no longer listed · Esc back</Line>;
  const inputs: SectionInputs = {
    row,
    data,
    thresholds,
    slideSeconds,
    bucketSeconds,
    width,
    rows,
    label: Math.min(LABEL_COLUMNS, Math.floor(width / 4)),
  };
  const lines: DetailLine[] = [
    {
      key: 'title',
      priority: ESSENTIAL,
      node: (
        <>
          <Text bold inverse>
            {logText(row.service, Math.max(4, Math.floor(width / 2)))}
          </Text>
          <Text dimColor> · one service across the six tasks · Esc back</Text>
        </>
      ),
    },
    ...runningAverageLines(inputs),
    ...slidingWindowLines(inputs),
    ...reservoirLines(inputs),
    ...bloomLines(inputs),
    ...lazyGroupsLines(inputs),
    ...keyedWindowsLines(inputs),
  ];
  return (
    <>
      {fitByPriority(lines, rows).map(({ key, node }) => (
        <Line key={key}>{node}</Line>
      ))}
    </>
  );
}

/**
 * The `rows` lines of `lines` worth the most (the lowest priorities, the earlier among
 * equals), in their order.
 */
export function fitByPriority<T extends { readonly priority: number }>(
  lines: readonly T[],
  rows: number,
): T[] {
  if (lines.length <= rows) return [...lines];
  const kept = lines
    .map((line, index) => ({ line, index }))
    .sort((a, b) => a.line.priority - b.line.priority || a.index - b.index)
    .slice(0, Math.max(0, rows))
    .sort((a, b) => a.index - b.index);
  return kept.map(({ line }) => line);
}

/** A section's first line: its title in the label column, then its figures. */
function heading(id: PanelId, inputs: SectionInputs, figures: ReactNode): DetailLine {
  return {
    key: id,
    priority: ESSENTIAL,
    node: (
      <>
        <Text bold color="cyan">
          {padToWidth(PANEL_TITLES[id], inputs.label)}
        </Text>
        {figures}
      </>
    ),
  };
}

/** A line under a section's figures, indented to them, with a small dim label. */
function under(
  key: string,
  priority: number,
  inputs: SectionInputs,
  label: string,
  content: ReactNode,
): DetailLine {
  return {
    key,
    priority,
    node: (
      <>
        <Text dimColor>{padToWidth(`  ${label}`, inputs.label)}</Text>
        {content}
      </>
    ),
  };
}

/** Says why a section has no figure: the task has no record yet, or none of this service. */
function missing(taskStarted: boolean, what = 'no event of this service'): ReactNode {
  return <Text dimColor>{taskStarted ? what : 'no record yet'}</Text>;
}

/** `success 70.6% 3002/4251`: a rate since start, coloured by the absolute thresholds. */
function SuccessFigures({
  counts,
  thresholds,
}: {
  counts: ServiceSuccess;
  thresholds: Thresholds;
}) {
  return (
    <>
      {'success '}
      <Text bold color={levelColour(successLevel(counts.rate, null, thresholds))}>
        {formatPercent(counts.rate)}
      </Text>
      {` ${formatCount(counts.successes)}/${formatCount(counts.total)}`}
    </>
  );
}

/** Task 1: the success rate since start, coloured by the absolute thresholds (no baseline). */
function runningAverageLines(inputs: SectionInputs): DetailLine[] {
  const { row, data, thresholds } = inputs;
  const running = row.running;
  return [
    heading(
      'running-average',
      inputs,
      running === null ? (
        missing(data.runningAverage !== null)
      ) : (
        <>
          <SuccessFigures counts={running} thresholds={thresholds} />
          {' since start'}
        </>
      ),
    ),
  ];
}

/** Task 2: the failure rate in the window against the baseline, and its trend. */
function slidingWindowLines(inputs: SectionInputs): DetailLine[] {
  const { row, data, thresholds, width, rows, label } = inputs;
  const window = row.window;
  const baseline = baselineFailure(row, data.services);
  const lines = [
    heading(
      'sliding-window',
      inputs,
      window === null ? (
        missing(data.slidingWindow !== null, 'no event in the window')
      ) : (
        <>
          {'failure '}
          <Text bold color={levelColour(failureLevel(window.rate, baseline, thresholds))}>
            {formatPercent(window.rate)}
          </Text>
          {` ${formatCount(window.failures)}/${formatCount(window.total)} in the window`}
        </>
      ),
    ),
  ];
  if (data.slidingWindow === null) return lines;
  const chartWidth = Math.max(1, width - label - 12);
  const history = data.services.history(row, chartWidth);
  const peak = ` max ${formatPercent(Math.max(0, ...history.map((rate) => rate ?? 0)))}`;
  const chart =
    rows >= AREA_CHART_ROWS
      ? areaChart(history, chartWidth, Math.min(8, Math.floor(rows / 8)))
      : [sparkline(history, chartWidth)];
  chart.forEach((line, index) => {
    lines.push(
      under(
        `trend${index}`,
        TREND,
        inputs,
        index === 0 ? 'trend' : '',
        <>
          <Text color="magenta">{line}</Text>
          {index === 0 && <Text dimColor>{peak}</Text>}
        </>,
      ),
    );
  });
  return lines;
}

/** Task 3 samples the statuses of every service together: said as fleet-wide. */
function reservoirLines(inputs: SectionInputs): DetailLine[] {
  const record = inputs.data.reservoir;
  if (record === null) return [heading('reservoir', inputs, missing(false))];
  const top = record.sample.find((entry) => entry.status === record.mostCommon);
  return [
    heading(
      'reservoir',
      inputs,
      record.mostCommon === null || top === undefined ? (
        <Text dimColor>fleet-wide sample empty</Text>
      ) : (
        <>
          <Text dimColor>fleet-wide: </Text>
          {'top status '}
          <Text bold color="green">
            {String(record.mostCommon).padStart(3, '0')}
          </Text>
          {` · ${formatPercent(record.size === 0 ? null : top.count / record.size)} of ${formatCount(record.size)} sampled`}
        </>
      ),
    ),
  ];
}

/** Task 4: this service's forwarded events, and its latest messages, newest first. */
function bloomLines(inputs: SectionInputs): DetailLine[] {
  const { row, data, width, rows, label } = inputs;
  const lines = [
    heading(
      'bloom',
      inputs,
      data.bloom === null ? (
        missing(false)
      ) : (
        <>
          {`forwarded ${formatCount(row.forwarded)} of this service`}
          <Text
            dimColor
          >{` · fleet ${formatCount(data.bloom.forwarded)}/${formatCount(data.bloom.checked)}`}</Text>
        </>
      ),
    ),
  ];
  let listed = 0;
  for (const { id, event } of data.forwarded) {
    if (listed >= rows) break;
    if (String(event.service) !== row.service) continue;
    const seconds = toEpochSeconds(event.timestamp);
    const time = seconds === undefined ? '' : `${formatClock(seconds)} `;
    lines.push(
      under(
        `forwarded${id}`,
        LIST + listed,
        inputs,
        '',
        <>
          <Text dimColor>{time}</Text>
          {logText(String(event.message), Math.max(0, width - label - time.length))}
        </>,
      ),
    );
    listed += 1;
  }
  return lines;
}

/** Task 5: the batched engine's totals of this service, and its buckets when there are. */
function lazyGroupsLines(inputs: SectionInputs): DetailLine[] {
  const { row, data, thresholds, width, label } = inputs;
  const lazy = row.lazy;
  const lines = [
    heading(
      'lazy-groups',
      inputs,
      lazy === null ? (
        missing(data.lazyGroups !== null)
      ) : (
        <>
          <SuccessFigures counts={lazy} thresholds={thresholds} />
          <Text dimColor> in the batched engine</Text>
        </>
      ),
    ),
  ];
  if (row.buckets.length === 0) return lines;
  const grid = bucketGrid([row], inputs.bucketSeconds);
  const cells = Math.max(0, width - label);
  const baseline = baselineFailure(row, data.services);
  lines.push(
    under(
      'buckets',
      EXTRA,
      inputs,
      grid === undefined ? 'buckets' : `buckets ${formatStep(grid.step)}`,
      grid === undefined ? (
        <Text dimColor>{`latest ${formatPercent(row.buckets.at(-1)!.rate)}`}</Text>
      ) : (
        <CellStrip
          cells={gridSlots(
            row.buckets,
            (bucket) => bucket.start,
            grid.latestStart,
            grid.step,
            cells,
          ).map((bucket) => bucketCell(bucket, baseline, thresholds))}
        />
      ),
    ),
  );
  return lines;
}

/** Task 6: the service's windows as a heat strip with its time axis, late events, anomalies. */
function keyedWindowsLines(inputs: SectionInputs): DetailLine[] {
  const { row, data, thresholds, slideSeconds, width, rows, label } = inputs;
  const lines = [
    heading(
      'keyed-windows',
      inputs,
      row.windows.length === 0 ? (
        missing(data.keyedWindows.latest !== null, 'no window of this service')
      ) : (
        <>
          {`${formatCount(row.windows.length)} windows kept · late ${formatCount(row.late)} · `}
          <Text color={row.anomalies > 0 ? 'red' : undefined} bold={row.anomalies > 0}>
            {`anomalies ${formatCount(row.anomalies)}`}
          </Text>
        </>
      ),
    ),
  ];
  const grid = keyedGrid([row], slideSeconds, data.keyedWindows.latest);
  if (row.windows.length > 0 && grid !== undefined) {
    const cells = Math.max(0, width - label);
    lines.push(
      under(
        'strip',
        TREND,
        inputs,
        'windows',
        <CellStrip
          cells={heatStrip(row, grid, cells, thresholds, baselineFailure(row, data.services))}
        />,
      ),
      under(
        'axis',
        EXTRA,
        inputs,
        '',
        <Text dimColor>{timeAxis(grid.latestStart, grid.step, cells)}</Text>,
      ),
    );
  }
  let listed = 0;
  for (const window of data.anomalies) {
    if (listed >= rows) break;
    if (window.service !== row.service) continue;
    lines.push(
      under(
        `anomaly${window.windowStart}`,
        LIST + listed,
        inputs,
        listed === 0 ? 'anomalies' : '',
        <>
          <Text dimColor>{`${windowTimes(window)}  `}</Text>
          <AnomalyFigures window={window} thresholds={thresholds} />
        </>,
      ),
    );
    listed += 1;
  }
  return lines;
}
