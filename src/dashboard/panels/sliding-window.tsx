import { Text } from 'ink';
import type { SlidingWindowRecord } from '../../../operators/records.js';
import { Line } from '../components/line.js';
import { RateTable, rateColor } from '../components/rate-table.js';
import { formatCount, formatPercent, sparkline } from '../format.js';

/** Task 2: the failure rate in the window, overall and per service, and its recent trend. */
export function SlidingWindowPanel({
  record,
  history,
  width,
  rows,
}: {
  record: SlidingWindowRecord | null;
  /** Failure rates of the latest records, oldest first. */
  history: readonly (number | null)[];
  width: number;
  rows: number;
}) {
  if (record === null) return <Line dim>waiting for events…</Line>;
  const peak = Math.max(0, ...history.slice(-width).map((rate) => rate ?? 0));
  const peakLabel = ` max ${formatPercent(peak)}`;
  return (
    <>
      <Line>
        <Text bold>failure </Text>
        <Text color={rateColor('failure', record.rate)}>{formatPercent(record.rate)}</Text>
        {` ${formatCount(record.failures)}/${formatCount(record.total)} · late ${formatCount(record.late)}`}
      </Line>
      {rows >= 2 && (
        <Line>
          <Text color="magenta">{sparkline(history, Math.max(1, width - peakLabel.length))}</Text>
          <Text dimColor>{peakLabel}</Text>
        </Line>
      )}
      <RateTable
        kind="failure"
        width={width}
        maxRows={rows - 2}
        rows={record.services.map((service) => ({
          label: service.service,
          rate: service.rate,
          detail: `${formatCount(service.failures)}/${formatCount(service.total)}`,
        }))}
      />
    </>
  );
}
