import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { redactingJsonReplacer } from './redact.js';

/**
 * Shared Powertools singletons, configured by the POWERTOOLS_* variables that infra sets.
 * The correlation id of every log line is the run's execution name (set per invocation).
 */
// Every line passes through the shared redaction rules (functions/shared/redact.ts): no secret, token or response_url is logged.
export const logger = new Logger({ jsonReplacerFn: redactingJsonReplacer });
export const metrics = new Metrics();

export type OpsLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug' | 'appendKeys'>;

/** Reads a required environment variable once (at cold start) and fails loudly if it is missing. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}: the function is misconfigured`);
  }
  return value;
}
