import type { Signal } from '../../../events/signal.js';
import { eventName, fact, facts, NOT_APPLICABLE, notify, type PolicyRule } from './types.js';

/**
 * What people are told first, per call. Calls not listed here but marked security-relevant by the
 * normaliser (trail narrowed, snapshot shared, bucket opened, ...) use the normaliser's reason.
 */
const HEADLINES: Record<string, string> = {
  StopLogging: 'CloudTrail logging was stopped',
  DeleteTrail: 'a CloudTrail trail was deleted',
  ScheduleKeyDeletion: 'a KMS key was scheduled for deletion',
  DisableKey: 'a KMS key was disabled',
};

/** A CIDR with prefix length 0 spans every address, whatever address bits it carries. */
const isWorld = (cidr: string) => /\/0$/.test(cidr.trim());

/** `role/session (arn)` or the user name: who to ask. */
function who(signal: Signal): string {
  const actor = signal.actor;
  if (!actor) return 'unknown principal';
  if (actor.type === 'root') return `root (${actor.id ?? 'account root'})`;
  const label = actor.roleName
    ? `${actor.roleName}${actor.name ? `/${actor.name}` : ''}`
    : (actor.name ?? actor.id ?? 'unknown principal');
  return actor.id && actor.id !== label ? `${label} (${actor.id})` : label;
}

function attempt(signal: Signal): string {
  const error = fact(signal, 'errorCode');
  return error ? ` — refused by AWS (${error}), but someone tried` : '';
}

/**
 * CloudTrail calls that blind the account's defences, expose its data, or use root credentials, and
 * console sign-ins: a notification naming the actor, the resource and the change. Critical when the
 * call succeeded; a warning when AWS refused it (nothing changed, but someone tried). Never a runbook.
 */
export const securityCalls: PolicyRule = {
  name: 'security-calls',
  description:
    'trail stopped/deleted/narrowed, flow logs or DNS query logging removed, GuardDuty/Config off, leaving the ' +
    'organization, snapshot/AMI/DB snapshot shared or public, bucket opened, Lambda function opened to Principal *, root access key, KMS key ' +
    'disabled/deleted, world-open ingress → notify critical (warning if refused); root sign-in → critical; ' +
    'IAM user sign-in without MFA → warning',
  evaluate(signal) {
    if (signal.source !== 'cloudtrail') return NOT_APPLICABLE;
    const name = eventName(signal);
    // Who and what are worded only for a notification (most calls are not incidents).
    const severity = signal.severity === 'warning' ? 'warning' : 'critical';

    if (name === 'ConsoleLogin') {
      const outcome = fact(signal, 'loginResult', 'outcome') ?? 'attempted';
      const ip = signal.actor?.sourceIp ?? 'unknown IP';
      if (signal.actor?.type === 'root') {
        const mfa = fact(signal, 'mfaUsed') === 'false' ? ', without MFA' : '';
        return notify(
          'critical',
          `root user console sign-in (${outcome}${mfa}) from ${ip} in account ${signal.resource.id}`,
        );
      }
      if (fact(signal, 'withoutMfa') === 'true') {
        return notify(
          'warning',
          `console sign-in without MFA by ${who(signal)} from ${ip} in account ${signal.resource.id}`,
        );
      }
      return NOT_APPLICABLE;
    }

    if (name === 'AuthorizeSecurityGroupIngress') {
      const cidrs = facts(signal, 'cidrs', 'cidrIps', 'sourceCidrs');
      const worldOpen = fact(signal, 'worldOpen') === 'true' || cidrs.some(isWorld);
      if (!worldOpen) return NOT_APPLICABLE;
      const change = fact(signal, 'change') ?? `opened to ${cidrs.find(isWorld)?.trim() ?? '0.0.0.0/0'}`;
      return notify(
        severity,
        `security group ${signal.resource.id} opened to the world by ${who(signal)}: ${change}${attempt(signal)}`,
      );
    }

    // The named calls are incidents whoever reports them (a sweep may carry no normaliser flags).
    const named = name !== undefined && name in HEADLINES;
    if (!named && fact(signal, 'securityRelevant') !== 'true') return NOT_APPLICABLE;
    const headline = (name && HEADLINES[name]) ?? fact(signal, 'securityReason') ?? 'security-relevant call';
    const change = fact(signal, 'change');
    const by = who(signal);
    const resource = `${signal.resource.type} ${signal.resource.id}`;
    return notify(
      severity,
      `${headline}: ${change ? `${change}` : `${name} on ${resource}`} (${name} on ${resource} by ${by})${attempt(signal)}`,
    );
  },
};
