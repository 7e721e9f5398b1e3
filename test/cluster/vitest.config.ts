import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster` (= `vitest run --config test/cluster/vitest.config.ts`):
 * the suite that runs against a real Temporal cluster (scripts/cluster.sh:
 * PostgreSQL, separate frontend/history/matching/worker services, the UI
 * server), started in the global setup. Not part of `npm test`. Files run one
 * after another: each starts its own pool of `tempoflow worker` processes,
 * and the fault tests kill cluster services that every file uses.
 */
export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    name: 'cluster',
    include: ['test/cluster/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/cluster/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
