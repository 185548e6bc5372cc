import { Text } from 'ink';
import type { PanelId } from '../layout.js';
import { PANEL_TITLES } from '../titles.js';
import { fitList, Line, MoreLine } from './line.js';

const KEYS: readonly string[] = [
  'q quit · p pause (processing goes on) · ? help · Esc back',
  '/ filter by name (Enter keeps, Esc clears) · s sort: worst, volume, name',
  '↑↓ j k PgUp PgDn g G select · Enter a service in all tasks · a anomalies',
  "colours: above the service's usual rate, or absolute (--*-thresholds)",
];

const PANEL_HELP: Record<PanelId, string> = {
  'running-average': 'success rate since start, overall and per service',
  'sliding-window': 'failure rate in the window, its trend, overall and per service',
  reservoir: 'uniform sample of statuses as bars; * most common; size/capacity',
  bloom: 'checked, forwarded, ratio, expected FP rate, latest forwarded',
  'lazy-groups': 'batches, events/s, per-service buckets (--group-every)',
  'keyed-windows': 'heat strip per service (height: failure rate), ! anomaly',
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
