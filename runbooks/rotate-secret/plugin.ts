import { allowed, defineRunbook, refused } from '../plugin.js';
import { secretRead } from './policy.js';
import { rotateSecret } from './spec.js';

/** rotate-secret as a plugin: its spec, the secret-read rule that starts it, its allow-list. */
export const rotateSecretPlugin = defineRunbook({
  spec: rotateSecret,
  rules: [secretRead],
  /** Only allow-listed secrets (each with its rotation strategy). */
  allowList(params, automation) {
    const secret = typeof params.secretId === 'string' ? params.secretId : '';
    const s = automation.allowLists.secrets.find((x) => x.name === secret);
    if (!s) return refused(`secret ${secret} is not allow-listed`);
    return allowed(`secret ${secret} is allow-listed (${s.strategy})`);
  },
  datadog: { parameters: { secretId: ['secretName', 'secret'] }, targets: ['secret'] },
});
