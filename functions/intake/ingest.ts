import { createHash, timingSafeEqual } from 'node:crypto';
import { WEBHOOK_TOKEN_HEADER } from '../../config/datadog-wiring.js';
import { normaliseDatadogWebhook, normaliseEvent, readCanary } from '../../events/index.js';
import { MalformedEventError, type Signal, UnrecognisedEventError } from '../../events/signal.js';
import { runbookTargets } from '../../runbooks/registry.js';
import { logRejectedPayload } from '../shared/rejected-payload.js';
import { recordCanary } from './canary.js';
import { type IntakeDeps, type IntakeResult, processSignal } from './core.js';
import { REASON } from './decision.js';

/** The header Datadog webhooks carry the shared secret in (configured on the Datadog webhook). */
export { WEBHOOK_TOKEN_HEADER };

/**
 * The largest webhook body read (bytes). Datadog's rendered payload template is a few kilobytes; the
 * bound is EventBridge's own event size limit (256 KiB), so both doors accept the same alerts.
 */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/** Raised so the platform retries the event later (Lambda async retries, then the dead-letter queue). */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
}

/** Input no retry can fix: unrecognised or malformed. */
export function isBadInput(err: unknown): err is UnrecognisedEventError | MalformedEventError {
  return err instanceof UnrecognisedEventError || err instanceof MalformedEventError;
}

/** Constant-time comparison of a presented token with the expected one (hashing first equalises lengths). */
export function tokensMatch(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || expected === '') return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function mustRetry(results: readonly IntakeResult[]): boolean {
  return results.some(
    (r) => r.decision.action === 'reject' && r.decision.reasons.includes(REASON.guardStoreUnavailable),
  );
}

/**
 * One EventBridge event. Bad input is logged with its payload and dropped with its reason (a retry
 * cannot fix it, and it never reaches a guard or a start). When the guard store was unavailable the
 * event is thrown back (after the notification went out) so it is retried and finally dead-lettered.
 * A rule canary (`ops.canary`) is recorded and answered with no result: it never reaches a normaliser.
 */
export async function handleEvent(raw: unknown, deps: IntakeDeps): Promise<IntakeResult[]> {
  let signal: Signal;
  try {
    const canary = readCanary(raw);
    if (canary) {
      recordCanary(canary, deps);
      return [];
    }
    signal = normaliseEvent(raw, {
      automationRolePrefix: deps.automation.automationRolePrefix,
      runbookTargets: runbookTargets(),
    });
  } catch (err) {
    if (!isBadInput(err)) throw err;
    logRejectedPayload(deps.logger, 'rejected event', raw, { reason: err.message, error: err.name });
    return [];
  }
  deps.logger.appendKeys({ correlationId: signal.correlationId });
  const results = await processSignal(signal, deps);
  if (mustRetry(results)) {
    throw new RetryLaterError(
      `guard store unavailable: event ${signal.correlationId} is retried, then dead-lettered`,
    );
  }
  return results;
}

export interface WebhookRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
}

export interface WebhookResponse {
  readonly statusCode: number;
  readonly body: string;
}

export interface WebhookDeps extends IntakeDeps {
  /** The shared secret (from Secrets Manager, cached by the handler). */
  readonly webhookToken: () => Promise<string>;
}

const reply = (statusCode: number, body: unknown): WebhookResponse => ({
  statusCode,
  body: JSON.stringify(body),
});

/**
 * A Datadog webhook delivery (function URL). Authenticated by the shared-secret header compared in
 * constant time; then the same path as every event. 401 unauthenticated, 413 body over
 * `MAX_WEBHOOK_BODY_BYTES`, 400 bad payload; every refusal is logged with the body's size and hash
 * (`logRejectedPayload`; an unauthenticated body's content is never logged, only its size and hash);
 * 503 when the guard store is down or a start failed (Datadog retries), 200 otherwise.
 */
export async function handleWebhook(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const presented = Object.entries(request.headers).find(
    ([k]) => k.toLowerCase() === WEBHOOK_TOKEN_HEADER,
  )?.[1];
  let expected: string;
  try {
    expected = await deps.webhookToken();
  } catch (err) {
    deps.logger.error('webhook token unavailable', {
      error: err instanceof Error ? err.message : String(err),
    });
    return reply(503, { error: 'webhook authentication is unavailable; retry later' });
  }
  if (!tokensMatch(presented, expected)) {
    logRejectedPayload(
      deps.logger,
      'webhook refused: missing or wrong token',
      request.body,
      { tokenPresented: presented !== undefined },
      { level: 'warn', headBytes: 0 },
    );
    return reply(401, { error: `missing or wrong ${WEBHOOK_TOKEN_HEADER} header` });
  }
  const size = Buffer.byteLength(request.body ?? '', 'utf8');
  if (size > MAX_WEBHOOK_BODY_BYTES) {
    const reason = `the body is ${size} bytes; the limit is ${MAX_WEBHOOK_BODY_BYTES}`;
    logRejectedPayload(deps.logger, 'rejected webhook', request.body, { reason, error: 'PayloadTooLarge' });
    return reply(413, { error: reason });
  }
  let signal: Signal;
  try {
    signal = normaliseDatadogWebhook(request.body ?? '', {
      automationRolePrefix: deps.automation.automationRolePrefix,
      runbookTargets: runbookTargets(),
    });
  } catch (err) {
    if (!isBadInput(err)) throw err;
    logRejectedPayload(deps.logger, 'rejected webhook', request.body, {
      reason: err.message,
      error: err.name,
    });
    return reply(400, { error: err.message });
  }
  deps.logger.appendKeys({ correlationId: signal.correlationId });
  let results: IntakeResult[];
  try {
    results = await processSignal(signal, deps);
  } catch (err) {
    deps.logger.error('start failed', { error: err instanceof Error ? err.message : String(err) });
    return reply(503, { error: 'the run could not be started; retry later' });
  }
  const decisions = results.map(({ decision: d, executionArn }) => ({
    action: d.action,
    runbook: d.runbook,
    executionName: d.executionName,
    executionArn,
    reasons: d.reasons,
  }));
  return reply(mustRetry(results) ? 503 : 200, { decisions });
}
