import * as z from 'zod';
import type { EventPattern } from '../../patterns.js';

/**
 * Rule canaries: an event put on a bus on a schedule so that each intake rule proves, end to end, that it
 * still delivers to the intake. Generic: names no runbook and no source of ours; the rule it is meant for
 * is named in the detail, and only that rule's pattern matches it (`canaryPattern`).
 *
 * The source is ours (`ops.canary`), not the watched service's: PutEvents refuses sources starting with
 * `aws.`, so a canary cannot impersonate CloudTrail. Each rule therefore matches its real events OR its own
 * canary (`withCanary`, a top-level `$or`), and the canary proves the rule, its target, the target's
 * permission and the intake; it cannot prove that the watched service still emits events.
 */
export const CANARY_SOURCE = 'ops.canary';
export const CANARY_DETAIL_TYPE = 'Ops Rule Canary';

/** The detail a canary carries: the full name of the rule it is meant for; when it was scheduled. */
export const CanaryDetailSchema = z.object({
  rule: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'an EventBridge rule name'),
  scheduledTime: z.string().optional(),
});
export type CanaryDetail = z.infer<typeof CanaryDetailSchema>;

/** The alternative a rule named `ruleName` adds to its pattern so that its own canary (and no other) matches. */
export function canaryPattern(ruleName: string): EventPattern {
  return { source: [CANARY_SOURCE], 'detail-type': [CANARY_DETAIL_TYPE], detail: { rule: [ruleName] } };
}
