import {
  eventName,
  fact,
  ignore,
  NOT_APPLICABLE,
  notify,
  type PolicyRule,
  runReason,
  start,
} from '../policy.js';

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf` → `<name>`; a plain name stays. */
export function secretNameOf(idOrArn: string): string {
  const m = /^arn:aws[a-z-]*:secretsmanager:[^:]*:\d*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(idOrArn);
  return m?.[1] ?? idOrArn;
}

/**
 * A secret read by a human (SSO, IAM user, root) or a break-glass role, that is not one of the
 * secret's configured workload consumers → rotate it. Denied reads disclosed nothing: ignored.
 * A non-consumer service reading it is unexpected but not a human: notify.
 */
export const secretRead: PolicyRule = {
  name: 'secret-read',
  description:
    'GetSecretValue by a human or break-glass principal (not a consumer of that secret) → rotate-secret',
  evaluate(signal, ctx) {
    const name = eventName(signal);
    if (name !== 'GetSecretValue' && name !== 'BatchGetSecretValue') return NOT_APPLICABLE;
    if (fact(signal, 'errorCode')) {
      return ignore(`the read was refused (${fact(signal, 'errorCode')}): nothing was disclosed`);
    }
    const secretName = secretNameOf(fact(signal, 'secretId', 'secretName') ?? signal.resource.id);
    const configured = ctx.automation.allowLists.secrets.find((s) => s.name === secretName);
    const roleName = signal.actor?.roleName;
    if (roleName && configured?.consumerRoleNames.includes(roleName)) {
      return ignore(`${roleName} is a configured consumer of ${secretName}`);
    }
    const breakGlass = roleName !== undefined && ctx.automation.breakGlassRoleNames.includes(roleName);
    const human = signal.actor?.type === 'human' || signal.actor?.type === 'root';
    const who = signal.actor?.name ?? signal.actor?.id ?? roleName ?? 'unknown principal';
    if (!breakGlass && !human) {
      return notify('warning', `${who} (not a configured consumer) read secret ${secretName}`);
    }
    const why = breakGlass ? `break-glass role ${roleName}` : `human principal ${who}`;
    return start(
      'rotate-secret',
      { secretId: secretName, reason: runReason(`secret ${secretName} was read by ${why}`) },
      `secret ${secretName} was read by ${why}, which is not one of its consumers`,
    );
  },
};
