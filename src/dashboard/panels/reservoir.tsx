import { Text } from 'ink';
import type { ReservoirRecord } from '../../../operators/records.js';
import { fitList, Line, MoreLine } from '../components/line.js';
import { bar, formatCount, formatPercent } from '../format.js';

/** Marker, status, spaces and share around the bar: `* 200 ` … ` 45.1%`. */
const BAR_CHROME = 13;

/** Task 3: the sample's distribution of statuses as bars, the most common one highlighted. */
export function ReservoirPanel({
  record,
  width,
  rows,
}: {
  record: ReservoirRecord | null;
  width: number;
  rows: number;
}) {
  if (record === null) return <Line dim>waiting for events…</Line>;
  const { shown, more } = fitList(record.sample, rows - 1);
  const largest = Math.max(1, ...record.sample.map((entry) => entry.count));
  const barWidth = Math.max(1, width - BAR_CHROME);
  return (
    <>
      <Line>
        {`seen ${formatCount(record.seen)} · sample ${formatCount(record.size)}/${formatCount(record.capacity)}`}
        {record.mostCommon !== null && (
          <Text color="green" bold>{` · top ${record.mostCommon}`}</Text>
        )}
      </Line>
      {shown.map(({ status, count }) => {
        const top = status === record.mostCommon;
        return (
          <Line key={status}>
            <Text color={top ? 'green' : undefined} bold={top}>
              {`${top ? '*' : ' '} ${String(status).padStart(3, '0')} `}
            </Text>
            <Text color={top ? 'green' : 'blue'}>
              {bar(count / largest, barWidth).padEnd(barWidth)}
            </Text>
            <Text
              dimColor
            >{` ${formatPercent(record.size === 0 ? null : count / record.size).padStart(6)}`}</Text>
          </Line>
        );
      })}
      <MoreLine more={more} />
    </>
  );
}
