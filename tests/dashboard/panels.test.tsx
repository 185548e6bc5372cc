import { Box } from 'ink';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { applyInput, initialDashboardData } from '../../src/dashboard/feed.js';
import { BloomPanel } from '../../src/dashboard/panels/bloom.js';
import { KeyedWindowsPanel } from '../../src/dashboard/panels/keyed-windows.js';
import { LazyGroupsPanel } from '../../src/dashboard/panels/lazy-groups.js';
import { ReservoirPanel } from '../../src/dashboard/panels/reservoir.js';
import { RunningAveragePanel } from '../../src/dashboard/panels/running-average.js';
import { SlidingWindowPanel } from '../../src/dashboard/panels/sliding-window.js';
import { displayWidth } from '../../src/dashboard/text.js';
import {
  bloom,
  keyedWindow,
  lazyGroups,
  lines,
  output,
  reservoir,
  runningAverage,
  slidingWindow,
} from './helpers.js';

// Frames without colour codes, whatever the terminal running the tests supports.
vi.hoisted(() => {
  process.env.FORCE_COLOR = '0';
});

/** A panel's content rendered in a box of `width` columns; its lines. */
function show(panel: ReactElement, width: number): string[] {
  const { lastFrame, unmount } = render(
    <Box flexDirection="column" width={width}>
      {panel}
    </Box>,
  );
  const frame = lines(lastFrame());
  unmount();
  return frame;
}

describe('Running average panel', () => {
  it('shows the overall and per-service success rates with counts', () => {
    const record = runningAverage([
      ['api', 9, 10],
      ['auth', 1, 4],
    ]);
    const frame = show(<RunningAveragePanel record={record} width={40} rows={6} />, 40);
    expect(frame[0]).toMatch(/success 71\.4% 10\/14 · 2 services/);
    expect(frame[1]).toMatch(/^api +90\.0% 9\/10$/);
    expect(frame[2]).toMatch(/^auth +25\.0% 1\/4$/);
  });

  it('cuts the list of services to its rows with a count of the rest', () => {
    const services: [string, number, number][] = Array.from({ length: 12 }, (_, i) => [
      `svc${String(i).padStart(2, '0')}`,
      1,
      2,
    ]);
    const frame = show(
      <RunningAveragePanel record={runningAverage(services)} width={40} rows={5} />,
      40,
    );
    expect(frame).toHaveLength(5);
    expect(frame[3]).toMatch(/^svc02 /);
    expect(frame[4]).toBe('… +9 more');
  });

  it('says it is waiting before the first record', () => {
    expect(show(<RunningAveragePanel record={null} width={40} rows={5} />, 40)).toEqual([
      'waiting for events…',
    ]);
  });
});

describe('Sliding window panel', () => {
  it('shows the failure rate overall and per service, late events and a sparkline', () => {
    const record = slidingWindow(
      [
        ['api', 1, 4],
        ['db', 0, 6],
      ],
      { late: 7 },
    );
    const frame = show(
      <SlidingWindowPanel record={record} history={[0, 0.05, 0.1]} width={40} rows={6} />,
      40,
    );
    expect(frame[0]).toMatch(/failure 10\.0% 1\/10 · late 7/);
    expect(frame[1]).toMatch(/^▁▅█ +max 10\.0%$/);
    expect(frame[2]).toMatch(/^api +25\.0% 1\/4$/);
    expect(frame[3]).toMatch(/^db +0\.0% 0\/6$/);
  });
});

describe('Reservoir panel', () => {
  it('draws the sample as bars, marks the most common status and shows seen and size/capacity', () => {
    const record = reservoir(
      [
        [200, 60],
        [500, 30],
        [404, 10],
      ],
      { seen: 5000 },
    );
    const frame = show(<ReservoirPanel record={record} width={40} rows={6} />, 40);
    expect(frame[0]).toBe('seen 5000 · sample 100/1000 · top 200');
    expect(frame[1]).toMatch(/^\* 200 █{27} +60\.0%$/);
    expect(frame[2]).toMatch(/^ {2}500 █{13}▌ +30\.0%$/);
    expect(frame[3]).toMatch(/^ {2}404 ████▌ +10\.0%$/);
  });
});

