import { Text } from 'ink';
import type { PanelId } from '../layout.js';
import { PANEL_TITLES } from '../titles.js';
import { fitList, Line, MoreLine } from './line.js';

const KEYS: readonly string[] = [
  'q quit · p pause/resume the display (processing goes on) · ? help · Esc back',
  '/ filter services by name (Enter keeps it, Esc clears) · s sort: worst rate first, volume, name',
  '↑↓ j k PgUp PgDn g G select a service · Enter its detail across all six tasks · a anomalies',
  'colours: a rate against its service since start (--rise-thresholds) and absolute (--failure-thresholds)',
];

const PANEL_HELP: Record<PanelId, string> = {
  'running-average': 'success rate since start, overall and per service (the baseline of colours)',
  'sliding-window': 'failure rate in the last window, its trend, per service with its own trend',
  reservoir: 'uniform sample of statuses as bars; * most common; size/capacity',
  bloom: 'checked, forwarded, ratio, expected FP rate, latest forwarded',
  'lazy-groups': 'the batched engine: batches, events/s, per-service buckets with --group-every',
  'keyed-windows':
    'latest windows per service as a heat strip (height: failure rate, newest right), ! anomaly',
};

/** What the keys do and what each panel shows, cut to the rows available. */
export function Help({ rows }: { rows: number }) {
  const lines = (Object.keys(PANEL_HELP) as PanelId[]).map((id) => ({
    id,
    title: PANEL_TITLES[id],
    text: PANEL_HELP[id],
  }));
  const keys = KEYS.slice(0, Math.max(0, rows));
  const { shown, more } = fitList(lines, rows - keys.length);
  if (rows <= 0) return null;
  return (
    <>
      {keys.map((text, index) => (
        <Line key={text}>
          <Text bold>{index === 0 ? 'Keys: ' : '      '}</Text>
          {text}
        </Line>
      ))}
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
