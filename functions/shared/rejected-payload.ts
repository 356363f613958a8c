import { createHash } from 'node:crypto';
import { boundForLog } from './log-bounds.js';
import type { OpsLogger } from './powertools.js';
import { redactString } from './redact.js';

/**
 * How a rejected input is kept: never the whole payload (a 10 MB body must not become a 10 MB log
 * line), but enough to find it again and to see what it was.
 *
 * - `bytes`: its size in bytes (UTF-8 for text);
 * - `sha256`: the hex SHA-256 of exactly those bytes, so a copy held elsewhere (Datadog's webhook
 *   history, a dead-letter message) can be matched;
 * - `head`: its first `REJECTED_PAYLOAD_HEAD_BYTES` bytes (cut at a character boundary), redacted;
 * - `truncated`: whether `head` is shorter than the payload.
 *
 * Text is hashed as received. Anything else (an EventBridge event object) is hashed as its
 * `JSON.stringify` form; if that cannot be built (cycles, BigInt, nesting too deep for the stack) as
 * the JSON of its bounded copy (`boundForLog`), and `serialisation` says so.
 */
export const REJECTED_PAYLOAD_HEAD_BYTES = 2048;

/** Redaction looks this far past the head, so a secret straddling the cut is still recognised. */
const REDACTION_MARGIN_BYTES = 512;

export interface RejectedPayload {
  readonly bytes: number;
  readonly sha256: string;
  readonly head: string;
  readonly truncated: boolean;
  readonly serialisation: 'text' | 'json' | 'bounded-json' | 'none';
}

function toBytes(payload: unknown): { data: Buffer; serialisation: RejectedPayload['serialisation'] } {
  if (payload === undefined || payload === null) return { data: Buffer.alloc(0), serialisation: 'none' };
  if (typeof payload === 'string') return { data: Buffer.from(payload, 'utf8'), serialisation: 'text' };
  if (payload instanceof Uint8Array) return { data: Buffer.from(payload), serialisation: 'text' };
  try {
    const json = JSON.stringify(payload);
    if (typeof json === 'string') return { data: Buffer.from(json, 'utf8'), serialisation: 'json' };
  } catch {
    // Falls through to the bounded copy.
  }
  return {
    data: Buffer.from(JSON.stringify(boundForLog(payload)) ?? '', 'utf8'),
    serialisation: 'bounded-json',
  };
}

/** The first `n` bytes of `data` as text, never splitting a UTF-8 character. */
function utf8Head(data: Buffer, n: number): string {
  if (data.length <= n) return data.toString('utf8');
  let end = n;
  // Step back over continuation bytes (10xxxxxx) to the start of the character the cut falls in.
  while (end > 0 && ((data[end] ?? 0) & 0xc0) === 0x80) end--;
  return data.subarray(0, end).toString('utf8');
}

/** Size, hash and a redacted head of a rejected payload (see the module comment). Never throws. */
export function describeRejectedPayload(
  payload: unknown,
  headBytes: number = REJECTED_PAYLOAD_HEAD_BYTES,
): RejectedPayload {
  const { data, serialisation } = toBytes(payload);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const scrubbed = redactString(utf8Head(data, headBytes + REDACTION_MARGIN_BYTES));
  const head = utf8Head(Buffer.from(scrubbed, 'utf8'), headBytes);
  return { bytes: data.length, sha256, head, truncated: data.length > headBytes, serialisation };
}

/**
 * The one way input that is refused is logged: `message`, the caller's reason fields, and the payload
 * as `describeRejectedPayload` keeps it (under `payload`). Used by the intake for events and webhooks.
 */
export function logRejectedPayload(
  logger: Pick<OpsLogger, 'error' | 'warn'>,
  message: string,
  payload: unknown,
  details: Readonly<Record<string, unknown>> = {},
  options: { level?: 'error' | 'warn'; headBytes?: number } = {},
): RejectedPayload {
  const kept = describeRejectedPayload(payload, options.headBytes);
  logger[options.level ?? 'error'](message, { ...details, payload: kept });
  return kept;
}
