import { Text } from 'ink';
import { formatCount, formatPerSecond } from '../format.js';
import { displayWidth, logText } from '../text.js';
import type { SourceStats } from '../types.js';
import { Line } from './line.js';

/**
 * Two lines: the source and its progress (files, events, events per second), then its
 * problems (invalid events, broken files, the latest error). The source name and the error
 * get whatever width the numbers leave.
 */
export function Header({
  source,
  stats,
  eventsPerSecond,
  failure,
  width,
}: {
  source: string;
  stats: SourceStats;
  eventsPerSecond: number | null;
  /** The feed itself failed: shown instead of the latest error. */
  failure: string | null;
  width: number;
}) {
  const progress = ` · files ${formatCount(stats.files)} · events ${formatCount(stats.events)} · ${formatPerSecond(eventsPerSecond)}`;
  const title = 'logstream · source ';
  const sourceText = logText(source, Math.max(8, width - title.length - progress.length));
  const problems = `invalid ${formatCount(stats.invalid)} · broken ${formatCount(stats.brokenFiles)}`;
  const error = failure ?? stats.latestError;
  const errorLabel = failure === null ? ' · latest error: ' : ' · FAILED: ';
  const errorText =
    error === null
      ? ''
      : logText(error, Math.max(0, width - displayWidth(problems) - errorLabel.length));
  return (
    <>
      <Line>
        <Text bold>logstream</Text>
        {' · source '}
        <Text color="cyan">{sourceText}</Text>
        {progress}
      </Line>
      <Line>
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
