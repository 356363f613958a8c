import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type {
  ConstructorOptions,
  LogItemExtraInput,
  LogItemMessage,
} from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { boundForLog } from './log-bounds.js';
import { redactingJsonReplacer } from './redact.js';

/**
 * The Powertools logger, made unable to throw or to write unbounded lines: every message, attribute,
 * extra argument and appended key goes through `boundForLog` (functions/shared/log-bounds.ts) before
 * Powertools sees it (its deep merge recurses once per nesting level), and a line that still cannot be
 * serialised is replaced by one that says so. Child loggers are safe loggers too.
 */
export class SafeLogger extends Logger {
  protected override createAndPopulateLogItem(
    logLevel: number,
    input: LogItemMessage,
    extraInput: LogItemExtraInput,
  ): LogItem {
    const message =
      typeof input === 'string'
        ? (boundForLog(input) as string)
        : (boundForLog(input) as Exclude<LogItemMessage, string>);
    const extra = extraInput.map((item) =>
      // An Error stays under the key Powertools gives it; a string stays the `extra` field.
      item instanceof Error ? { error: boundForLog(item) } : boundForLog(item),
    ) as LogItemExtraInput;
    return super.createAndPopulateLogItem(logLevel, message, extra);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    try {
      super.printLog(logLevel, log);
    } catch (err) {
      const line = JSON.stringify({
        level: 'ERROR',
        message: 'a log line could not be serialised and was dropped',
        error: err instanceof Error ? `${err.name}: ${err.message.slice(0, 200)}` : 'unknown',
        timestamp: new Date().toISOString(),
      });
      console.error(line);
    }
  }

  override appendKeys(attributes: Parameters<Logger['appendKeys']>[0]): void {
    super.appendKeys(boundForLog(attributes) as Parameters<Logger['appendKeys']>[0]);
  }

  override appendPersistentKeys(attributes: Parameters<Logger['appendPersistentKeys']>[0]): void {
    super.appendPersistentKeys(boundForLog(attributes) as Parameters<Logger['appendPersistentKeys']>[0]);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new SafeLogger(options);
  }
}

/**
 * Shared Powertools singletons, configured by the POWERTOOLS_* variables that infra sets.
 * The correlation id of every log line is the run's execution name (set per invocation).
 */
// Every line passes through the shared redaction rules (functions/shared/redact.ts): no secret, token or response_url is logged.
export function newOpsLogger(options: ConstructorOptions = {}): SafeLogger {
  return new SafeLogger({ jsonReplacerFn: redactingJsonReplacer, ...options });
}
export const logger = newOpsLogger();
// Pure: a function that never reads `metrics` (most runbook steps, the alarm notifier, Slack) does
// not carry Powertools Metrics or build it at its cold start; esbuild drops the unused call.
export const metrics = /* @__PURE__ */ new Metrics();

export type OpsLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug' | 'appendKeys'>;

/** Reads a required environment variable once (at cold start) and fails loudly if it is missing. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}: the function is misconfigured`);
  }
  return value;
}

/**
 * The correlation id an event carries: the run's execution name (workflow steps, hooks, Step
 * Functions status changes), a rotation's token, an EventBridge event id, an HTTP request id.
 */
export function correlationIdOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const detail = (typeof e.detail === 'object' && e.detail !== null ? e.detail : {}) as Record<
    string,
    unknown
  >;
  const http = (
    typeof e.requestContext === 'object' && e.requestContext !== null ? e.requestContext : {}
  ) as Record<string, unknown>;
  return (
    text(e.executionName) ??
    text(e.execution) ??
    (e['detail-type'] === 'Step Functions Execution Status Change' ? text(detail.name) : undefined) ??
    text(e.ClientRequestToken) ??
    text(e.id) ??
    text(http.requestId)
  );
}

/**
 * Powertools' `injectLambdaContext` for a plain handler function (the Logger offers it as a class
 * decorator and as a Middy middleware; this is the same three steps): every log line of the
 * invocation carries the Lambda context (`function_request_id`, `cold_start`, function name,
 * ARN and memory) and a `correlationId` (the one the event carries, else the request id);
 * keys appended during the invocation are cleared before the next one, even when it throws.
 */
export function withLogContext<E, R>(
  handler: (event: E, context?: Context) => Promise<R>,
): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    logger.resetKeys();
    if (context) logger.addContext(context);
    const correlationId = correlationIdOf(event) ?? context?.awsRequestId;
    if (correlationId) logger.appendKeys({ correlationId });
    try {
      return await handler(event, context);
    } finally {
      logger.resetKeys();
    }
  };
}
