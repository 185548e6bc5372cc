import { spawn } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../../operators/batch.js';
import { encodeFrame, encodeHeader, readRecording } from '../../operators/testing/recording.js';
import { REPO, runCli, tempDir } from '../support/cli.js';

/** A project that has logstream installed (this build), rxjs and vitest: where a user's spec lives. */
async function consumerProject(dir: string): Promise<void> {
  await mkdir(join(dir, 'node_modules'));
  await symlink(REPO, join(dir, 'node_modules', 'logstream'));
  for (const name of ['rxjs', 'vitest']) {
    await symlink(join(REPO, 'node_modules', name), join(dir, 'node_modules', name));
  }
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
}

/** Runs vitest in `dir` as its own process, as the user would. */
function vitestIn(dir: string): Promise<{ code: number | null; output: string }> {
  // The outer vitest's variables would make the inner one think it runs inside a worker.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')),
  );
  const child = spawn(
    process.execPath,
    [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', '--root', dir, '--color=false'],
    { cwd: dir, env: { ...env, NO_COLOR: '1' } },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('logstream replay --spec', () => {
  it('writes a spec that passes on the recording of a burst, and fails once the burst is edited out', async () => {
    const dir = await tempDir();
    const logs = join(dir, 'logs');
    const recording = join(dir, 'burst.lsrec');
    const generated = await runCli([
      'generate',
      logs,
      '--files',
      '12',
      '--seed',
      '5',
      '--bursts',
      '0.4',
    ]);
    expect(generated.code).toBe(0);
    expect((await runCli(['record', logs, '-o', recording, '--once'])).code).toBe(0);
    // The anomaly the recording shows, as `replay` reports it.
    const replayed = await runCli(['replay', recording, '--max', '--task', 'keyed-windows']);
    const anomaly = replayed.records.find((record) => record.anomaly === true);
    expect(anomaly).toBeDefined();

    const project = join(dir, 'project');
    await mkdir(project);
    await consumerProject(project);
    const spec = join(project, 'burst.test.ts');
    const written = await runCli([
      'replay',
      recording,
      '--spec',
      spec,
      '--task',
      'keyed-windows,running-average',
    ]);
    expect(written.code).toBe(0);
    expect(written.stderr).toMatch(
      /^logstream: wrote .*burst\.test\.ts \(\d+ records over 12 batches\) and .*burst\.lsrec\n$/,
    );
    const specText = await readFile(spec, 'utf8');
    expect(specText).toContain(
      `"service":"${anomaly!.service}","windowStart":${anomaly!.windowStart}`,
    );

    const passing = await vitestIn(project);
    expect(passing.output).toMatch(/Tests\s+2 passed/);
    expect(passing.code).toBe(0);

    // The burst's events edited out of the slice beside the spec: the spec catches it.
    const slicePath = join(project, 'burst.lsrec');
    const slice = readRecording(await readFile(slicePath));
    const inBurst = (batch: EventBatch, i: number) =>
      batch.service(i) === anomaly!.service &&
      batch.times[i]! >= (anomaly!.windowStart as number) &&
      batch.times[i]! < (anomaly!.windowEnd as number);
    const edited = slice.frames.map((frame) => {
      if (frame.type !== 'batch') return frame;
      const kept = [...Array(frame.batch.length).keys()].filter((i) => !inBurst(frame.batch, i));
      const batch = EventBatch.fromColumns(
        kept.map((i) => frame.batch.service(i)),
        Float64Array.from(kept, (i) => frame.batch.times[i]!),
        Uint16Array.from(kept, (i) => frame.batch.statuses[i]!),
        kept.map((i) => frame.batch.message(i)),
      );
      return { ...frame, batch };
    });
    await writeFile(
      slicePath,
      [encodeHeader(slice.header), ...edited.map(encodeFrame), ''].join('\n'),
    );
    const failing = await vitestIn(project);
    expect(failing.code).toBe(1);
    expect(failing.output).toMatch(/Tests\s+2 failed/);
    expect(failing.output).toContain('keyed-windows: the records of burst.lsrec');
  });

  it('writes the slice it is given, its times counted from the start of the slice', async () => {
    const dir = await tempDir();
    const logs = join(dir, 'logs');
    await runCli(['generate', logs, '--files', '3', '--seed', '5']);
    const recording = join(dir, 'all.lsrec');
    await runCli(['record', logs, '-o', recording, '--once']);
    const whole = readRecording(await readFile(recording));
    const second = whole.frames.filter((frame) => frame.type === 'batch')[1]!;
    const spec = join(dir, 'second.test.ts');
    const from = `${second.at}ms`;
    const written = await runCli([
      'replay',
      recording,
      '--spec',
      spec,
      '--from',
      from,
      '--to',
      from,
    ]);
    expect(written.code).toBe(0);
    const slice = readRecording(await readFile(join(dir, 'second.lsrec')));
    expect(slice.frames.map((frame) => [frame.type, frame.at])).toEqual([
      ['batch', 0],
      ['end', 0],
    ]);
    expect(slice.header.startedAt).toBe(whole.header.startedAt + second.at);
    // One test per task, each expecting its records after that one batch.
    const text = await readFile(spec, 'utf8');
    expect(text.match(/^it\(/gm)).toHaveLength(6);
  });
});
