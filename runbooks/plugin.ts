import type * as z from 'zod/mini';
import type { AutomationConfig } from '../config/schema.js';
import type { PolicyRule } from './policy.js';
import type { RunbookPolicyDefaults, RunbookSpec } from './types.js';

/**
 * A runbook as a plugin: everything the rest of the product needs to know about one runbook,
 * declared in its own folder (`runbooks/<name>/plugin.ts`) and listed once in `registry.ts`.
 *
 * This file and every `plugin.ts` are pure (no AWS clients, no `aws-cdk-lib`): the intake, Slack
 * and the `ops` command import them inside Lambda bundles. The runbook's CDK side (its workflow
 * construct and the IAM it needs) is `runbooks/<name>/workflow.ts` (or `infra.ts`), found there
 * by convention and imported by `infra/` only (infra/constructs/automation/runbook-loader.ts).
 */
export interface RunbookPlugin<P extends z.ZodMiniType = z.ZodMiniType> {
  readonly spec: RunbookSpec<P>;
  /**
   * The policy rules that start this runbook. The intake's policy is the union of every plugin's
   * rules, between the cross-cutting rules that come first (explicit requests, security
   * notifications) and those that come last (Datadog, Auto Scaling, schedules).
   */
  readonly rules: readonly PolicyRule[];
  /**
   * Rules that repair a security incident: evaluated before the security notifications (which
   * would otherwise decide first), with `ctx.securityNotice` to read what they would say. A start
   * from one is always told as well (`alsoNotify`), so a repaired incident is never only logged.
   */
  readonly incidentRules?: readonly PolicyRule[];
  /**
   * The allow-list check: may automation run this runbook with these parameters
   * in this stage? Called by the one central guard (functions/intake/guards.ts), which
   * may also hand it parameters that were never validated (`ops plan`): read them defensively.
   */
  allowList(params: Readonly<Record<string, unknown>>, automation: AutomationConfig): AllowListVerdict;
  /** How a Datadog monitor tagged `runbook:<name>` feeds this runbook. */
  readonly datadog?: DatadogBinding;
}

export interface AllowListVerdict {
  readonly allowed: boolean;
  /** Why, in words for the guard record (`allow-list: <detail>`). */
  readonly detail: string;
}

export const allowed = (detail: string): AllowListVerdict => ({ allowed: true, detail });
export const refused = (detail: string): AllowListVerdict => ({ allowed: false, detail });

/** The target kinds a Datadog alert's tags can name (events/sources/datadog/normalise.ts). */
export type DatadogTargetType = 'ebs-volume' | 'pvc' | 'node-group' | 'dns-record' | 'secret';

export interface DatadogBinding {
  /**
   * Which runbook parameter comes from which resource attribute (set by the Datadog normaliser
   * from the alert's tags and scope); raw tags of the same names are the fallback. First found wins.
   */
  readonly parameters: Readonly<Record<string, readonly string[]>>;
  /**
   * The target kinds this runbook acts on, preferred in this order when an alert's tags name
   * several (a `cluster` tag alone then counts as the cluster's node groups when `node-group` is listed).
   */
  readonly targets: readonly DatadogTargetType[];
}

/** Policy defaults most runbooks share; a spec spreads them and overrides what differs. */
export const DEFAULT_POLICY: RunbookPolicyDefaults = {
  mode: 'auto',
  windowMinutes: 30,
  rateLimit: { maxRuns: 3, perMinutes: 60 },
  circuitBreaker: { failures: 3, perMinutes: 60, openMinutes: 60 },
  lockMinutes: 30,
};

/** What a spec overrides of the shared policy defaults: any field, a nested one on its own. */
export interface PolicyOverrides {
  readonly mode?: RunbookPolicyDefaults['mode'];
  readonly windowMinutes?: number;
  readonly rateLimit?: Partial<RunbookPolicyDefaults['rateLimit']>;
  readonly circuitBreaker?: Partial<RunbookPolicyDefaults['circuitBreaker']>;
  readonly lockMinutes?: number;
}

/**
 * A spec's policy defaults: `DEFAULT_POLICY` with what this runbook changes, so a spec spells only
 * its differences (`policyDefaults({ windowMinutes: 10, rateLimit: { maxRuns: 5 } })`).
 */
export function policyDefaults(overrides: PolicyOverrides = {}): RunbookPolicyDefaults {
  return {
    mode: overrides.mode ?? DEFAULT_POLICY.mode,
    windowMinutes: overrides.windowMinutes ?? DEFAULT_POLICY.windowMinutes,
    rateLimit: { ...DEFAULT_POLICY.rateLimit, ...overrides.rateLimit },
    circuitBreaker: { ...DEFAULT_POLICY.circuitBreaker, ...overrides.circuitBreaker },
    lockMinutes: overrides.lockMinutes ?? DEFAULT_POLICY.lockMinutes,
  };
}

/**
 * Declares a runbook plugin, checking at compile time that its parts agree on the parameter type.
 * Kept an identity function on purpose: a plugin is plain data a reviewer can read at a glance.
 */
export function defineRunbook<P extends z.ZodMiniType>(plugin: RunbookPlugin<P>): RunbookPlugin<P> {
  return plugin;
}
