import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import {
  encodeFrame,
  encodeHeader,
  type RecordingFrame,
} from '../../operators/testing/recording.js';
import { CLI, tempDir } from '../support/cli.js';
import { hasTmux, tmuxServer } from '../support/terminal.js';
import { waitUntil } from '../support/wait.js';

const { tmux, inTerminal } = tmuxServer('replay-dashboard');

const waitFor = (condition: () => boolean, what: string, seen: () => string) =>
  waitUntil(condition, what, {
    timeoutMs: 15_000,
    intervalMs: 100,
    seen: () => `; the screen:\n${seen()}`,
  });

/** A recording of 20 batches, one every second of a 20-second run, 50 events each. */
async function recording(dir: string): Promise<string> {
  const frames: RecordingFrame[] = [];
  for (let index = 1; index <= 20; index++) {
    const services = Array.from({ length: 50 }, (_, i) => ['auth', 'billing'][i % 2]!);
    const batch = EventBatch.fromColumns(
      services,
      Float64Array.from(services, (_, i) => 1_700_000_000 + index * 10 + i / 5),
      Uint16Array.from(services, (_, i) => (i % 5 === 0 ? 503 : 200)),
      services.map((_, i) => `HTTP Status Code: ${i % 5 === 0 ? 503 : 200}`),
    );
    frames.push({
      type: 'batch',
      at: index * 1000,
      index,
      file: `f${index}.json`,
      invalid: 0,
      batch,
    });
  }
  frames.push({ type: 'end', at: 21_000 });
  const header = encodeHeader({ startedAt: 1_764_000_000_000, source: 'logs', follow: true });
  const path = join(dir, 'run.lsrec');
  await writeFile(path, `${[header, ...frames.map(encodeFrame)].join('\n')}\n`);
  return path;
}

/** The header's file count. */
const filesOf = (screen: string) => Number(/· files (\d+)/.exec(screen)?.[1] ?? Number.NaN);

describe.runIf(hasTmux)('logstream replay --dashboard', () => {
  it('pauses, steps one batch, changes speed and jumps, the header showing the replay time and pace', async () => {
    const dir = await tempDir();
    const path = await recording(dir);
    const status = join(dir, 'status');
    const command = `node ${CLI} replay ${path} --dashboard --speed 1; echo $? > ${status}`;
    await inTerminal({ columns: 120, rows: 32 }, command, async (session, screen) => {
      const keys = (...names: string[]) => tmux('send-keys', '-t', session, ...names);
      await waitFor(() => filesOf(screen()) >= 1, 'the first batch', screen);
      expect(screen()).toMatch(/replay \ds at 1x/);
      keys('p');
      await waitFor(() => screen().includes('PAUSED'), 'the replay to pause', screen);
      const paused = filesOf(screen());
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(filesOf(screen())).toBe(paused);
      keys('n');
      await waitFor(() => filesOf(screen()) === paused + 1, 'one step', screen);
      expect(screen()).toContain('PAUSED');
      keys('+');
      keys('+');
      keys('p');
      await waitFor(() => /replay \d+s at 4x/.test(screen()), 'four times the speed', screen);
      keys('t');
      await waitFor(() => screen().includes('jump to'), 'the jump prompt', screen);
      keys('1', '9', 's', 'Enter');
      await waitFor(() => filesOf(screen()) >= 19, 'the jump to 19 s', screen);
      await waitFor(() => screen().includes('input ended'), 'the end of the recording', screen);
      expect(filesOf(screen())).toBe(20);
      keys('q');
      await waitFor(() => existsSync(status), 'the dashboard to exit', screen);
      expect((await readFile(status, 'utf8')).trim()).toBe('0');
    });
  });
});
