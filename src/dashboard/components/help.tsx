import { Text } from 'ink';
import type { PanelId } from '../layout.js';
import { PANEL_TITLES } from '../titles.js';
import { fitList, Line, MoreLine } from './line.js';

const KEYS = 'q quit · p pause/resume the display (processing goes on) · ? help';

const PANEL_HELP: Record<PanelId, string> = {
  'running-average': 'success rate since start, overall and per service',
  'sliding-window': 'failure rate in the last window, its trend, per service; late',
  reservoir: 'uniform sample of statuses as bars; * most common; size/capacity',
  bloom: 'checked, forwarded, ratio, expected FP rate, latest forwarded',
  'lazy-groups': 'per-service totals of the batched engine, batches, events/s',
  'keyed-windows':
    'latest windows per service (success %, newest right), ! anomaly, ~ updated by late events',
};

/** What the keys do and what each panel shows, cut to the rows available. */
export function Help({ rows }: { rows: number }) {
  const lines = (Object.keys(PANEL_HELP) as PanelId[]).map((id) => ({
    id,
    title: PANEL_TITLES[id],
    text: PANEL_HELP[id],
  }));
  const { shown, more } = fitList(lines, rows - 1);
  if (rows <= 0) return null;
  return (
    <>
      <Line>
        <Text bold>Keys: </Text>
        {KEYS}
      </Line>
      {shown.map(({ id, title, text }) => (
        <Line key={id}>
          <Text bold color="cyan">
            {title}
          </Text>
          {`: ${text}`}
        </Line>
      ))}
      <MoreLine more={more} />
    </>
  );
}
