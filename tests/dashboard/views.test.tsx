import { describe, expect, it, vi } from 'vitest';
import type { LogEvent } from '../../operators/event.js';
import type { TaskRecord } from '../../operators/records.js';
import type { DashboardData } from '../../src/dashboard/feed.js';
import { formatClock } from '../../src/dashboard/format.js';
import { DEFAULT_THRESHOLDS } from '../../src/dashboard/levels.js';
import { KeyedWindowsPanel } from '../../src/dashboard/panels/keyed-windows.js';
import { LazyGroupsPanel } from '../../src/dashboard/panels/lazy-groups.js';
import { displayWidth } from '../../src/dashboard/text.js';
import { AnomaliesView } from '../../src/dashboard/views/anomalies.js';
import { DetailView } from '../../src/dashboard/views/detail.js';
import { PANEL_TITLES } from '../support/dashboard.js';
import {
  bloom,
  dataOf,
  lazyGroups,
  reservoir,
  runningAverage,
  show,
  slidingWindow,
  viewOf,
  windowOf,
} from './helpers.js';

// Frames without colour codes, whatever the terminal running the tests supports: an escape
// sequence in a frame can then only be log text that was not escaped.
vi.hoisted(() => {
  process.env.FORCE_COLOR = '0';
});

const T0 = 1_714_564_800;

function expectFits(frame: readonly string[], width: number, rows: number): void {
  expect(frame.length).toBeLessThanOrEqual(rows);
  for (const line of frame) expect(displayWidth(line)).toBeLessThanOrEqual(width);
}

describe('Keyed windows panel', () => {
  // api has a window every 10 s, one of them an anomaly; db only the oldest two.
  const records = [
    windowOf('api', T0, 0),
    windowOf('db', T0, 100),
    windowOf('api', T0 + 10, 50),
    windowOf('db', T0 + 10, 0, { late: 12 }),
    windowOf('api', T0 + 20, 0, { anomaly: true, score: 4.2 }),
    windowOf('api', T0 + 30, 100),
  ];

  function panel(width: number, rows: number, lateOutput?: string) {
    const data = dataOf(records);
    return show(
      <KeyedWindowsPanel
        keyed={data.keyedWindows}
        anomalies={data.anomalies}
        view={viewOf(data)}
        slideSeconds={10}
        lateOutput={lateOutput}
        width={width}
        rows={rows}
      />,
      width,
    );
  }

  it('shows the counts, then per service its late events and its windows by failure rate', () => {
    const frame = panel(40, 6);
    expect(frame[0]).toBe(`closed 6 · anomalies 1 · last ${formatClock(T0 + 40)}`);
    // Newest on the right: ▁ (0 %), ▅ (50 %), ! (the anomaly), █ (100 %).
    expect(frame[1]).toMatch(/^›api +late 0 +·*▁▅!█$/);
    // db's windows stand in the columns of the same times, idle since.
    expect(frame[2]).toMatch(/^ db +late 12 +·*█▁··$/);
  });

  it('lines the strips up across services, each column the same window start', () => {
    const frame = panel(40, 6);
    const api = frame[1]!;
    const db = frame[2]!;
    expect(api).toHaveLength(db.length);
    // The oldest window of both services is four columns left of the right edge.
    expect(api.at(-4)).toBe('▁');
    expect(db.at(-4)).toBe('█');
    expect(api.at(-3)).toBe('▅');
    expect(db.at(-3)).toBe('▁');
  });

  it('draws a time axis under the strips, its labels under the columns they name', () => {
    const width = 60;
    const frame = panel(width, 6);
    const axis = frame[3]!;
    expect(axis).toHaveLength(width);
    // The right label ends under the newest column (api's T0 + 30) and names it.
    expect(axis.endsWith(formatClock(T0 + 30))).toBe(true);
    // The left label names the column it begins under: that many slides before the newest.
    const left = /\d\d:\d\d:\d\d/.exec(axis)!;
    const columnsBefore = width - 1 - left.index;
    expect(left[0]).toBe(formatClock(T0 + 30 - columnsBefore * 10));
    // ...and that column is a strip column in every row, not under a name.
    const stripStart = frame[1]!.lastIndexOf(' ') + 1;
    expect(left.index).toBeGreaterThanOrEqual(stripStart);
  });

  it('names the late-events file and keeps to its rows', () => {
    const frame = panel(40, 3, 'late\u001b[31m.ndjson');
    expect(frame).toHaveLength(3);
    // The escape sequence is dropped whole, not just its ESC.
    expect(frame[1]).toBe('late events → late.ndjson');
    expect(frame.join('\n')).not.toContain('\u001b');
    expect(frame[2]).toMatch(/^›api/);
    for (const rows of [1, 2, 4, 5]) expectFits(panel(30, rows, 'late.ndjson'), 30, rows);
  });

  it('underlines the count of updated windows only when there are some, and waits for one', () => {
    const data = dataOf([]);
    expect(
      show(
        <KeyedWindowsPanel
          keyed={data.keyedWindows}
          anomalies={data.anomalies}
          view={viewOf(data)}
          width={40}
          rows={4}
        />,
        40,
      ),
    ).toEqual(['no window closed yet…']);
  });

  it('names the latest anomalies in the rows the services leave', () => {
    const frame = panel(60, 9);
    expect(frame[4]).toBe('');
    expect(frame[5]).toBe('latest anomalies (a lists them all)');
    expect(frame[6]).toBe(`${formatClock(T0 + 20)}–${formatClock(T0 + 30)} api z 4.2`);
    // No room to spare: the services only.
    expect(panel(60, 5).join('\n')).not.toContain('latest anomalies');
  });

  it('finds the slide from the windows when none is given', () => {
    const data = dataOf(records);
    const frame = show(
      <KeyedWindowsPanel
        keyed={data.keyedWindows}
        anomalies={data.anomalies}
        view={viewOf(data)}
        width={40}
        rows={6}
      />,
      40,
    );
    expect(frame[1]).toMatch(/▁▅!█$/);
    expect(frame[2]).toMatch(/█▁··$/);
  });
});

