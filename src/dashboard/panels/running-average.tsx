import { Text } from 'ink';
import type { RunningAverageRecord } from '../../../operators/records.js';
import { Line } from '../components/line.js';
import { ServiceRows } from '../components/service-rows.js';
import { bar, formatClock, formatCount, formatPercent, formatSpan } from '../format.js';
import { levelColour, successLevel } from '../levels.js';
import type { ServiceView } from '../service-view.js';

/** `100.0%` */
const RATE_COLUMNS = 6;

/**
 * Task 1: the success rate since start, overall and per service with counts, and a bar of
 * the rate where the panel is wide. Since start is the baseline of every other figure, so
 * it is coloured by the absolute thresholds only.
 */
export function RunningAveragePanel({
  record,
  view,
  width,
  rows,
}: {
  record: RunningAverageRecord | null;
  view: ServiceView;
  width: number;
  rows: number;
}) {
  if (record === null) return <Line dim>waiting for events…</Line>;
  const colourOf = (rate: number | null) => levelColour(successLevel(rate, null, view.thresholds));
  // Fewer services than rows: the rows to spare say what "since start" covers.
  const spanLines = rows - 1 - view.order.length >= 3 && record.oldest !== null;
  return (
    <>
      <Line>
        <Text bold>success </Text>
        <Text color={colourOf(record.rate)}>{formatPercent(record.rate)}</Text>
        {` ${formatCount(record.successes)}/${formatCount(record.total)} · ${record.services.length} ${record.services.length === 1 ? 'service' : 'services'}`}
      </Line>
      <ServiceRows
        view={view}
        rows={rows - 1}
        width={width}
        cells={(row, cellsWidth) => {
          const running = row.running;
          if (running === null) return <Text dimColor>–</Text>;
          const counts = `${formatCount(running.successes)}/${formatCount(running.total)}`;
          const barWidth = cellsWidth - RATE_COLUMNS - counts.length - 2;
          return (
            <>
              <Text color={colourOf(running.rate)}>
                {formatPercent(running.rate).padStart(RATE_COLUMNS)}
              </Text>{' '}
              <Text dimColor>{counts}</Text>
              {barWidth >= 8 && (
                <Text color={colourOf(running.rate)}>{` ${bar(running.rate ?? 0, barWidth)}`}</Text>
              )}
            </>
          );
        }}
      />
      {spanLines && record.oldest !== null && record.newest !== null && (
        <>
          <Line />
          <Line dim>
            {`event time ${formatClock(record.oldest)} → ${formatClock(record.newest)} (${formatSpan(record.newest - record.oldest)})`}
          </Line>
        </>
      )}
    </>
  );
}
