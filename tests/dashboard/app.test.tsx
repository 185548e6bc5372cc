import { type Observable, Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogEvent } from '../../operators/event.js';
import { Dashboard } from '../../src/dashboard/app.js';
import { displayWidth } from '../../src/dashboard/text.js';
import type { SourceStats, TaskOutput } from '../../src/dashboard/types.js';
import { PANEL_TITLES } from '../support/dashboard.js';
import {
  advance,
  bloom,
  keyedWindow,
  lazyGroups,
  lines,
  output,
  renderAt,
  reservoir,
  resize,
  runningAverage,
  settle,
  slidingWindow,
  useDashboardTimers,
} from './helpers.js';

// Frames without colour codes: every ESC in a frame would then come from a log.
vi.hoisted(() => {
  process.env.FORCE_COLOR = '0';
});

interface Streams {
  outputs: Subject<TaskOutput>;
  stats: Subject<SourceStats>;
  forwarded: Subject<LogEvent>;
  onQuit: ReturnType<typeof vi.fn<() => void>>;
}

function streams(): Streams {
  return {
    outputs: new Subject(),
    stats: new Subject(),
    forwarded: new Subject(),
    onQuit: vi.fn<() => void>(),
  };
}

function dashboard(s: Streams, source = 'data/') {
  return (
    <Dashboard
      source={source}
      outputs={s.outputs as Observable<TaskOutput>}
      stats={s.stats}
      forwarded={s.forwarded}
      onQuit={s.onQuit}
    />
  );
}

const stats = (events: number, extra: Partial<SourceStats> = {}): SourceStats => ({
  files: 3,
  events,
  invalid: 0,
  brokenFiles: 0,
  latestError: null,
  ...extra,
});

/** Every task's record, with more services than any screen has rows for. */
function feedEverything(s: Streams): void {
  const services = Array.from(
    { length: 40 },
    (_, i) =>
      [`service-${String(i).padStart(2, '0')}`, 90 + (i % 10), 100] as [string, number, number],
  );
  s.stats.next(
    stats(4000, { invalid: 2, brokenFiles: 1, latestError: 'bad.json: Unexpected end' }),
  );
  s.outputs.next(output(runningAverage(services)));
  s.outputs.next(
    output(
      slidingWindow(
        services.map(([name, , t]) => [name, 5, t]),
        { late: 2 },
      ),
    ),
  );
  s.outputs.next(
    output(
      reservoir([
        [200, 500],
        [500, 300],
        [404, 100],
        [301, 50],
        [201, 30],
        [503, 20],
      ]),
    ),
  );
  s.outputs.next(output(bloom()));
  for (let i = 0; i < 40; i++)
    s.forwarded.next({ service: 'pay', timestamp: i, message: `declined ${i}` });
  s.outputs.next(output(lazyGroups(services, { batches: 2 })));
  for (const [name] of services) {
    for (let w = 0; w < 10; w++)
      s.outputs.next(output(keyedWindow(name, w * 10, { anomaly: w === 7 })));
  }
}

function expectFits(frame: string | undefined, columns: number, rows: number): string[] {
  const frameLines = lines(frame);
  expect(frameLines.length).toBeLessThanOrEqual(rows);
  for (const line of frameLines) expect(displayWidth(line)).toBeLessThanOrEqual(columns);
  return frameLines;
}

