import { Text } from 'ink';
import { formatPercent } from '../format.js';
import { displayWidth, logText, padToWidth } from '../text.js';
import { fitList, Line, MoreLine } from './line.js';

export interface RateRow {
  /** A service name as logged: sanitized here. */
  readonly label: string;
  readonly rate: number | null;
  /** Counts, e.g. `12/40`. */
  readonly detail: string;
}

/** Which way is good: a high success rate, a low failure rate. */
export type RateKind = 'success' | 'failure';

/** `100.0%` */
const RATE_COLUMNS = 6;

/**
 * Rates by service in aligned columns (name, rate, counts), cut to `rows` lines with a
 * "+N more" line when there are more services than lines.
 */
export function RateTable({
  rows,
  width,
  maxRows,
  kind,
}: {
  rows: readonly RateRow[];
  width: number;
  maxRows: number;
  kind: RateKind;
}) {
  const { shown, more } = fitList(rows, maxRows);
  const detailColumns = Math.max(0, ...shown.map((row) => row.detail.length));
  const labels = shown.map((row) => logText(row.label, width));
  const labelColumns = Math.max(
    3,
    Math.min(Math.max(0, ...labels.map(displayWidth)), width - RATE_COLUMNS - 2 - detailColumns),
  );
  return (
    <>
      {shown.map((row, index) => (
        // Services are unique within a record.
        <Line key={row.label}>
          {padToWidth(labels[index]!, labelColumns)}{' '}
          <Text color={rateColor(kind, row.rate)}>
            {formatPercent(row.rate).padStart(RATE_COLUMNS)}
          </Text>{' '}
          <Text dimColor>{row.detail}</Text>
        </Line>
      ))}
      <MoreLine more={more} />
    </>
  );
}

/** Green when good, yellow when worrying, red when bad; no colour without a rate. */
export function rateColor(kind: RateKind, rate: number | null): string | undefined {
  if (rate === null) return undefined;
  const goodness = kind === 'success' ? rate : 1 - rate;
  if (goodness >= 0.95) return 'green';
  if (goodness >= 0.8) return 'yellow';
  return 'red';
}
