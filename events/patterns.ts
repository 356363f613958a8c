import { AUTOSCALING_DETAIL_TYPES } from './sources/autoscaling/schema.js';
import {
  BACKUP_VERIFICATION_DETAIL_TYPE,
  BACKUP_VERIFICATION_SOURCE,
} from './sources/backup-verification/schema.js';
import { canaryPattern } from './sources/canary/schema.js';
import { CLOUDTRAIL_API_CALL, CLOUDTRAIL_CONSOLE_SIGN_IN } from './sources/cloudtrail/schema.js';
import { CLUSTER_AUTOSCALER_REASONS } from './sources/cluster-autoscaler/messages.js';
import {
  KUBERNETES_EVENT_DETAIL_TYPE,
  KUBERNETES_EVENT_SOURCE,
} from './sources/cluster-autoscaler/schema.js';
import { DATADOG_DETAIL_TYPE, DATADOG_PARTNER_SOURCE_PREFIX } from './sources/datadog/schema.js';

/**
 * The EventBridge rules the intake subscribes with: defined once here, used by the infra (one rule each)
 * and by the tests (every sample matches the rule meant for it and no other). Plain objects, no CDK.
 *
 * Schedules are not here: EventBridge Scheduler invokes its target directly (no rule, no pattern).
 */

/** A value matcher of the EventBridge pattern syntax (the subset `matchesPattern` implements). */
export type PatternMatcher =
  | string
  | number
  | boolean
  | null
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly 'anything-but': string | number | readonly (string | number)[] | { readonly prefix: string } }
  | { readonly exists: boolean }
  | { readonly numeric: readonly (string | number)[] };

export interface EventPattern {
  readonly [field: string]: readonly PatternMatcher[] | EventPattern;
}

export type RuleState = 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

export interface EventRuleSpec {
  /** kebab-case; the infra derives the rule's construct id and name from it. */
  readonly name: string;
  readonly description: string;
  readonly pattern: EventPattern;
  /**
   * `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` for rules that need read-only management events
   * (e.g. GetSecretValue): with plain `ENABLED` EventBridge never delivers read-only CloudTrail calls.
   * A CfnRule property (`state`).
   */
  readonly state: RuleState;
  /**
   * `default`: the account's default bus. `datadog-partner`: the partner event bus Datadog's integration
   * creates (named like its event source, `aws.partner/datadog.com/<name>`); the rule must live on that bus.
   */
  readonly eventBus: 'default' | 'datadog-partner';
}

/** The CloudTrail write calls policy acts on (security-relevant, or triggers of a runbook). */
export const CLOUDTRAIL_WRITE_CALLS = {
  'aws.cloudtrail': ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors'],
  'aws.kms': ['ScheduleKeyDeletion', 'DisableKey'],
  'aws.ec2': [
    'AuthorizeSecurityGroupIngress',
    'DetachVolume',
    'DeleteFlowLogs',
    'ModifySnapshotAttribute',
    'ModifyImageAttribute',
  ],
  'aws.elasticloadbalancing': ['CreateLoadBalancer', 'DeleteLoadBalancer'],
  'aws.route53resolver': ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'],
  'aws.guardduty': ['DeleteDetector', 'UpdateDetector'],
  'aws.config': ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'],
  'aws.organizations': ['LeaveOrganization'],
  'aws.rds': ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'],
  'aws.s3': ['PutBucketPolicy', 'PutBucketAcl', 'DeleteBucketPublicAccessBlock'],
  // CloudTrail names Lambda calls with their API version (AddPermission20150331v2 today).
  'aws.lambda': ['AddPermission20150331v2', 'AddPermission20150331'],
  // IAM is a global service: its calls reach EventBridge in us-east-1 only.
  'aws.iam': ['CreateAccessKey'],
} as const;

const writeCallNames = Object.values(CLOUDTRAIL_WRITE_CALLS).flat();

export const CLOUDTRAIL_WRITE_CALLS_RULE: EventRuleSpec = {
  name: 'cloudtrail-write-calls',
  description:
    'CloudTrail management write calls: trail stopped/deleted/narrowed, flow logs, DNS query logging, ' +
    'GuardDuty or Config switched off, leaving the organization, snapshots/AMIs shared, buckets opened, ' +
    'root access keys, KMS key disabled/scheduled for deletion, security group ingress, Lambda permissions, EBS volume detached, ' +
    'load balancer created/deleted.',
  pattern: {
    source: Object.keys(CLOUDTRAIL_WRITE_CALLS),
    'detail-type': [CLOUDTRAIL_API_CALL],
    detail: { eventName: writeCallNames },
  },
  state: 'ENABLED',
  eventBus: 'default',
};

