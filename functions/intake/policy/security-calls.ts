import { eventName, fact, facts, NOT_APPLICABLE, notify, type PolicyRule } from './types.js';

/** CloudTrail calls that blind or weaken the account's defences: always a critical notification. */
const SECURITY_CALLS: Record<string, string> = {
  StopLogging: 'CloudTrail logging was stopped',
  DeleteTrail: 'a CloudTrail trail was deleted',
  ScheduleKeyDeletion: 'a KMS key was scheduled for deletion',
  DisableKey: 'a KMS key was disabled',
};

const WORLD = new Set(['0.0.0.0/0', '::/0']);

export const securityCalls: PolicyRule = {
  name: 'security-calls',
  description:
    'StopLogging, DeleteTrail, ScheduleKeyDeletion, DisableKey, world-open security group ingress, root sign-in → notify critical',
  evaluate(signal) {
    if (signal.source !== 'cloudtrail') return NOT_APPLICABLE;
    const name = eventName(signal);
    const who = signal.actor?.name ?? signal.actor?.id ?? 'unknown principal';
    if (name && name in SECURITY_CALLS) {
      return notify('critical', `${SECURITY_CALLS[name]} (${name} on ${signal.resource.id} by ${who})`);
    }
    if (name === 'AuthorizeSecurityGroupIngress') {
      const cidrs = facts(signal, 'cidrs', 'cidrIps', 'sourceCidrs');
      const worldOpen = fact(signal, 'worldOpen') === 'true' || cidrs.some((c) => WORLD.has(c));
      if (worldOpen) {
        return notify('critical', `security group ${signal.resource.id} opened to the world by ${who}`);
      }
      return NOT_APPLICABLE;
    }
    if (name === 'ConsoleLogin' && signal.actor?.type === 'root') {
      const outcome = fact(signal, 'loginResult', 'outcome') ?? 'attempted';
      return notify(
        'critical',
        `root user console sign-in (${outcome}) from ${signal.actor.sourceIp ?? 'unknown IP'}`,
      );
    }
    return NOT_APPLICABLE;
  },
};
