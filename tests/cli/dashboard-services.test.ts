import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatClock } from '../../src/dashboard/format.js';
import { CLI } from '../support/cli.js';
import { PANEL_TITLES } from '../support/dashboard.js';
import { hasTmux, tmuxServer } from '../support/terminal.js';
import { waitUntil } from '../support/wait.js';

/**
 * What an operator does in the first minute, in a real terminal (tmux), at the smallest and
 * a large size: find the failing service among 30, filter, open it, read the anomalies.
 */
const { tmux, inTerminal } = tmuxServer('services');

const START = 1_767_225_600;
const SERVICES = Array.from({ length: 30 }, (_, s) => `svc-${String(s).padStart(2, '0')}`);
/** Fails 80 % of its requests all along; the others fail 10 %. */
const FAILING = 'svc-13';
/** Fails every request of one ten-second window, [START + 150, START + 160): an anomaly. */
const BURSTING = 'svc-07';
const BURST_START = START + 150;

/** 200 s of event time, 10 events per second per service, in 10 files of 20 s. */
async function fleet(dir: string): Promise<void> {
  for (let file = 0; file < 10; file++) {
    const events = [];
    for (let t = file * 20; t < (file + 1) * 20; t++) {
      for (const service of SERVICES) {
        for (let i = 0; i < 10; i++) {
          const burst = service === BURSTING && t >= 150 && t < 160;
          const fails = service === FAILING ? i < 8 : burst || i === 0;
          events.push({
            service,
            timestamp: START + t + i / 10,
            message: `HTTP Status Code: ${fails ? 500 : 200}`,
          });
        }
      }
    }
    await writeFile(
      join(dir, `part-${String(file).padStart(2, '0')}.json`),
      JSON.stringify(events),
    );
  }
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logstream-services-'));
  await fleet(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Each check runs tmux: the screen is read less often than usual, and for longer. */
const waitFor = (screen: () => string, condition: (text: string) => boolean, what: string) =>
  waitUntil(() => condition(screen()), what, {
    timeoutMs: 20_000,
    intervalMs: 100,
    seen: () => `\n${screen()}`,
  });

/** The screen between the header (2 lines) and the footer (the last line). */
const body = (text: string) => text.trimEnd().split('\n').slice(2, -1).join('\n');
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe.runIf(hasTmux)('the dashboard with 30 services', () => {
  it.each([
    [80, 24],
    [160, 48],
  ])(
    'at %ix%i: the failing service first and in the header, / filters every panel, Enter opens it, Esc returns, a lists the anomaly',
    async (columns, rows) => {
      await inTerminal(
        { columns, rows },
        `node ${CLI} dashboard ${dir}`,
        async (session, screen) => {
          const keys = (...typed: string[]) => tmux('send-keys', '-t', session, ...typed);
          await waitFor(screen, (text) => /events 60000/.test(text), 'all 60,000 events');
          // Worst rate first: the failing service heads (and is selected in) every service list.
          await waitFor(
            screen,
            (text) => count(body(text), `›${FAILING}`) >= 3,
            `${FAILING} first in the Running average, Sliding window and Keyed windows lists`,
          );
          expect(screen().split('\n')[1]).toMatch(
            new RegExp(`^worst ${FAILING} (79\\.9|80\\.0)% failing`),
          );

          keys('/');
          keys('-l', 'svc-21');
          keys('Enter');
          await waitFor(
            screen,
            (text) => /\/svc-21 1 ·/.test(text),
            'the footer to show the filter',
          );
          await waitFor(
            screen,
            (text) => count(body(text), '›svc-21') >= 3 && !/svc-(?!21)\d\d/.test(body(text)),
            'every panel to list svc-21 alone',
          );
          for (const title of PANEL_TITLES) expect(screen()).toContain(title);

          keys('Enter');
          await waitFor(screen, (text) => /Esc close detail/.test(text), 'the detail view');
          const detail = body(screen());
          expect(detail).toContain('svc-21');
          expect(detail).not.toMatch(/svc-(?!21)\d\d/);
          keys('Escape');
          await waitFor(
            screen,
            (text) => !/close detail/.test(text) && PANEL_TITLES.every((t) => text.includes(t)),
            'the panels again',
          );

          keys('Escape'); // clears the filter
          keys('a');
          const window = `${formatClock(BURST_START)}–${formatClock(BURST_START + 10)}`;
          await waitFor(
            screen,
            (text) =>
              text.split('\n').some((line) => line.includes(BURSTING) && line.includes(window)),
            `an anomaly of ${BURSTING} in window ${window}`,
          );
          keys('q');
        },
      );
    },
  );
});
