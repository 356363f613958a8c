import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Checks (and, as root, installs) what the tests need from the machine (MariaDB, mkfs tools), then
    // builds the `ops` command once (dist/), so the CLI tests run it as operators do.
    // A temporary folder of the run's own, removed at the end (test/support/temp-dir.ts).
    globalSetup: [
      './test/support/temp-dir.ts',
      './test/support/global-setup.ts',
      './test/support/build-ops.ts',
    ],
    // The default report, then one plain `N passed, N failed` line for CI.
    reporters: ['default', './test/support/summary-reporter.ts'],
    // CDK synthesis and local servers are slow on 2 cores; keep room for them.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Handler code run in-process (workflow tests) logs through the shared Powertools logger; its
    // INFO lines would fill the test output. Tests that read logs build their own logger with an
    // explicit level (test/support/capture-logger.ts) or set the level of the process they spawn.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    pool: 'forks',
    maxWorkers: 2,
  },
});
