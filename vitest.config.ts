import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (pure code, milliseconds, no server) and
 * `integration` (one real Temporal dev server and one workflow bundle per
 * run, started in the global setup). At most 2 test workers (2 cores).
 */
export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
