import { Text } from 'ink';
import type { KeyedWindowRecord } from '../../../operators/records.js';
import { byServiceName } from '../../../operators/records.js';
import { fitList, Line, MoreLine } from '../components/line.js';
import type { KeyedWindowsData } from '../feed.js';
import { formatClock, formatCount, NO_VALUE } from '../format.js';
import { displayWidth, logText, padToWidth } from '../text.js';

/** `  98%`, ` !42%` (an anomaly), `!100%`. */
const CELL_COLUMNS = 5;

/**
 * Task 6: each service's latest closed windows as success rates, newest on the right,
 * anomalies marked `!` and highlighted, with the service's late events.
 */
export function KeyedWindowsPanel({
  keyed,
  width,
  rows,
}: {
  keyed: KeyedWindowsData;
  width: number;
  rows: number;
}) {
  if (keyed.latest === null) return <Line dim>no window closed yet…</Line>;
  const services = [...keyed.byService.entries()]
    .map(([service, windows]) => ({ service, windows }))
    .sort(byServiceName);
  const { shown, more } = fitList(services, rows - 1);
  const names = shown.map(({ service }) => logText(service, Math.max(4, Math.floor(width / 3))));
  const nameColumns = Math.max(0, ...names.map(displayWidth));
  const lates = shown.map(({ windows }) => `late ${formatCount(windows.at(-1)?.late ?? 0)}`);
  const lateColumns = Math.max(0, ...lates.map((late) => late.length));
  const cells = Math.max(0, Math.floor((width - nameColumns - lateColumns - 1) / CELL_COLUMNS));
  const { latest } = keyed;
  return (
    <>
      <Line>
        {`closed ${formatCount(keyed.closed)} · `}
        <Text color={keyed.anomalies > 0 ? 'red' : undefined} bold={keyed.anomalies > 0}>
          {`anomalies ${formatCount(keyed.anomalies)}`}
        </Text>
        <Text dimColor>{` · last ${formatClock(latest.windowEnd)}`}</Text>
      </Line>
      {shown.map(({ service, windows }, index) => (
        <Line key={service}>
          {padToWidth(names[index]!, nameColumns)}{' '}
          <Text dimColor>{lates[index]!.padEnd(lateColumns)}</Text>
          {latestWindows(windows, cells).map((window) => (
            <WindowCell key={window.windowStart} window={window} />
          ))}
        </Line>
      ))}
      <MoreLine more={more} />
    </>
  );
}

/** The newest `count` windows, oldest first (`slice(-0)` would be all of them). */
function latestWindows(windows: readonly KeyedWindowRecord[], count: number) {
  return count <= 0 ? [] : windows.slice(-count);
}

function WindowCell({ window }: { window: KeyedWindowRecord }) {
  const percent = window.rate === null ? NO_VALUE : `${Math.round(window.rate * 100)}%`;
  const text = `${window.anomaly ? '!' : ''}${percent}`.padStart(CELL_COLUMNS);
  return window.anomaly ? (
    <Text color="red" bold inverse>
      {text}
    </Text>
  ) : (
    <Text>{text}</Text>
  );
}
