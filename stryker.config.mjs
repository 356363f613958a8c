// @ts-check
/**
 * Mutation testing of the modules that guard production (`npm run mutate`; not in CI: it takes
 * an hour or more on 2 cores). One module at a time: `npm run mutate -- --mutate functions/shared/redact.ts`.
 * The score per module is in the README (Tests and benchmarks → Mutation testing).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    // intake: guards, policy, execution names, admission
    'functions/intake/guards.ts',
    'functions/intake/guard-store.ts',
    'functions/intake/decide.ts',
    'functions/intake/execution-name.ts',
    'functions/intake/admit.ts',
    'functions/intake/policy/*.ts',
    'runbooks/*/policy.ts',
    'runbooks/*/plugin.ts',
    // allow-list matching
    'config/wildcard.ts',
    // Slack: signature and authorisation
    'functions/slack/verify.ts',
    'functions/slack/authz.ts',
    // closing a run's approvals when it ends: which approval, which outcome, and never a decided one
    'functions/slack/run-ended.ts',
    // rotation protocol and strategies
    'runbooks/rotate-secret/steps/protocol.ts',
    'runbooks/rotate-secret/steps/strategies.ts',
    // approval store, audit record and chain, redaction, the conditional-write test
    'functions/approval/store.ts',
    'functions/audit/record.ts',
    'functions/audit/store.ts',
    'functions/audit/history.ts',
    'functions/audit/verify.ts',
    'functions/shared/redact.ts',
    'functions/shared/conditional.ts',
    // the one HTTP client of Slack and Datadog calls: redirects refused, answers bounded
    'functions/shared/https-fetch.ts',
    // the SDK clients' schemas rewritten for tree-shaking: a wrong key would be a wrong AWS call
    'infra/bundling/sdk-clients.ts',
    'infra/bundling/package-copy.ts',
    // the Datadog client's serializer cut to the types its APIs reach: a missing type fails a report
    'infra/bundling/datadog-client.ts',
  ],
  // The machine is shared: one test process at a time.
  concurrency: 1,
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/report.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['cdk.out', '.tmp', 'reports', 'bench-results', 'coverage', '.stryker-tmp'],
  // A mutant that loops forever (e.g. in the wildcard matcher) costs this much: keep it short.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  // Type errors in a mutant are not a test result: Stryker's TypeScript checker is left out (tsc
  // on this project takes a minute per check); a mutant that does not compile still fails its tests.
  disableTypeChecks: '{config,functions,runbooks,events}/**/*.ts',
};
