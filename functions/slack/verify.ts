// The request verification of Slack's own SDK, imported from its module file so the endpoint
// bundle does not pull in Bolt's receivers (Express, Socket Mode): same function as
// `import { verifySlackRequest } from '@slack/bolt'`, measured in `npm run bench`.
import { verifySlackRequest } from '@slack/bolt/dist/receivers/verify-request.js';

/** Slack's rule: a request more than five minutes from our clock is refused (both directions). */
export const MAX_SKEW_SECONDS = 5 * 60;

/** A request that is not provably from Slack, now: answered 401, never acted on. */
export class SlackAuthError extends Error {
  override readonly name = 'SlackAuthError';
}

export interface SignedRequest {
  readonly rawBody: string;
  /** `X-Slack-Signature`, e.g. `v0=a2114d57…`. */
  readonly signature: string | undefined;
  /** `X-Slack-Request-Timestamp`, Unix seconds as text. */
  readonly timestamp: string | undefined;
}

export interface VerifiedRequest {
  readonly signature: string;
  readonly timestampSeconds: number;
}

/**
 * Verifies `v0` HMAC-SHA256 over `v0:<timestamp>:<raw body>` with the signing secret (constant-time
 * compare, inside the SDK) and the five-minute window. Bolt only refuses timestamps in the past, so
 * timestamps from the future are refused here as well: a captured request cannot be pre-dated.
 */
export function verifySignedRequest(
  request: SignedRequest,
  signingSecret: string,
  nowMs: number,
): VerifiedRequest {
  const { signature, timestamp } = request;
  if (!signature || !timestamp)
    throw new SlackAuthError('missing X-Slack-Signature or X-Slack-Request-Timestamp');
  if (!/^\d{1,12}$/.test(timestamp)) throw new SlackAuthError('X-Slack-Request-Timestamp is not a Unix time');
  if (!/^v0=[0-9a-f]{64}$/.test(signature))
    throw new SlackAuthError('X-Slack-Signature is not a v0 signature');
  const timestampSeconds = Number(timestamp);
  if (timestampSeconds - Math.floor(nowMs / 1000) > MAX_SKEW_SECONDS) {
    throw new SlackAuthError('X-Slack-Request-Timestamp is in the future');
  }
  try {
    verifySlackRequest({
      signingSecret,
      body: request.rawBody,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestampSeconds },
      nowMilliseconds: nowMs,
    });
  } catch (err) {
    // The SDK's message says which rule failed (stale / mismatch); it never contains the secret.
    throw new SlackAuthError((err as Error).message);
  }
  return { signature, timestampSeconds };
}
