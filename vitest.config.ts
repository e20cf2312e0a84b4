import { defaultClientConditions, defaultServerConditions, type Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Workspace packages export `source` -> ./src/index.ts: resolve that condition first, so tests
 * run the TypeScript sources of @novamed-stream/* directly (no build, no dist). A plugin rather
 * than `resolve.conditions` / `ssr.resolve.conditions`: those reach only the client and ssr
 * environments, while Vitest loads global setup files through its own `__vitest__` environment.
 */
function sourceCondition(): Plugin {
  return {
    name: 'novamed-stream:source-condition',
    configEnvironment(name, config) {
      const defaults = name === 'client' ? defaultClientConditions : defaultServerConditions;
      const conditions = config.resolve?.conditions ?? [...defaults];
      if (conditions.includes('source')) return;
      config.resolve = { ...config.resolve, conditions: ['source', ...conditions] };
    },
  };
}

const exclude = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  plugins: [sourceCondition()],
  test: {
    reporters: ['default', './packages/testkit/src/summary-reporter.ts'],
    env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    // The integration teardown stops Kafka and Postgres gracefully.
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.unit.test.ts'],
          exclude,
          // Unit tests first (seconds), then the integration tests (real servers).
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude,
          // One real Kafka and one real Postgres for the whole run.
          globalSetup: ['packages/testkit/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Each file talks to real servers (and some start their own); two at a time is what
          // a 2-core machine sustains.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['reliability/**/*.rel.test.ts'],
          exclude,
          // The shared stack, then the run folder (logs, results; the summary at the end).
          globalSetup: [
            'packages/testkit/src/global-setup.ts',
            'reliability/harness/global-setup.ts',
          ],
          testTimeout: 900_000,
          hookTimeout: 300_000,
          // Scenarios put the machine under load and kill servers: one at a time.
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
