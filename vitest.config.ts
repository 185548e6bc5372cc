import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './tests/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
          exclude: ['tests/nats/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // After the others, on a machine of its own: a NATS cluster, its workers and its
        // publisher starved of the cores by other test files stretch the fault tests' timelines
        // past their bounds (seen in CI and in full runs, never with the files alone).
        extends: true,
        test: {
          name: 'nats',
          include: ['tests/nats/**/*.test.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