describe('Lazy groups panel', () => {
  const record = lazyGroups(
    [
      ['api', 9, 10],
      ['db', 1, 4],
    ],
    { events: 20, batches: 4 },
  );

  it('shows the engine: events, batches, throughput, its trend and events per batch', () => {
    const data = dataOf([record]);
    const frame = show(
      <LazyGroupsPanel
        record={record}
        batches={4}
        throughput={250}
        throughputHistory={[0, 100, 250]}
        view={viewOf(data)}
        width={40}
        rows={4}
      />,
      40,
    );
    expect(frame[0]).toBe('events 20 · batches 4 · 250/s');
    expect(frame[1]).toMatch(/^▁▄█ +max 250\/s$/);
    expect(frame[2]).toBe('5 events/batch · 2 services');
    // Not Task 1's per-service rates again.
    expect(frame.join('\n')).not.toMatch(/api|90\.0%/);
    expect(frame).toHaveLength(3);
  });

  it('draws the throughput as an area chart when tall', () => {
    const data = dataOf([record]);
    const frame = show(
      <LazyGroupsPanel
        record={record}
        batches={4}
        throughput={250}
        throughputHistory={[0, 100, 250, 50]}
        view={viewOf(data)}
        width={40}
        rows={10}
      />,
      40,
    );
    expectFits(frame, 40, 10);
    expect(frame).toHaveLength(10);
    // Eight rows of chart, 30 columns wide (40 less the label), newest on the right: the
    // peak, second from the right, fills every row; the label ends the top one.
    expect(frame[2]).toMatch(/^ +█ {2}max 250\/s$/);
    const peakColumn = 40 - ' max 250/s'.length - 2;
    for (const row of frame.slice(2)) expect(row[peakColumn]).toBe('█');
    // 100/s is 40 % of the peak: 26 of 64 eighths, three full rows and a quarter block.
    expect(
      frame
        .slice(2)
        .map((row) => row[peakColumn - 1] ?? ' ')
        .join(''),
    ).toBe('    ▂███');
    // The bottom row has every value, 0 as the thinnest block.
    expect(frame[9]).toMatch(/^ {26}▁███$/);
  });

  it('with buckets, shows each service’s buckets on a shared grid with its time axis', () => {
    const bucket = (service: string, start: number, successes: number) => ({
      service,
      start,
      successes,
      total: 10,
      rate: successes / 10,
    });
    const withBuckets = lazyGroups(
      [
        ['api', 15, 20],
        ['db', 10, 10],
      ],
      {
        buckets: [
          bucket('api', T0, 10),
          bucket('api', T0 + 60, 5),
          bucket('api', T0 + 120, 0),
          bucket('db', T0 + 60, 10),
        ],
      },
    );
    const data = dataOf([withBuckets]);
    const frame = show(
      <LazyGroupsPanel
        record={withBuckets}
        batches={1}
        throughput={null}
        throughputHistory={[]}
        view={viewOf(data)}
        width={50}
        rows={6}
      />,
      50,
    );
    expect(frame[2]).toBe('buckets of 1m · 30 events/batch · 2 services');
    expect(frame[3]).toMatch(/^›api +·*▁▅█$/);
    expect(frame[4]).toMatch(/^ db +·*▁·$/);
    // The time axis under the strips: its right label names the newest bucket.
    expect(frame[5]).toHaveLength(50);
    expect(frame[5]!.endsWith(formatClock(T0 + 120))).toBe(true);
  });

  it('waits for the first batch', () => {
    const data = dataOf([]);
    expect(
      show(
        <LazyGroupsPanel
          record={null}
          batches={0}
          throughput={null}
          throughputHistory={[]}
          view={viewOf(data)}
          width={40}
          rows={5}
        />,
        40,
      ),
    ).toEqual(['waiting for the first batch…']);
  });
});

