import { defineConfig } from 'vitest/config';

/**
 * The test files `npm run mutate` runs: those that cover the safety modules (stryker.config.mjs),
 * nothing that synthesises CDK or spawns the `ops` command, so one mutant costs seconds.
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/config/**/*.test.ts',
      'test/unit/shared/**/*.test.ts',
      'test/unit/slack/**/*.test.ts',
      'test/unit/audit/**/*.test.ts',
      'test/unit/rotation/**/*.test.ts',
      'test/unit/intake/{allow-list,decide,execution-name,properties,samples,policy,guards}*.test.ts',
      'test/bundles/sdk-clients.test.ts',
      'test/bundles/datadog-client.test.ts',
      'test/bundles/package-copy.test.ts',
      'test/integration/{admit,audit,audit-chain,audit-store,guard-store,guards,guards-intake,report-redaction,redact,slack-endpoint,slack-run-ended,slack-run-ended-handler,approval-store,rotation-mysql,rotation-protocol,rotation-random}.test.ts',
    ],
    // Tests that spawn the `ops` command run their code in another process, out of Stryker's
    // sight (and slowly): left out here, they run in `npm test`.
    testNamePattern: /^(?!.*\bops (history|plan|serve|replay)\b)/,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
