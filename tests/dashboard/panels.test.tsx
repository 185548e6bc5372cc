import { describe, expect, it, vi } from 'vitest';
import { BloomPanel } from '../../src/dashboard/panels/bloom.js';
import { ReservoirPanel } from '../../src/dashboard/panels/reservoir.js';
import { RunningAveragePanel } from '../../src/dashboard/panels/running-average.js';
import { SlidingWindowPanel } from '../../src/dashboard/panels/sliding-window.js';
import { bloom, reservoir, runningAverage, serviceView, show, slidingWindow } from './helpers.js';

// Frames without colour codes, whatever the terminal running the tests supports.
vi.hoisted(() => {
  process.env.FORCE_COLOR = '0';
});

describe('Running average panel', () => {
  it('shows the overall and per-service success rates with counts, the selected service marked', () => {
    const record = runningAverage([
      ['api', 9, 10],
      ['auth', 1, 4],
    ]);
    const view = serviceView([record], { sort: 'name' });
    const frame = show(<RunningAveragePanel record={record} view={view} width={40} rows={6} />, 40);
    expect(frame[0]).toMatch(/success 71\.4% 10\/14 · 2 services/);
    expect(frame[1]).toMatch(/^›api +90\.0% 9\/10/);
    expect(frame[2]).toMatch(/^ auth +25\.0% 1\/4/);
  });

  it('draws a bar of each rate where the panel is wide', () => {
    const record = runningAverage([['api', 1, 2]]);
    const frame = show(
      <RunningAveragePanel record={record} view={serviceView([record])} width={60} rows={3} />,
      60,
    );
    expect(frame[1]).toMatch(/1\/2 █+/);
  });

  it('shows the rows around the selected service and where they are in the list', () => {
    const services: [string, number, number][] = Array.from({ length: 12 }, (_, i) => [
      `svc${String(i).padStart(2, '0')}`,
      1,
      2,
    ]);
    const record = runningAverage(services);
    const first = show(
      <RunningAveragePanel
        record={record}
        view={serviceView([record], { sort: 'name' })}
        width={40}
        rows={5}
      />,
      40,
    );
    expect(first).toHaveLength(5);
    expect(first[1]).toMatch(/^›svc00 /);
    expect(first[4]).toBe('↓9 · 1/12');
    const scrolled = show(
      <RunningAveragePanel
        record={record}
        view={serviceView([record], { sort: 'name', selected: 8 })}
        width={40}
        rows={5}
      />,
      40,
    );
    expect(scrolled.slice(1, 4).map((line) => line.slice(0, 6))).toEqual([
      ' svc07',
      '›svc08',
      ' svc09',
    ]);
    expect(scrolled[4]).toBe('↑7 ↓2 · 9/12');
  });

  it('says what since start covers in the rows the services leave', () => {
    const record = runningAverage([['api', 1, 2]], { oldest: 1_000_000, newest: 1_002_278 });
    const frame = show(
      <RunningAveragePanel record={record} view={serviceView([record])} width={60} rows={6} />,
      60,
    );
    expect(frame[2]).toBe('');
    expect(frame[3]).toMatch(/^event time \d\d:\d\d:\d\d → \d\d:\d\d:\d\d \(37m58s\)$/);
  });

  it('says it is waiting before the first record', () => {
    expect(
      show(<RunningAveragePanel record={null} view={serviceView([])} width={40} rows={5} />, 40),
    ).toEqual(['waiting for events…']);
  });
});

describe('Sliding window panel', () => {
  it('shows the failure rate overall and per service, worst first, late events and sparklines', () => {
    const record = slidingWindow(
      [
        ['api', 1, 4],
        ['db', 0, 6],
      ],
      { late: 7 },
    );
    const frame = show(
      <SlidingWindowPanel
        record={record}
        history={[0, 0.05, 0.1]}
        view={serviceView([record], { sort: 'worst' })}
        width={40}
        rows={6}
      />,
      40,
    );
    expect(frame[0]).toMatch(/failure 10\.0% 1\/10 · late 7/);
    expect(frame[1]).toMatch(/^ +▁▅█ max 10\.0%$/);
    // Each service's own trend beside its rate: one record so far, one value.
    expect(frame[2]).toMatch(/^›api +25\.0% 1\/4 [▁-█]$/);
    expect(frame[3]).toMatch(/^ db +0\.0% 0\/6 ▁$/);
  });
});

describe('Sliding window panel on a tall terminal', () => {
  it('draws the overall trend as a chart in the rows the services leave', () => {
    const record = slidingWindow([['api', 1, 4]]);
    const frame = show(
      <SlidingWindowPanel
        record={record}
        history={[0, 0.5, 1]}
        view={serviceView([record])}
        width={40}
        rows={12}
      />,
      40,
    );
    // 12 rows: the summary, one service, 8 chart rows (the most), the rest empty.
    const chart = frame.slice(1, 9);
    expect(chart[0]).toMatch(/█ max 100\.0%$/);
    expect(chart[7]).toMatch(/▁██? *$/);
    expect(frame[9]).toMatch(/^›api/);
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
      <BloomPanel record={bloom()} forwarded={forwarded} filter="" width={60} rows={6} />,
      60,
    );
    expect(frame[0]).toBe('checked 2000 · forwarded 50 · 2.5%');
    expect(frame[1]).toBe('expected FP 0.81% · 9585 bits, 7 hashes');
    expect(frame[2]).toBe('pay card declined');
    expect(frame[3]).toBe('api timeout');
  });

  it('lists only the messages of services the filter keeps', () => {
    const forwarded = [
      { id: 2, event: { service: 'pay', timestamp: 2, message: 'card declined' } },
      { id: 1, event: { service: 'api', timestamp: 1, message: 'timeout' } },
    ];
    const frame = show(
      <BloomPanel record={bloom()} forwarded={forwarded} filter="AP" width={60} rows={6} />,
      60,
    );
    expect(frame.slice(2)).toEqual(['api timeout']);
  });

  it('shows as many messages as its rows allow', () => {
    const forwarded = Array.from({ length: 10 }, (_, i) => ({
      id: 10 - i,
      event: { service: 's', timestamp: i, message: `m${i}` },
    }));
    expect(
      show(<BloomPanel record={bloom()} forwarded={forwarded} filter="" width={60} rows={4} />, 60),
    ).toHaveLength(4);
  });
});
