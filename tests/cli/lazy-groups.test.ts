import { describe, expect, it } from 'vitest';
import { createRandom } from '../../operators/random.js';
import { recordsOf, runCli, tempDir, writeLogFile } from '../support/cli.js';

/** Per service: successes (2xx), failures (4xx/5xx), other statuses (1xx/3xx), no status. */
const COUNTS = {
  checkout: { successes: 1234, failures: 321, others: 45, none: 17 },
  __proto__: { successes: 77, failures: 700, others: 3, none: 0 },
  'search-β': { successes: 5000, failures: 1, others: 0, none: 250 },
  constructor: { successes: 0, failures: 0, others: 0, none: 9 },
  zeta: { successes: 1, failures: 2, others: 1, none: 1 },
} as const;

const STATUS_OF = {
  successes: [200, 201, 204],
  failures: [404, 500, 503],
  others: [101, 301, 304],
} as const;

describe('logstream run --task lazy-groups', () => {
  it('computes every per-service rate exactly over many files', async () => {
    const random = createRandom(11);
    const events: object[] = [];
    let time = 1_767_225_600;
    for (const [service, counts] of Object.entries(COUNTS)) {
      for (const [kind, count] of Object.entries(counts)) {
        for (let i = 0; i < count; i++) {
          const codes = kind === 'none' ? undefined : STATUS_OF[kind as keyof typeof STATUS_OF];
          const message = codes
            ? `req ${i} HTTP Status Code: ${codes[i % codes.length]}`
            : `heartbeat ${i}`;
          time += 0.25;
          events.push({ service, timestamp: time, message });
        }
      }
    }
    // Shuffle (seeded), then spread over 60 files of uneven sizes.
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [events[i], events[j]] = [events[j]!, events[i]!];
    }
    const dir = await tempDir();
    let offset = 0;
    for (let file = 0; file < 60; file++) {
      const size =
        file === 59 ? events.length - offset : Math.floor(random() * (2 * (events.length / 60)));
      await writeLogFile(
        dir,
        `part-${String(file).padStart(3, '0')}.json`,
        events.slice(offset, offset + size),
        file,
      );
      offset += size;
    }

    // Batches reduced on the main thread, and on the worker pool shared with the readers.
    for (const [batchSize, workers] of [
      ['97', '0'],
      ['1000000', '0'],
      ['97', '2'],
    ] as const) {
      const result = await runCli([
        'run',
        dir,
        '--once',
        '--task',
        'lazy-groups',
        '--batch-size',
        batchSize,
        '--lazy-workers',
        workers,
      ]);
      expect(result.code).toBe(0);
      const last = recordsOf(result, 'lazy-groups').at(-1)!;
      const expected = Object.entries(COUNTS)
        .map(([service, { successes, failures, others }]) => {
          const total = successes + failures + others;
          return { service, successes, total, rate: total === 0 ? null : successes / total };
        })
        .sort((a, b) => (a.service < b.service ? -1 : 1));
      const successes = expected.reduce((sum, s) => sum + s.successes, 0);
      const total = expected.reduce((sum, s) => sum + s.total, 0);
      expect(last).toMatchObject({
        events: events.length,
        successes,
        total,
        rate: successes / total,
      });
      expect(last.services).toEqual(expected);
    }
  });
});
