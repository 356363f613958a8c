import {
  eventName,
  fact,
  facts,
  ignore,
  NOT_APPLICABLE,
  type NotifyVerdict,
  notify,
  type PolicyRule,
  runReason,
  type StartVerdict,
  start,
  type Verdict,
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
 * BatchGetSecretValue names several secrets (`secretIdList`): one decision per secret, a start for
 * each one to rotate; a read by filter names none, so it is a warning (the per-secret GetSecretValue
 * records Secrets Manager writes for it name them, and are decided on their own).
 */
export const secretRead: PolicyRule = {
  name: 'secret-read',
  description:
    'GetSecretValue / BatchGetSecretValue by a human or break-glass principal (not a consumer of that secret) → rotate-secret',
  evaluate(signal, ctx) {
    const name = eventName(signal);
    if (name !== 'GetSecretValue' && name !== 'BatchGetSecretValue') return NOT_APPLICABLE;
    if (fact(signal, 'errorCode')) {
      return ignore(`the read was refused (${fact(signal, 'errorCode')}): nothing was disclosed`);
    }
    const roleName = signal.actor?.roleName;
    const breakGlass = roleName !== undefined && ctx.automation.breakGlassRoleNames.includes(roleName);
    const human = signal.actor?.type === 'human' || signal.actor?.type === 'root';
    const who = signal.actor?.name ?? signal.actor?.id ?? roleName ?? 'unknown principal';
    const why = breakGlass ? `break-glass role ${roleName}` : `human principal ${who}`;

    const decideOne = (secretName: string): Verdict => {
      const configured = ctx.automation.allowLists.secrets.find((s) => s.name === secretName);
      if (roleName && configured?.consumerRoleNames.includes(roleName)) {
        return ignore(`${roleName} is a configured consumer of ${secretName}`);
      }
      if (!breakGlass && !human) {
        return notify('warning', `${who} (not a configured consumer) read secret ${secretName}`);
      }
      return start(
        'rotate-secret',
        { secretId: secretName, reason: runReason(`secret ${secretName} was read by ${why}`) },
        `secret ${secretName} was read by ${why}, which is not one of its consumers`,
      );
    };

    if (name === 'GetSecretValue') {
      return decideOne(secretNameOf(fact(signal, 'secretId', 'secretName') ?? signal.resource.id));
    }
    const names = [...new Set(facts(signal, 'secretNames', 'secretIds').map(secretNameOf))];
    if (names.length === 0) {
      const filters = facts(signal, 'secretFilters').join(', ') || 'no filter recorded';
      return notify(
        'warning',
        `${who} read secrets selected by filter (${filters}) with BatchGetSecretValue: their GetSecretValue records name them`,
      );
    }
    const verdicts = names.map(decideOne);
    const starts = verdicts.filter((v): v is StartVerdict => v.verdict === 'start');
    if (starts.length > 0) return starts;
    // No rotation: the most serious of the per-secret verdicts speaks for the call.
    const notes = verdicts.filter((v): v is NotifyVerdict => v.verdict === 'notify');
    if (notes.length > 0) return notify('warning', ...notes.flatMap((v) => v.reasons));
    return ignore(...verdicts.flatMap((v) => ('reasons' in v ? v.reasons : [])));
  },
};
