import { Text } from 'ink';
import type { LazyGroupsRecord } from '../../../operators/records.js';
import { Line } from '../components/line.js';
import { RateTable, rateColor } from '../components/rate-table.js';
import { formatCount, formatPercent, formatPerSecond } from '../format.js';

/** Task 5: per-service totals from the batched lazy engine, its batches and throughput. */
export function LazyGroupsPanel({
  record,
  batches,
  throughput,
  width,
  rows,
}: {
  record: LazyGroupsRecord | null;
  batches: number;
  /** Events reduced per second; null until measurable. */
  throughput: number | null;
  width: number;
  rows: number;
}) {
  if (record === null) return <Line dim>waiting for the first batch…</Line>;
  return (
    <>
      <Line>
        {`events ${formatCount(record.events)} · batches ${formatCount(batches)} · ${formatPerSecond(throughput)}`}
      </Line>
      {rows >= 2 && (
        <Line>
          <Text bold>success </Text>
          <Text color={rateColor('success', record.rate)}>{formatPercent(record.rate)}</Text>
          {` ${formatCount(record.successes)}/${formatCount(record.total)}`}
        </Line>
      )}
      <RateTable
        kind="success"
        width={width}
        maxRows={rows - 2}
        rows={record.services.map((service) => ({
          label: service.service,
          rate: service.rate,
          detail: `${formatCount(service.successes)}/${formatCount(service.total)}`,
        }))}
      />
    </>
  );
}
