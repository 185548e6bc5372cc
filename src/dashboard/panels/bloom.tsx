import { Text } from 'ink';
import type { BloomRecord } from '../../../operators/records.js';
import { Line } from '../components/line.js';
import type { ForwardedEvent } from '../feed.js';
import { formatCount, formatPercent, formatSmallPercent } from '../format.js';
import { displayWidth, logText } from '../text.js';

/** Task 4: what the Bloom filter checked and let through, and the latest messages it forwarded. */
export function BloomPanel({
  record,
  forwarded,
  filter,
  width,
  rows,
}: {
  record: BloomRecord | null;
  /** Newest first, as logged: sanitized here. */
  forwarded: readonly ForwardedEvent[];
  /** Only the messages of services whose name contains this (case-insensitive) are listed. */
  filter: string;
  width: number;
  rows: number;
}) {
  const messageRows = Math.max(0, rows - 2);
  const needle = filter.toLowerCase();
  const listed =
    needle === ''
      ? forwarded.slice(0, messageRows)
      : forwarded
          .filter(({ event }) => String(event.service).toLowerCase().includes(needle))
          .slice(0, messageRows);
  return (
    <>
      {record === null ? (
        <Line dim>waiting for events…</Line>
      ) : (
        <>
          <Line>
            {`checked ${formatCount(record.checked)} · forwarded ${formatCount(record.forwarded)} · `}
            <Text bold>{formatPercent(record.ratio)}</Text>
          </Line>
          <Line dim>
            {`expected FP ${formatSmallPercent(record.falsePositiveRate)} · ${formatCount(record.bits)} bits, ${record.hashes} hashes`}
          </Line>
        </>
      )}
      {listed.map(({ id, event }) => (
        <ForwardedLine key={id} event={event} width={width} />
      ))}
    </>
  );
}

function ForwardedLine({ event, width }: { event: ForwardedEvent['event']; width: number }) {
  const service = logText(String(event.service), Math.max(4, Math.floor(width / 4)));
  const message = logText(String(event.message), Math.max(0, width - displayWidth(service) - 1));
  return (
    <Line>
      <Text color="cyan">{service}</Text> {message}
    </Line>
  );
}
