import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (pure code, milliseconds, no server),
 * `integration` (one real Temporal dev server and one workflow bundle per
 * run, started in the global setup) and `workflow` (the interpreter workflow
 * with fake stage activities under Temporal's time-skipping test server, one
 * per test file). At most 2 test workers (2 cores).
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
          // Pure code, fast on an idle machine; the bound is generous because CI runs
          // these while the Temporal binaries build on the same two cores.
          testTimeout: 30_000,
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
      {
        test: {
          name: 'workflow',
          include: ['test/workflow/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/workflow/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
