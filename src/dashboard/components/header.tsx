import { Text } from 'ink';
import { formatCount, formatPercent, formatPerSecond, formatSpan } from '../format.js';
import { failureLevel, levelColour, type Thresholds } from '../levels.js';
import {
  baselineFailure,
  failureNow,
  type ServiceRow,
  type ServiceTable,
} from '../service-table.js';
import { displayWidth, logText } from '../text.js';
import type { ReplayStatus, SourceStats } from '../types.js';
import { Line } from './line.js';

/**
 * Two lines: the source and its progress (files, events, events per second, and `input
 * ended` once the numbers are final), then the service failing most and the source's
 * problems (invalid events, broken files, the latest error). The source name and the error
 * get whatever width the numbers leave.
 */
export function Header({
  source,
  stats,
  eventsPerSecond,
  failure,
  ended,
  worst,
  table,
  thresholds,
  replay = null,
  width,
}: {
  source: string;
  stats: SourceStats;
  eventsPerSecond: number | null;
  /** The feed itself failed: shown instead of the latest error. */
  failure: string | null;
  /** Every record is in: nothing more will change. */
  ended: boolean;
  /** The service failing most now. */
  worst: ServiceRow | null;
  table: ServiceTable;
  thresholds: Thresholds;
  /** Where the replay stands, when this is one. */
  replay?: ReplayStatus | null;
  width: number;
}) {
  const endedText = ended ? ' · input ended' : '';
  const replayText = replay === null ? '' : ` · ${replayStatusText(replay)}`;
  const progress = ` · files ${formatCount(stats.files)} · events ${formatCount(stats.events)} · ${formatPerSecond(eventsPerSecond)}${replayText}`;
  const title = 'logstream · source ';
  const sourceText = logText(
    source,
    Math.max(8, width - title.length - progress.length - endedText.length),
  );
  const worstRate = worst === null ? null : failureNow(worst);
  const worstName =
    worst === null ? '' : logText(worst.service, Math.max(8, Math.floor(width / 4)));
  const worstText =
    worst === null ? '' : `worst ${worstName} ${formatPercent(worstRate)} failing · `;
  const problems = `invalid ${formatCount(stats.invalid)} · broken ${formatCount(stats.brokenFiles)}`;
  const error = failure ?? stats.latestError;
  const errorLabel = failure === null ? ' · latest error: ' : ' · FAILED: ';
  const errorText =
    error === null
      ? ''
      : logText(
          error,
          Math.max(0, width - displayWidth(worstText) - problems.length - errorLabel.length),
        );
  return (
    <>
      <Line>
        <Text bold>logstream</Text>
        {' · source '}
        <Text color="cyan">{sourceText}</Text>
        {progress}
        {ended && (
          <Text color="yellow" bold>
            {endedText}
          </Text>
        )}
      </Line>
      <Line>
        {worst !== null && (
          <>
            {'worst '}
            <Text bold>{worstName}</Text>{' '}
            <Text
              color={levelColour(
                failureLevel(worstRate, baselineFailure(worst, table), thresholds),
              )}
            >
              {formatPercent(worstRate)}
            </Text>
            {' failing · '}
          </>
        )}
        <Text
          color={stats.invalid > 0 ? 'yellow' : undefined}
        >{`invalid ${formatCount(stats.invalid)}`}</Text>
        {' · '}
        <Text
          color={stats.brokenFiles > 0 ? 'red' : undefined}
        >{`broken ${formatCount(stats.brokenFiles)}`}</Text>
        {error !== null && (
          <>
            {errorLabel}
            <Text color="red">{errorText}</Text>
          </>
        )}
      </Line>
    </>
  );
}

/** `replay 1m05s at 2x`, `replay 12s at max`, `replay 12s PAUSED`: the recording's time and the pace. */
export function replayStatusText({ time, speed, paused }: ReplayStatus): string {
  const at = formatSpan(time / 1000);
  if (paused) return `replay ${at} PAUSED`;
  return `replay ${at} at ${speed === 'max' ? 'max' : `${formatSpeed(speed)}x`}`;
}

function formatSpeed(speed: number): string {
  return speed >= 1 ? String(Math.round(speed * 100) / 100) : `1/${Math.round(1 / speed)}`;
}
