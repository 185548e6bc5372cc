import { Text } from 'ink';
import type { KeyState } from '../dashboard-keys.js';
import { formatCount } from '../format.js';
import { SORT_LABELS } from '../service-order.js';
import { logText } from '../text.js';
import { Line } from './line.js';

/**
 * The keys and the state they left: PAUSED, the filter (being typed, or kept), the sort,
 * what Esc goes back from, and the panels the terminal cannot fit.
 */
export function Footer({
  keys,
  hiddenPanels,
  listed,
}: {
  keys: KeyState;
  hiddenPanels: number;
  /** Services the filter keeps. */
  listed: number;
}) {
  if (keys.editingFilter) {
    return (
      <Line>
        <Key name="/" />
        <Text inverse>{`${logText(keys.filter, 60)} `}</Text>
        <Text dimColor>{` ${formatCount(listed)} listed · Enter keep · Esc clear`}</Text>
      </Line>
    );
  }
  const back = keys.view === 'panels' ? null : keys.view;
  return (
    <Line>
      {keys.paused && (
        <>
          <Text color="yellow" bold inverse>
            {' PAUSED '}
          </Text>{' '}
        </>
      )}
      {keys.filter !== '' && (
        <>
          <Text color="yellow">{`/${logText(keys.filter, 30)}`}</Text>
          {` ${formatCount(listed)} · `}
        </>
      )}
      {back !== null && (
        <>
          <Key name="Esc" />
          {` close ${back} `}
        </>
      )}
      <Key name="q" /> quit <Key name="p" /> {keys.paused ? 'resume' : 'pause'} <Key name="/" />{' '}
      filter <Key name="s" /> {SORT_LABELS[keys.sort]} <Key name="↑↓" /> <Key name="Enter" /> detail{' '}
      <Key name="a" /> anomalies <Key name="?" /> help
      {hiddenPanels > 0 && (
        <Text dimColor>{`  · ${hiddenPanels} panels hidden: enlarge the terminal`}</Text>
      )}
    </Line>
  );
}

function Key({ name }: { name: string }) {
  return (
    <Text bold color="cyan">
      {name}
    </Text>
  );
}