describe('Anomalies view', () => {
  // Newest first, as the feed lists them.
  const anomalies = [
    // 12 failures, 15 successes and 3 redirects: 40 % failing, not 1 - 50 %.
    windowOf('Checkout', T0 + 20, 0, {
      total: 30,
      failures: 12,
      successes: 15,
      rate: 0.5,
      score: 4.1,
      update: true,
    }),
    windowOf('api', T0 + 10, 90, { score: 5 }),
    windowOf('checkout-eu', T0, 80, { score: null }),
  ].map((window) => ({ ...window, anomaly: true }));

  function view(filter: string, scroll: number, rows: number, width = 80, list = anomalies) {
    return show(
      <AnomaliesView
        anomalies={list}
        filter={filter}
        scroll={scroll}
        thresholds={DEFAULT_THRESHOLDS}
        width={width}
        rows={rows}
      />,
      width,
    );
  }

  it('lists every anomaly newest first with its times, service, failure, counts and score', () => {
    const frame = view('', 0, 10);
    expect(frame[0]).toBe('Anomalies · 3 listed (newest first) · ↑↓ scroll · a/Esc back');
    expect(frame[1]).toBe(
      `${formatClock(T0 + 20)}–${formatClock(T0 + 30)}  Checkout     failure  40.0% (12/30)  z 4.1  [updated]`,
    );
    expect(frame[2]).toMatch(/ {2}api {8} {2}failure {2}90\.0% \(90\/100\) {2}z 5\.0$/);
    expect(frame[3]).toMatch(/checkout-eu {2}failure {2}80\.0% \(80\/100\) {2}z –$/);
    expect(frame).toHaveLength(4);
  });

  it('keeps the services whose name contains the filter, case-insensitively', () => {
    const frame = view('CHECK', 0, 10);
    expect(frame[0]).toMatch(/^Anomalies · 2 listed/);
    expect(frame.slice(1).map((line) => line.split('  ')[1]!.trim())).toEqual([
      'Checkout',
      'checkout-eu',
    ]);
    expect(view('nothing', 0, 10)[1]).toBe('no anomaly matches the filter');
  });

  it('skips the scrolled entries and says how many are above and below', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      windowOf(`svc${String(i).padStart(2, '0')}`, T0 - i * 10, 90, { anomaly: true }),
    );
    const top = view('', 0, 6, 80, many);
    expect(top).toHaveLength(6);
    expect(top[1]).toContain('svc00');
    expect(top[5]).toBe('↓26 more');
    const scrolled = view('', 3, 6, 80, many);
    expect(scrolled[1]).toContain('svc03');
    expect(scrolled[5]).toBe('↑3 ↓23 more');
    // Scrolling past the end shows the last page, full.
    const end = view('', 100, 6, 80, many);
    expect(end.at(-1)).toContain('svc29');
    expect(end).toHaveLength(6);
  });

  it('says when there is none, and escapes the names', () => {
    expect(view('', 0, 5, 80, [])[1]).toBe('no anomaly yet');
    const hostile = [windowOf('evil\u001b[2J\u0007', T0, 90, { anomaly: true })];
    const frame = view('', 0, 5, 80, hostile);
    expect(frame.join('\n')).not.toMatch(/[\u0000-\u0008\u001b]/);
    expect(frame[1]).toContain('evil');
    expectFits(view('', 0, 3, 30), 30, 3);
  });
});