export const CLOUDTRAIL_SECRET_READS_RULE: EventRuleSpec = {
  name: 'cloudtrail-secret-reads',
  description:
    'Secrets Manager GetSecretValue and BatchGetSecretValue calls (read-only management events: the rule must be created with ' +
    'state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS). AWS service principals reading on a caller’s ' +
    'behalf are left out.',
  pattern: {
    source: ['aws.secretsmanager'],
    'detail-type': [CLOUDTRAIL_API_CALL],
    detail: {
      eventSource: ['secretsmanager.amazonaws.com'],
      // BatchGetSecretValue reads up to 20 secrets in one call (its request names them in secretIdList).
      eventName: ['GetSecretValue', 'BatchGetSecretValue'],
      userIdentity: { type: [{ 'anything-but': 'AWSService' }] },
    },
  },
  state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
  eventBus: 'default',
};

export const CONSOLE_SIGN_IN_RULE: EventRuleSpec = {
  name: 'console-sign-in',
  description:
    'AWS console sign-ins (root sign-in is critical). Sign-in events are recorded in the Region of the ' +
    'sign-in endpoint (mostly us-east-1): deploy this rule where the stage expects them.',
  pattern: {
    source: ['aws.signin'],
    'detail-type': [CLOUDTRAIL_CONSOLE_SIGN_IN],
  },
  state: 'ENABLED',
  eventBus: 'default',
};

export const AUTOSCALING_RULE: EventRuleSpec = {
  name: 'autoscaling-activity',
  description:
    'EC2 Auto Scaling launch/terminate results (successful and unsuccessful) and lifecycle actions.',
  pattern: {
    source: ['aws.autoscaling'],
    'detail-type': Object.values(AUTOSCALING_DETAIL_TYPES),
  },
  state: 'ENABLED',
  eventBus: 'default',
};

export const CLUSTER_AUTOSCALER_RULE: EventRuleSpec = {
  name: 'cluster-autoscaler-events',
  description:
    'cluster-autoscaler Kubernetes Events forwarded by the in-cluster kubernetes-event-exporter ' +
    `(receiver config: source "${KUBERNETES_EVENT_SOURCE}", detailType "${KUBERNETES_EVENT_DETAIL_TYPE}").`,
  pattern: {
    source: [KUBERNETES_EVENT_SOURCE],
    'detail-type': [KUBERNETES_EVENT_DETAIL_TYPE],
    // Matched on the reason (not source.component) so both the full-event and the templated layouts match.
    detail: { reason: [...CLUSTER_AUTOSCALER_REASONS] },
  },
  state: 'ENABLED',
  eventBus: 'default',
};

export const DATADOG_ALERTS_RULE: EventRuleSpec = {
  name: 'datadog-alerts',
  description: 'Datadog monitor notifications from the Datadog EventBridge integration (partner event bus).',
  pattern: {
    source: [{ prefix: DATADOG_PARTNER_SOURCE_PREFIX }],
    'detail-type': [DATADOG_DETAIL_TYPE],
  },
  state: 'ENABLED',
  eventBus: 'datadog-partner',
};

export const BACKUP_VERIFICATION_RULE: EventRuleSpec = {
  name: 'backup-verification-failures',
  description:
    'Backups that failed verification (put on the default bus by the scheduled backup verification), so the incident path follows.',
  pattern: {
    source: [BACKUP_VERIFICATION_SOURCE],
    'detail-type': [BACKUP_VERIFICATION_DETAIL_TYPE],
  },
  state: 'ENABLED',
  eventBus: 'default',
};

/** Every rule the intake subscribes with. */
export const EVENT_RULES: readonly EventRuleSpec[] = [
  CLOUDTRAIL_WRITE_CALLS_RULE,
  CLOUDTRAIL_SECRET_READS_RULE,
  CONSOLE_SIGN_IN_RULE,
  AUTOSCALING_RULE,
  CLUSTER_AUTOSCALER_RULE,
  DATADOG_ALERTS_RULE,
  BACKUP_VERIFICATION_RULE,
];

// ---------------------------------------------------------------------------------------------------------
// Matching: the subset of EventBridge's pattern semantics the rules above use (plus a little more), so tests
// can prove which rule each sample reaches. Reference: EventBridge user guide, "Event patterns" and
// "Content filtering in event patterns".
// ---------------------------------------------------------------------------------------------------------

type Json = unknown;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numericMatches(conditions: readonly (string | number)[], value: Json): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = conditions[i + 1];
    if (typeof bound !== 'number') return false;
    const ok =
      op === '='
        ? value === bound
        : op === '<'
          ? value < bound
          : op === '<='
            ? value <= bound
            : op === '>'
              ? value > bound
              : op === '>='
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return conditions.length >= 2;
}

/** Whether one (non-array) event value satisfies one matcher. `exists` is handled by the caller. */
function valueMatches(matcher: PatternMatcher, value: Json): boolean {
  if (matcher === null || typeof matcher !== 'object') return value === matcher;
  if ('prefix' in matcher) return typeof value === 'string' && value.startsWith(matcher.prefix);
  if ('suffix' in matcher) return typeof value === 'string' && value.endsWith(matcher.suffix);
  if ('numeric' in matcher) return numericMatches(matcher.numeric, value);
  if ('anything-but' in matcher) {
    const but = matcher['anything-but'];
    if (isPlainObject(but) && 'prefix' in but) {
      return typeof value === 'string' && !value.startsWith(String(but.prefix));
    }
    const excluded = Array.isArray(but) ? but : [but];
    return (typeof value === 'string' || typeof value === 'number') && !excluded.includes(value);
  }
  return false;
}

