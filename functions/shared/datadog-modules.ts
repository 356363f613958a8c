/**
 * The Datadog client's modules, as functions/shared/datadog.ts loads them with `import()` on the
 * first request. Functions whose invocations mostly never report (the intake's two) have them built
 * beside their bundle instead of inside it (`loadOnFirstUse`, infra/bundling/first-use.ts), so a
 * cold start that does not report does not compile them (86 KB from the copy of
 * infra/bundling/datadog-client.ts; 727 KB before it). A test holds this list to
 * datadog.ts's own `import()`s.
 */
export const DATADOG_CLIENT_MODULES = [
  '@datadog/datadog-api-client/dist/logger.js',
  '@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js',
  '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/EventsApi.js',
  '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MetricsApi.js',
] as const;