describe('Bloom panel', () => {
  it('shows checked, forwarded, ratio, the expected false-positive rate and the latest messages', () => {
    const forwarded = [
      { id: 2, event: { service: 'pay', timestamp: 2, message: 'card declined' } },
      { id: 1, event: { service: 'api', timestamp: 1, message: 'timeout' } },
    ];
    const frame = show(
      <BloomPanel record={bloom()} forwarded={forwarded} width={60} rows={6} />,
      60,
    );
    expect(frame[0]).toBe('checked 2000 · forwarded 50 · 2.5%');
    expect(frame[1]).toBe('expected FP 0.81% · 9585 bits, 7 hashes');
    expect(frame[2]).toBe('pay card declined');
    expect(frame[3]).toBe('api timeout');
  });

  it('shows as many messages as its rows allow', () => {
    const forwarded = Array.from({ length: 10 }, (_, i) => ({
      id: 10 - i,
      event: { service: 's', timestamp: i, message: `m${i}` },
    }));
    expect(
      show(<BloomPanel record={bloom()} forwarded={forwarded} width={60} rows={4} />, 60),
    ).toHaveLength(4);
  });
});

describe('Lazy groups panel', () => {
  it('shows events, batches, throughput and per-service totals', () => {
    const record = lazyGroups([
      ['api', 3, 4],
      ['web', 1, 1],
    ]);
    const frame = show(
      <LazyGroupsPanel record={record} batches={3} throughput={250} width={40} rows={5} />,
      40,
    );
    expect(frame[0]).toBe('events 5 · batches 3 · 250/s');
    expect(frame[1]).toBe('success 80.0% 4/5');
    expect(frame[2]).toMatch(/^api +75\.0% 3\/4$/);
    expect(frame[3]).toMatch(/^web +100\.0% 1\/1$/);
  });
});

describe('Keyed windows panel', () => {
  it('shows the latest windows per service, newest right, anomalies marked, late counts', () => {
    let data = initialDashboardData();
    const windows = [
      keyedWindow('web', 0, { rate: 0.9 }),
      keyedWindow('api', 0, { rate: 0.98 }),
      keyedWindow('api', 10, { rate: 0.42, anomaly: true, late: 3 }),
      keyedWindow('api', 20, { rate: 1, late: 4 }),
    ];
    for (const window of windows)
      data = applyInput(data, { kind: 'output', output: output(window) }, 0);
    const frame = show(<KeyedWindowsPanel keyed={data.keyedWindows} width={40} rows={5} />, 40);
    expect(frame[0]).toMatch(/^closed 4 · anomalies 1 · last /);
    expect(frame[1]).toBe('api late 4  98% !42% 100%');
    expect(frame[2]).toBe('web late 0  90%');
  });

  it('marks updated windows with ~, counts them, and names the --late-output file', () => {
    let data = initialDashboardData();
    const windows = [
      keyedWindow('api', 0, { rate: 0.98 }),
      keyedWindow('api', 10, { rate: 0.9 }),
      keyedWindow('api', 0, { rate: 0.97, update: true, late: 1 }),
    ];
    for (const window of windows)
      data = applyInput(data, { kind: 'output', output: output(window) }, 0);
    const frame = show(
      <KeyedWindowsPanel
        keyed={data.keyedWindows}
        lateOutput="out/late.ndjson"
        width={80}
        rows={3}
      />,
      80,
    );
    expect(frame[0]).toMatch(/^closed 2 · updated 1 · anomalies 0 · last \S+$/);
    expect(frame[1]).toBe('late events → out/late.ndjson');
    expect(frame[2]).toBe('api late 1 ~97%  90%');
  });

  it('shows only the windows that fit in its width, the newest', () => {
    let data = initialDashboardData();
    for (let i = 0; i < 20; i++) {
      const window = keyedWindow('api', i * 10, { rate: i / 100 });
      data = applyInput(data, { kind: 'output', output: output(window) }, 0);
    }
    const frame = show(<KeyedWindowsPanel keyed={data.keyedWindows} width={30} rows={3} />, 30);
    expect(frame[1]).toBe('api late 0  16%  17%  18%  19%');
    expect(displayWidth(frame[1]!)).toBeLessThanOrEqual(30);
  });
});