function fieldMatches(matchers: readonly PatternMatcher[], present: boolean, value: Json): boolean {
  return matchers.some((matcher) => {
    if (isPlainObject(matcher) && 'exists' in matcher) {
      // EventBridge: `exists` tests leaf presence; an object or array counts as present only if non-empty.
      return matcher.exists === present;
    }
    if (!present) return false;
    // Arrays in the event match when any element matches.
    return Array.isArray(value) ? value.some((v) => valueMatches(matcher, v)) : valueMatches(matcher, value);
  });
}

/**
 * A pattern with a top-level `$or`: the event matches when any alternative does (EventBridge user guide,
 * "Content filtering in event patterns", "Or matching"). What a rule with a canary subscribes with.
 */
export interface AnyOfPattern {
  readonly $or: readonly EventPattern[];
}
export type RulePattern = EventPattern | AnyOfPattern;

function isAnyOf(pattern: RulePattern): pattern is AnyOfPattern {
  return Array.isArray((pattern as { $or?: unknown }).$or);
}

/** Does `event` match a rule's pattern, `$or` alternatives included? */
export function matchesRulePattern(pattern: RulePattern, event: unknown): boolean {
  if (isAnyOf(pattern)) return pattern.$or.some((p) => matchesPattern(p, event));
  return matchesPattern(pattern, event);
}

/**
 * Whether a rule can prove it is alive with a canary: the account can put events on its default bus, but
 * a partner event bus carries only its partner's events (Datadog's side has to prove that path).
 */
export function hasCanary(spec: EventRuleSpec): boolean {
  return spec.eventBus === 'default';
}

/**
 * The pattern the rule named `ruleName` subscribes with: its own pattern, or, when it has a canary, its
 * own pattern OR its canary (`events/sources/canary`). The canary alternative names the rule, so a
 * canary proves this rule's delivery and no sibling's.
 */
export function subscribedPattern(
  spec: EventRuleSpec,
  ruleName: string,
  forwardedCanaries: readonly string[] = [],
): RulePattern {
  if (!hasCanary(spec)) return spec.pattern;
  return { $or: [spec.pattern, ...[ruleName, ...forwardedCanaries].map(canaryPattern)] };
}

/**
 * Global services record their events in us-east-1 only (IAM; console sign-ins mostly), so a stage in
 * another region receives them through a us-east-1 rule forwarding them to the stage's default bus.
 */
export const GLOBAL_EVENTS_REGION = 'us-east-1';
export const GLOBAL_SERVICE_SOURCES: readonly string[] = ['aws.signin', 'aws.iam'];

/**
 * What the us-east-1 forwarding rule matches: each default-bus intake rule's pattern with its sources
 * narrowed to the global services' (rules with none are left out), so it forwards exactly the global
 * events some intake rule would take, and nothing regional (which us-east-1 resources would produce).
 */
export function globalEventPatterns(rules: readonly EventRuleSpec[] = EVENT_RULES): EventPattern[] {
  const out: EventPattern[] = [];
  for (const spec of rules) {
    if (spec.eventBus !== 'default') continue;
    const sources = spec.pattern.source;
    if (!Array.isArray(sources)) continue;
    const global = sources.filter(
      (s): s is string => typeof s === 'string' && GLOBAL_SERVICE_SOURCES.includes(s),
    );
    if (global.length > 0) out.push({ ...spec.pattern, source: global });
  }
  return out;
}

/** The forwarding rule's pattern: the global events, or the forwarding rule's own canary. */
export function globalForwardingPattern(ruleName: string): AnyOfPattern {
  return { $or: [...globalEventPatterns(), canaryPattern(ruleName)] };
}

/** Does `event` match `pattern`? Every field of the pattern must match (AND); values within a field are OR. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  return objectMatches(pattern, event);
}

function objectMatches(pattern: EventPattern, event: Record<string, unknown>): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    const present = Object.hasOwn(event, key) && event[key] !== undefined;
    const value = event[key];
    if (Array.isArray(expected)) {
      const leafPresent = present && value !== null && !isPlainObject(value);
      if (!fieldMatches(expected as readonly PatternMatcher[], leafPresent || value === null, value))
        return false;
    } else {
      // A nested pattern needs an object; an absent one only satisfies `exists: false` leaves.
      if (present && !isPlainObject(value)) return false;
      if (!objectMatches(expected as EventPattern, isPlainObject(value) ? value : {})) return false;
    }
  }
  return true;
}

/** The rules an event would reach. */
export function rulesMatching(
  event: unknown,
  rules: readonly EventRuleSpec[] = EVENT_RULES,
): EventRuleSpec[] {
  return rules.filter((rule) => matchesPattern(rule.pattern, event));
}