describe('Detail view', () => {
  function fleet(anomalyCount = 3): { data: DashboardData; records: TaskRecord[] } {
    const records: TaskRecord[] = [
      runningAverage([
        ['api', 9, 10],
        ['db', 1, 4],
      ]),
      slidingWindow([
        ['api', 2, 20],
        ['db', 3, 4],
      ]),
      slidingWindow([
        ['api', 5, 20],
        ['db', 3, 4],
      ]),
      reservoir([
        [200, 60],
        [500, 40],
      ]),
      bloom(),
      lazyGroups([
        ['api', 8, 10],
        ['db', 2, 4],
      ]),
    ];
    for (let i = 0; i < 40; i++) {
      records.push(windowOf('api', T0 + i * 10, i % 10 === 9 ? 90 : 1, { late: i }));
      records.push(windowOf('db', T0 + i * 10, 70, { late: 2 }));
    }
    for (let i = 0; i < anomalyCount; i++) {
      records.push(windowOf('api', T0 + 400 + i * 10, 95, { anomaly: true, score: 6 + i }));
      records.push(windowOf('db', T0 + 400 + i * 10, 99, { anomaly: true, score: 9.9 }));
    }
    const forwarded: LogEvent[] = [];
    for (let i = 0; i < 30; i++) {
      forwarded.push({ service: 'api', timestamp: T0 + i, message: `api message ${i}` });
      forwarded.push({ service: 'db', timestamp: T0 + i, message: `db message ${i}` });
    }
    return { data: dataOf(records, forwarded), records };
  }

  function detail(data: DashboardData, service: string | undefined, width: number, rows: number) {
    return show(
      <DetailView
        row={service === undefined ? undefined : data.services.get(service)}
        data={data}
        thresholds={DEFAULT_THRESHOLDS}
        slideSeconds={10}
        width={width}
        rows={rows}
      />,
      width,
    );
  }

  it('shows the service’s figures of every task, not another service’s', () => {
    const { data } = fleet();
    const frame = detail(data, 'api', 80, 20);
    const text = frame.join('\n');
    expect(frame[0]).toMatch(/^api · one service across the six tasks · Esc back/);
    expect(text).toMatch(/Running average +success 90\.0% 9\/10 since start/);
    expect(text).toMatch(/Sliding window +failure 25\.0% 5\/20 in the window$/m);
    expect(text).toMatch(/Reservoir +fleet-wide: top status 200 · 60\.0% of 100 sampled/);
    expect(text).toMatch(/Bloom +forwarded 30 of this service/);
    expect(text).toMatch(/Lazy groups +success 80\.0% 8\/10 in the batched engine/);
    expect(text).toMatch(/Keyed windows +43 windows kept · late 39 · anomalies 3/);
    expect(text).toContain('api message 29');
    expect(text).not.toMatch(/db message|25\.0% 1\/4|9\.9/);
    // Its latest anomaly first, with its window and score.
    expect(text).toMatch(
      new RegExp(
        `${formatClock(T0 + 420)}–${formatClock(T0 + 430)}  failure {2}95\\.0% \\(95/100\\)  z 8\\.0`,
      ),
    );
  });

  it('draws the service’s windows as a heat strip with the time axis under it', () => {
    const { data } = fleet(0);
    const frame = detail(data, 'api', 80, 20);
    const strip = frame.find((line) => line.trimStart().startsWith('windows'))!;
    // Every tenth window fails 90 %: a tall block every ten columns, up to the newest.
    expect(strip).toMatch(/^ {2}windows {7}·+(▁{9}▇){4}$/);
    expect(strip).toHaveLength(80);
    const axis = frame[frame.indexOf(strip) + 1]!;
    expect(axis).toHaveLength(80);
    expect(axis.endsWith(formatClock(T0 + 390))).toBe(true);
  });

  it('fits 80×24 (a body of 20 × 80) and uses 160×48 (44 × 160) for more', () => {
    const { data } = fleet(30);
    const small = detail(data, 'api', 80, 20);
    const large = detail(data, 'api', 160, 44);
    expectFits(small, 80, 20);
    expectFits(large, 160, 44);
    expect(small).toHaveLength(20);
    expect(large).toHaveLength(44);
    const anomalyLines = (frame: string[]) => frame.filter((line) => /z \d/.test(line)).length;
    const messageLines = (frame: string[]) =>
      frame.filter((line) => /api message/.test(line)).length;
    expect(anomalyLines(large)).toBeGreaterThan(anomalyLines(small));
    expect(messageLines(large)).toBeGreaterThan(messageLines(small));
    // A taller trend: more than one row of chart under the sliding window.
    const trendRows = (frame: string[]) => {
      const start = frame.findIndex((line) => /^ {2}trend/.test(line));
      let end = start + 1;
      while (/^ +[▁-█]/.test(frame[end] ?? '')) end += 1;
      return end - start;
    };
    expect(trendRows(small)).toBe(1);
    expect(trendRows(large)).toBeGreaterThan(1);
  });

  it('drops the lists first when short, and never exceeds its rows', () => {
    const { data } = fleet();
    const frame = detail(data, 'api', 80, 7);
    expect(frame).toHaveLength(7);
    const titles = ['api · one service', ...PANEL_TITLES];
    expect(frame.map((line, index) => line.startsWith(titles[index]!))).toEqual(
      titles.map(() => true),
    );
    for (const rows of [1, 3, 10, 13]) expectFits(detail(data, 'api', 40, rows), 40, rows);
  });

  it('escapes the service name and its messages', () => {
    const evil = 'evil\u001b[31m\u0007';
    const data = dataOf(
      [runningAverage([[evil, 1, 2]]), bloom()],
      [{ service: evil, timestamp: T0, message: 'boom\u001b[2J\u0000 done' }],
    );
    const frame = detail(data, evil, 80, 20);
    const text = frame.join('\n');
    expect(text).not.toMatch(/[\u0000-\u0008\u001b]/);
    expect(frame[0]).toMatch(/^evil · one service/);
    expect(text).toMatch(/boom +done/);
  });

  it('says when the service is gone, and shows what it has when tasks are missing', () => {
    const { data } = fleet();
    expect(detail(data, undefined, 80, 20)).toEqual(['service no longer listed · Esc back']);
    const only = dataOf([windowOf('solo', T0, 1)]);
    const text = detail(only, 'solo', 80, 20).join('\n');
    expect(text).toMatch(/Running average +no record yet/);
    expect(text).toMatch(/Keyed windows +1 windows kept/);
  });
});
