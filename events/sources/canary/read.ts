import { UnrecognisedEventError } from '../../signal.js';
import { CANARY_DETAIL_TYPE, CANARY_SOURCE, type CanaryDetail, CanaryDetailSchema } from './schema.js';

/**
 * A delivered event → its canary detail, or `undefined` when the event is not a canary. Decided by the
 * `source` alone, so nothing with our canary source can ever reach a normaliser (and so a policy or a
 * start), whatever else it claims: a forged canary can at most fake a heartbeat. A canary-sourced event
 * that is not a well-formed canary is bad input (`UnrecognisedEventError`).
 */
export function readCanary(raw: unknown): CanaryDetail | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const event = raw as Record<string, unknown>;
  if (event.source !== CANARY_SOURCE) return undefined;
  if (event['detail-type'] !== CANARY_DETAIL_TYPE) {
    throw new UnrecognisedEventError(
      `a ${CANARY_SOURCE} event must have detail-type "${CANARY_DETAIL_TYPE}", got ${JSON.stringify(event['detail-type'])?.slice(0, 80)}`,
    );
  }
  const parsed = CanaryDetailSchema.safeParse(event.detail);
  if (!parsed.success) {
    throw new UnrecognisedEventError(
      `a ${CANARY_SOURCE} event must name its rule in detail.rule: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  }
  return parsed.data;
}
