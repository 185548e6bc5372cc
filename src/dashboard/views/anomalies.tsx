import { Text } from 'ink';
import type { KeyedWindowRecord } from '../../../operators/records.js';
import { Line } from '../components/line.js';
import { formatClock, formatCount, formatPercent } from '../format.js';
import { failureLevel, levelColour, type Thresholds } from '../levels.js';
import { failureOfWindow } from '../service-table.js';
import { displayWidth, logText, padToWidth } from '../text.js';

/**
 * The anomalies of Task 6 on the whole body (the `a` key): a title, then one line per
 * window flagged as an anomaly, newest first, from the `scroll`-th on, with its times, its
 * service, its failure rate with counts and its z-score, `[updated]` when late events
 * re-emitted it. `filter` keeps the services whose name contains it (case-insensitive), as
 * in the service lists. Never more than `rows` lines: a last line says how many are below.
 */
export function AnomaliesView({
  anomalies,
  filter,
  scroll,
  thresholds,
  width,
  rows,
}: {
  /** Newest first. */
  anomalies: readonly KeyedWindowRecord[];
  /** What `/` typed; '' keeps every service. */
  filter: string;
  /** Entries skipped from the top; clamped so the last page stays full. */
  scroll: number;
  thresholds: Thresholds;
  width: number;
  rows: number;
}) {
  if (rows <= 0) return null;
  const listed = filterAnomalies(anomalies, filter);
  const title = `Anomalies · ${formatCount(listed.length)} listed (newest first)${filter === '' ? '' : ` · filter ${logText(filter, 20)}`} · ↑↓ scroll · a/Esc back`;
  const heading = (
    <Line>
      <Text bold color="cyan">
        {title}
      </Text>
    </Line>
  );
  const listRows = rows - 1;
  if (listed.length === 0 || listRows <= 0) {
    return (
      <>
        {heading}
        {listRows > 0 && (
          <Line dim>
            {anomalies.length === 0 ? 'no anomaly yet' : 'no anomaly matches the filter'}
          </Line>
        )}
      </>
    );
  }
  const first = Math.max(0, Math.min(scroll, listed.length - listRows));
  const fits = listed.length - first <= listRows;
  const shown = listed.slice(first, first + (fits ? listRows : listRows - 1));
  const below = listed.length - first - shown.length;
  const names = shown.map((window) => logText(window.service, Math.max(4, Math.floor(width / 4))));
  const nameColumns = Math.max(0, ...names.map(displayWidth));
  return (
    <>
      {heading}
      {shown.map((window, index) => (
        <AnomalyLine
          key={`${window.service}\u0000${window.windowStart}`}
          window={window}
          name={padToWidth(names[index]!, nameColumns)}
          thresholds={thresholds}
        />
      ))}
      {below > 0 && (
        <Line
          dim
        >{`${first > 0 ? `↑${formatCount(first)} ` : ''}↓${formatCount(below)} more`}</Line>
      )}
    </>
  );
}

/** The anomalies of the services whose name contains `filter` (case-insensitive), in order. */
export function filterAnomalies(
  anomalies: readonly KeyedWindowRecord[],
  filter: string,
): readonly KeyedWindowRecord[] {
  if (filter === '') return anomalies;
  const needle = filter.toLowerCase();
  return anomalies.filter((window) => window.service.toLowerCase().includes(needle));
}

/** `100.0%`: the failure rates of a list line up. */
const PERCENT_COLUMNS = 6;

/** `HH:MM:SS–HH:MM:SS  <service>  failure 42.0% (12/30)  z 4.1  [updated]` */
function AnomalyLine({
  window,
  name,
  thresholds,
}: {
  window: KeyedWindowRecord;
  /** The service, escaped and padded to the column. */
  name: string;
  thresholds: Thresholds;
}) {
  return (
    <Line>
      <Text dimColor>{windowTimes(window)}</Text>
      {'  '}
      <Text color="cyan">{name}</Text>
      {'  '}
      <AnomalyFigures window={window} thresholds={thresholds} />
    </Line>
  );
}

/** `HH:MM:SS–HH:MM:SS`: a window's start and (exclusive) end. */
export function windowTimes(window: KeyedWindowRecord): string {
  return `${formatClock(window.windowStart)}–${formatClock(window.windowEnd)}`;
}

/**
 * What makes a window an anomaly: `failure 40.0% (12/30)  z 4.1` (failures over events with
 * a status, as the task scores it), and `[updated]` when late events re-emitted it. The failure rate is coloured by the absolute thresholds (the record
 * carries no baseline), the score in red.
 */
export function AnomalyFigures({
  window,
  thresholds,
}: {
  window: KeyedWindowRecord;
  thresholds: Thresholds;
}) {
  const failure = failureOfWindow(window);
  return (
    <>
      {'failure '}
      <Text color={levelColour(failureLevel(failure, null, thresholds))} bold>
        {formatPercent(failure).padStart(PERCENT_COLUMNS)}
      </Text>
      {` (${formatCount(window.failures)}/${formatCount(window.total)})  `}
      <Text color="red" bold>{`z ${formatScore(window.score)}`}</Text>
      {window.update && (
        <>
          {'  '}
          <Text underline>[updated]</Text>
        </>
      )}
    </>
  );
}

/** A z-score with one decimal; `–` before the baseline exists. */
export function formatScore(score: number | null): string {
  return score === null || !Number.isFinite(score) ? '–' : score.toFixed(1);
}