describe('Dashboard', () => {
  beforeEach(useDashboardTimers);
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fits 80×24 with all six panels, the header and the keys', async () => {
    const s = streams();
    const { lastFrame, unmount } = await renderAt(dashboard(s), 80, 24);
    feedEverything(s);
    await advance(100);
    const frame = expectFits(lastFrame(), 80, 24).join('\n');
    for (const title of PANEL_TITLES) expect(frame).toContain(title);
    expect(frame).toMatch(/source data\/ · files 3 · events 4000/);
    expect(frame).toMatch(
      /worst service-00 5\.0% failing · invalid 2 · broken 1 · latest error: bad\.json/,
    );
    expect(frame).toContain('q quit');
    expect(frame).toContain('p pause');
    expect(frame).toContain('? help');
    expect(frame).toContain('/ filter');
    // More services than rows: where the rows are in the list.
    expect(frame).toMatch(/↓\d+ · 1\/\d+/);
    unmount();
  });

  it('uses a 160×48 terminal with three columns of bordered panels', async () => {
    const s = streams();
    const { lastFrame, unmount } = await renderAt(dashboard(s), 160, 48);
    feedEverything(s);
    await advance(100);
    const frameLines = expectFits(lastFrame(), 160, 48);
    const titleLine = frameLines.find((line) => line.includes('Running average'))!;
    expect(titleLine).toContain('Sliding window');
    expect(titleLine).toContain('Reservoir');
    expect(frameLines.join('\n')).toContain('╭');
    for (const title of PANEL_TITLES) expect(frameLines.join('\n')).toContain(title);
    unmount();
  });

  it('follows resizes and stays within the terminal', async () => {
    const s = streams();
    const { lastFrame, stdout, unmount } = await renderAt(dashboard(s), 160, 48);
    feedEverything(s);
    await advance(100);
    for (const [columns, rows] of [
      [80, 24],
      [100, 30],
      [60, 15],
      [200, 60],
    ] as const) {
      resize(stdout, columns, rows);
      await settle();
      expectFits(lastFrame(), columns, rows);
    }
    unmount();
  });

  it('shows the events per second measured from the stats', async () => {
    const s = streams();
    const { lastFrame, unmount } = await renderAt(dashboard(s), 80, 24);
    s.stats.next(stats(0));
    await advance(1000);
    s.stats.next(stats(500));
    await advance(100);
    expect(lastFrame()).toMatch(/events 500 · 500\/s/); // 500 events in the 1 s since the first stats
    unmount();
  });

  it('shows log text without any control character or escape sequence, and keeps its words', async () => {
    const s = streams();
    const { lastFrame, unmount } = await renderAt(dashboard(s, 'logs\x1b]0;pwned\x07/'), 120, 30);
    s.outputs.next(output(bloom()));
    s.outputs.next(output(runningAverage([['\x1b[31mredsvc\x1b[0m', 1, 1]])));
    s.forwarded.next({
      service: 'pay\u202eyap',
      timestamp: 1,
      message:
        '\x1b[2J\x1b[Hcard \x1b]0;evil\x07declined\x1b]0;evil\x1b\\ by \x9b31mbank\r\b\tnow\x1bc\x07',
    });
    s.stats.next(stats(1, { latestError: 'x.json:\x1b[1A\x1b[2K broken' }));
    await advance(100);
    const frame = lastFrame()!;
    expect(frame).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(frame).toContain('card declined by bank  now');
    expect(frame).toContain('payyap');
    expect(frame).toContain('redsvc');
    expect(frame).toContain('source logs/');
    expect(frame).toContain('x.json: broken');
    unmount();
  });

  it('cuts a 10,000-character message so no line is wider than the terminal', async () => {
    const s = streams();
    const { lastFrame, unmount } = await renderAt(dashboard(s), 80, 24);
    s.outputs.next(output(bloom()));
    s.forwarded.next({ service: 'api', timestamp: 1, message: 'y'.repeat(10_000) });
    await advance(100);
    const frameLines = expectFits(lastFrame(), 80, 24);
    const messageLine = frameLines.find((line) => line.includes('api yyy'))!;
    expect(messageLine.trimEnd()).toMatch(/y…$/);
    unmount();
  });

  it('redraws at most about ten times a second however fast records arrive', async () => {
    const s = streams();
    const { frames, unmount } = await renderAt(dashboard(s), 80, 24);
    const before = frames.length;
    for (let ms = 0; ms < 1000; ms++) {
      s.stats.next(stats(ms));
      s.outputs.next(output(runningAverage([['api', ms, ms + 1]])));
      await vi.advanceTimersByTimeAsync(1);
    }
    await settle();
    const redraws = frames.length - before;
    expect(redraws).toBeGreaterThanOrEqual(5);
    expect(redraws).toBeLessThanOrEqual(11);
    unmount();
  });

  it('freezes the display on p, says PAUSED, and catches up on p again', async () => {
    const s = streams();
    const { lastFrame, stdin, unmount } = await renderAt(dashboard(s), 80, 24);
    s.stats.next(stats(100));
    await advance(100);
    expect(lastFrame()).toContain('events 100');

    stdin.write('p');
    await settle();
    expect(lastFrame()).toContain('PAUSED');
    expect(lastFrame()).toContain('p resume');
    s.stats.next(stats(200));
    s.outputs.next(output(runningAverage([['api', 1, 2]])));
    await advance(1000);
    expect(lastFrame()).toContain('events 100');
    expect(lastFrame()).not.toContain('50.0%');

    stdin.write('p');
    await advance(100);
    expect(lastFrame()).not.toContain('PAUSED');
    expect(lastFrame()).toContain('events 200');
    expect(lastFrame()).toContain('50.0%');
    unmount();
  });

  it('calls onQuit on q and on Ctrl-C', async () => {
    const s = streams();
    const { stdin, unmount } = await renderAt(dashboard(s), 80, 24);
    stdin.write('q');
    await settle();
    expect(s.onQuit).toHaveBeenCalledTimes(1);
    stdin.write('\x03');
    await settle();
    expect(s.onQuit).toHaveBeenCalledTimes(2);
    unmount();
  });

  it('filters every list on /, opens the selected service on Enter and goes back on Esc', async () => {
    const s = streams();
    const { lastFrame, stdin, unmount } = await renderAt(dashboard(s), 80, 24);
    feedEverything(s);
    await advance(100);
    const names = (frame: string) => new Set(frame.match(/service-\d\d/g));
    expect(names(lastFrame()!).size).toBeGreaterThan(1);
    for (const key of ['/', 'i', 'c', 'e', '-', '0', '3', '\r']) {
      stdin.write(key);
      await settle();
    }
    await advance(100);
    const body = lines(lastFrame()).slice(2, -1).join('\n');
    expect(names(body)).toEqual(new Set(['service-03']));
    expect(body.split('›service-03').length - 1).toBeGreaterThanOrEqual(3);
    stdin.write('\r');
    await settle();
    expect(lastFrame()).toContain('Esc close detail');
    expectFits(lastFrame(), 80, 24);
    stdin.write('\x1b');
    await advance(100);
    expect(lastFrame()).not.toContain('close detail');
    for (const title of PANEL_TITLES) expect(lastFrame()).toContain(title);
    unmount();
  });

  it('cycles the sort on s and shows the anomalies on a', async () => {
    const s = streams();
    const { lastFrame, stdin, unmount } = await renderAt(dashboard(s), 80, 24);
    feedEverything(s);
    await advance(100);
    expect(lastFrame()).toContain('worst rate first');
    stdin.write('s');
    await settle();
    expect(lastFrame()).toContain('s volume');
    stdin.write('a');
    await settle();
    expect(lastFrame()).toMatch(/Anomalies/);
    expect(lastFrame()).toMatch(/service-\d\d/);
    expectFits(lastFrame(), 80, 24);
    unmount();
  });

  it('toggles the help on ?', async () => {
    const s = streams();
    const { lastFrame, stdin, unmount } = await renderAt(dashboard(s), 80, 24);
    stdin.write('?');
    await settle();
    expect(lastFrame()).toContain('Keys:');
    expect(lastFrame()).toContain('Esc close help');
    expectFits(lastFrame(), 80, 24);
    stdin.write('?');
    await settle();
    expect(lastFrame()).not.toContain('Keys:');
    unmount();
  });
});
