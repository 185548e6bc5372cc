import { Text } from 'ink';
import type { KeyState } from '../dashboard-keys.js';
import { formatCount } from '../format.js';
import type { ReplayView } from '../hooks/use-replay-controls.js';
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
  replay = null,
}: {
  keys: KeyState;
  hiddenPanels: number;
  /** Services the filter keeps. */
  listed: number;
  /** The replay's keys and jump prompt, when this is one. */
  replay?: Pick<ReplayView, 'status' | 'prompt'> | null;
}) {
  if (replay?.prompt.editing) {
    return (
      <Line>
        <Key name="t" />
        {' jump to '}
        <Text inverse>{`${logText(replay.prompt.text, 24)} `}</Text>
        {replay.prompt.error === null ? (
          <Text dimColor> into the recording (90s, 2m) · Enter jump · Esc close</Text>
        ) : (
          <Text color="red">{` ${replay.prompt.error}`}</Text>
        )}
      </Line>
    );
  }
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
      {replay?.prompt.error && <Text color="red">{`${replay.prompt.error} · `}</Text>}
      <Key name="q" /> quit <Key name="p" />{' '}
      {(replay === null ? keys.paused : replay.status?.paused) ? 'resume' : 'pause'}{' '}
      {replay !== null && (
        <>
          <Key name="n" /> step <Key name="+-" /> speed <Key name="t" /> jump{' '}
        </>
      )}
      <Key name="/" /> filter <Key name="s" /> {SORT_LABELS[keys.sort]} <Key name="↑↓" />{' '}
      <Key name="Enter" /> detail <Key name="a" /> anomalies <Key name="?" /> help
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
