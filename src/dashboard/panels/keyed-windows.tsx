import { Text } from 'ink';
import type { KeyedWindowRecord } from '../../../operators/records.js';
import { byServiceName } from '../../../operators/records.js';
import { fitList, Line, MoreLine } from '../components/line.js';
import type { KeyedWindowsData } from '../feed.js';
import { formatClock, formatCount, NO_VALUE } from '../format.js';
import { displayWidth, logText, padToWidth } from '../text.js';

/** `  98%`, ` !42%` (an anomaly), ` ~97%` (updated by late events), `!100%`. */
const CELL_COLUMNS = 5;

/**
 * Task 6: each service's latest closed windows as success rates, newest on the right,
 * anomalies marked `!` and highlighted, windows updated by late events (within
 * `--allowed-lateness`) marked `~` and underlined, with the service's late events and the
 * file they go to (`--late-output`).
 */
export function KeyedWindowsPanel({
  keyed,
  lateOutput,
  width,
  rows,
}: {
  keyed: KeyedWindowsData;
  /** The --late-output file, when there is one. */
  lateOutput?: string | undefined;
  width: number;
  rows: number;
}) {
  if (keyed.latest === null) return <Line dim>no window closed yet…</Line>;
  const services = [...keyed.byService.entries()]
    .map(([service, windows]) => ({ service, windows }))
    .sort(byServiceName);
  // The file late events go to gets a line of its own when there is room beside a service.
  const lateLine = lateOutput !== undefined && rows >= 3;
  const { shown, more } = fitList(services, rows - (lateLine ? 2 : 1));
  const names = shown.map(({ service }) => logText(service, Math.max(4, Math.floor(width / 3))));
  const nameColumns = Math.max(0, ...names.map(displayWidth));
  // `late` only grows, and the newest record need not be the last window (an update).
  const lates = shown.map(
    ({ windows }) => `late ${formatCount(Math.max(0, ...windows.map((w) => w.late)))}`,
  );
  const lateColumns = Math.max(0, ...lates.map((late) => late.length));
  const cells = Math.max(0, Math.floor((width - nameColumns - lateColumns - 1) / CELL_COLUMNS));
  const { latest } = keyed;
  return (
    <>
      <Line>
        {`closed ${formatCount(keyed.closed)} · `}
        {keyed.updated > 0 && <Text underline>{`updated ${formatCount(keyed.updated)}`}</Text>}
        {keyed.updated > 0 && ' · '}
        <Text color={keyed.anomalies > 0 ? 'red' : undefined} bold={keyed.anomalies > 0}>
          {`anomalies ${formatCount(keyed.anomalies)}`}
        </Text>
        <Text dimColor>{` · last ${formatClock(latest.windowEnd)}`}</Text>
      </Line>
      {lateLine && (
        <Line dim>{`late events → ${logText(lateOutput, Math.max(8, width - 14))}`}</Line>
      )}
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
  const mark = window.anomaly ? '!' : window.update ? '~' : '';
  const text = `${mark}${percent}`.padStart(CELL_COLUMNS);
  return window.anomaly ? (
    <Text color="red" bold inverse underline={window.update}>
      {text}
    </Text>
  ) : (
    <Text underline={window.update ? true : undefined}>{text}</Text>
  );
}
