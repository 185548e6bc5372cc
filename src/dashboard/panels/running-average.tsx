import { Text } from 'ink';
import type { RunningAverageRecord } from '../../../operators/records.js';
import { Line } from '../components/line.js';
import { RateTable, rateColor } from '../components/rate-table.js';
import { formatCount, formatPercent } from '../format.js';

/** Task 1: the success rate since start, overall and per service, with counts. */
export function RunningAveragePanel({
  record,
  width,
  rows,
}: {
  record: RunningAverageRecord | null;
  width: number;
  rows: number;
}) {
  if (record === null) return <Line dim>waiting for events…</Line>;
  return (
    <>
      <Line>
        <Text bold>success </Text>
        <Text color={rateColor('success', record.rate)}>{formatPercent(record.rate)}</Text>
        {` ${formatCount(record.successes)}/${formatCount(record.total)} · ${record.services.length} ${record.services.length === 1 ? 'service' : 'services'}`}
      </Line>
      <RateTable
        kind="success"
        width={width}
        maxRows={rows - 1}
        rows={record.services.map((service) => ({
          label: service.service,
          rate: service.rate,
          detail: `${formatCount(service.successes)}/${formatCount(service.total)}`,
        }))}
      />
    </>
  );
}
