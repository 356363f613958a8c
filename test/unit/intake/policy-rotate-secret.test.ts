import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { AutomationConfig } from '../../../config/schema.js';
import type { Actor, Signal } from '../../../events/signal.js';
import type { PolicyContext } from '../../../runbooks/policy.js';
import { rotateSecretPlugin } from '../../../runbooks/rotate-secret/plugin.js';
import { secretNameOf, secretRead } from '../../../runbooks/rotate-secret/policy.js';
import { cloudTrail, human, signal } from './signals.js';

/**
 * rotate-secret's rule (a secret read by a human or break-glass principal → rotate it) and its
 * allow-list, with the secrets, consumers and break-glass roles written here: every expected
 * verdict is written out by hand.
 */

const base = loadStage('dev').automation;
/** The stage's first secret entry gives the fields these tests do not look at (rotation settings). */
const entry = base.allowLists.secrets[0] as AutomationConfig['allowLists']['secrets'][number];
const automation: AutomationConfig = {
  ...base,
  breakGlassRoleNames: ['BreakGlass'],
  allowLists: {
    ...base.allowLists,
    secrets: [
      { ...entry, name: 'dev/app/db', strategy: 'mysql-single-user', consumerRoleNames: ['app-role'] },
      { ...entry, name: 'dev/partner', strategy: 'random', consumerRoleNames: [] },
    ],
  },
};
const ctx: PolicyContext = { stage: 'dev', automation };

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${name}-AbC12f`;
const service = (roleName: string, name = 'session-1'): Actor => ({
  type: 'service',
  id: `arn:aws:iam::111111111111:role/${roleName}`,
  name,
  roleName,
});
const read = (secretId: string, actor: Actor = human, details: Signal['details'] = {}) =>
  cloudTrail('GetSecretValue', { type: 'secret', id: secretId }, { secretId, ...details }, actor);
const batch = (details: Signal['details'], actor: Actor = human) =>
  cloudTrail('BatchGetSecretValue', { type: 'unknown', id: 'batch' }, details, actor);
const rotate = (name: string, why: string) => ({
  verdict: 'start',
  runbook: 'rotate-secret',
  parameters: { secretId: name, reason: `secret ${name} was read by ${why}` },
  reasons: [`secret ${name} was read by ${why}, which is not one of its consumers`],
});

describe('secretNameOf: the name inside a Secrets Manager ARN', () => {
  it.each([
    [ARN('dev/app/db'), 'dev/app/db'],
    [ARN('name-with-dashes'), 'name-with-dashes'],
    ['arn:aws-cn:secretsmanager:cn-north-1:111111111111:secret:dev/x-AbC12f', 'dev/x'],
    ['dev/app/db', 'dev/app/db'],
    [
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x-AbC12',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x-AbC12',
    ],
    [
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x-AbC12fg',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x-AbC12fg',
    ],
    [
      'xarn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x-AbC12f',
      'xarn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x-AbC12f',
    ],
    [
      'arn:aws:ssm:eu-west-1:111111111111:secret:dev/x-AbC12f',
      'arn:aws:ssm:eu-west-1:111111111111:secret:dev/x-AbC12f',
    ],
    [
      'arn:aws:secretsmanager:eu-west-1:acct:secret:dev/x-AbC12f',
      'arn:aws:secretsmanager:eu-west-1:acct:secret:dev/x-AbC12f',
    ],
    [
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:-AbC12f',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:-AbC12f',
    ],
    [
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x_AbC12f',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x_AbC12f',
    ],
    [
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x-Ab-12f',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/x-Ab-12f',
    ],
  ])('%s → %s', (arn, name) => {
    expect(secretNameOf(arn)).toBe(name);
  });
});

describe('secret-read: who read which secret', () => {
  it('a human reading a secret that is not theirs to read starts a rotation of it (name from the ARN)', () => {
    expect(secretRead.evaluate(read(ARN('dev/app/db')), ctx)).toEqual(
      rotate('dev/app/db', 'human principal alice'),
    );
  });

  it('the account root counts as a human; without a name its id is used', () => {
    const root: Actor = { type: 'root', id: 'arn:aws:iam::111111111111:root' };
    expect(secretRead.evaluate(read('dev/partner', root), ctx)).toEqual(
      rotate('dev/partner', 'human principal arn:aws:iam::111111111111:root'),
    );
  });

  it('a break-glass role starts a rotation, named as break-glass', () => {
    expect(secretRead.evaluate(read('dev/partner', service('BreakGlass')), ctx)).toEqual(
      rotate('dev/partner', 'break-glass role BreakGlass'),
    );
  });

  it('a configured consumer role is ignored, even a human session in it', () => {
    expect(secretRead.evaluate(read('dev/app/db', service('app-role')), ctx)).toEqual({
      verdict: 'ignore',
      reasons: ['app-role is a configured consumer of dev/app/db'],
    });
    expect(secretRead.evaluate(read('dev/app/db', { ...human, roleName: 'app-role' }), ctx)).toEqual({
      verdict: 'ignore',
      reasons: ['app-role is a configured consumer of dev/app/db'],
    });
  });

  it('a consumer of another secret is no consumer of this one; a service that is no consumer is a warning, named by name, id or role', () => {
    expect(secretRead.evaluate(read('dev/partner', service('app-role')), ctx)).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['session-1 (not a configured consumer) read secret dev/partner'],
    });
    expect(
      secretRead.evaluate(read('dev/partner', { type: 'service', id: 'lambda.amazonaws.com' }), ctx),
    ).toMatchObject({
      reasons: ['lambda.amazonaws.com (not a configured consumer) read secret dev/partner'],
    });
    expect(
      secretRead.evaluate(read('dev/partner', { type: 'service', roleName: 'batch' }), ctx),
    ).toMatchObject({
      reasons: ['batch (not a configured consumer) read secret dev/partner'],
    });
    expect(secretRead.evaluate(read('dev/partner', { type: 'unknown' }), ctx)).toMatchObject({
      reasons: ['unknown principal (not a configured consumer) read secret dev/partner'],
    });
  });

  it('a refused read disclosed nothing: ignored, with the error code', () => {
    expect(secretRead.evaluate(read('dev/partner', human, { errorCode: 'AccessDenied' }), ctx)).toEqual({
      verdict: 'ignore',
      reasons: ['the read was refused (AccessDenied): nothing was disclosed'],
    });
  });

  it('the secret is named by secretId, else secretName, else the resource id', () => {
    const byName = cloudTrail(
      'GetSecretValue',
      { type: 'secret', id: 'ignored' },
      { secretName: 'dev/partner' },
    );
    const byResource = cloudTrail('GetSecretValue', { type: 'secret', id: ARN('dev/partner') });
    expect(secretRead.evaluate(byName, ctx)).toEqual(rotate('dev/partner', 'human principal alice'));
    expect(secretRead.evaluate(byResource, ctx)).toEqual(rotate('dev/partner', 'human principal alice'));
  });

  it('other calls and other sources are not its business', () => {
    expect(
      secretRead.evaluate(cloudTrail('PutSecretValue', { type: 'secret', id: 'dev/partner' }), ctx),
    ).toEqual({
      verdict: 'not-applicable',
    });
    expect(
      secretRead.evaluate(
        signal({
          source: 'datadog',
          kind: 'datadog.monitor-triggered',
          details: { eventName: 'GetSecretValue' },
        }),
        ctx,
      ),
    ).toEqual({ verdict: 'not-applicable' });
  });
});

describe('secret-read: BatchGetSecretValue, one decision per secret', () => {
  it('one start per secret to rotate, each secret once (ARNs and names of the same secret)', () => {
    const v = secretRead.evaluate(
      batch({ secretIds: [ARN('dev/partner'), 'dev/partner', 'dev/app/db'] }),
      ctx,
    );
    expect(v).toEqual([
      rotate('dev/partner', 'human principal alice'),
      rotate('dev/app/db', 'human principal alice'),
    ]);
  });

  it('secretNames is read before secretIds', () => {
    expect(
      secretRead.evaluate(batch({ secretNames: ['dev/partner'], secretIds: ['dev/app/db'] }), ctx),
    ).toEqual([rotate('dev/partner', 'human principal alice')]);
  });

  it('a start for one secret wins over the others; without a start, a warning wins over an ignore', () => {
    expect(
      secretRead.evaluate(batch({ secretIds: ['dev/app/db', 'dev/partner'] }, service('app-role')), ctx),
    ).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['session-1 (not a configured consumer) read secret dev/partner'],
    });
    expect(
      secretRead.evaluate(
        batch({ secretIds: ['dev/app/db', 'dev/partner'] }, { ...human, roleName: 'app-role' }),
        ctx,
      ),
    ).toEqual([rotate('dev/partner', 'human principal alice')]);
  });

  it('nothing to rotate: every warning is kept; all ignored: every reason is kept', () => {
    expect(
      secretRead.evaluate(
        batch({ secretIds: ['dev/partner', 'dev/other'] }, service('batch-role', 'job')),
        ctx,
      ),
    ).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: [
        'job (not a configured consumer) read secret dev/partner',
        'job (not a configured consumer) read secret dev/other',
      ],
    });
    const consumerOfBoth: AutomationConfig = {
      ...automation,
      allowLists: {
        ...automation.allowLists,
        secrets: automation.allowLists.secrets.map((s) => ({ ...s, consumerRoleNames: ['app-role'] })),
      },
    };
    expect(
      secretRead.evaluate(batch({ secretIds: ['dev/app/db', 'dev/partner'] }, service('app-role')), {
        stage: 'dev',
        automation: consumerOfBoth,
      }),
    ).toEqual({
      verdict: 'ignore',
      reasons: [
        'app-role is a configured consumer of dev/app/db',
        'app-role is a configured consumer of dev/partner',
      ],
    });
  });

  it('a read by filter names no secret: a warning that says where the names are', () => {
    expect(secretRead.evaluate(batch({ secretFilters: ['name=dev/', 'tag-key=team'] }), ctx)).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: [
        'alice read secrets selected by filter (name=dev/, tag-key=team) with BatchGetSecretValue: their GetSecretValue records name them',
      ],
    });
    expect(secretRead.evaluate(batch({}), ctx)).toMatchObject({
      reasons: [
        'alice read secrets selected by filter (no filter recorded) with BatchGetSecretValue: their GetSecretValue records name them',
      ],
    });
  });

  it('a refused batch read is ignored like a single one', () => {
    expect(
      secretRead.evaluate(batch({ secretIds: ['dev/partner'], errorCode: 'AccessDenied' }), ctx),
    ).toEqual({
      verdict: 'ignore',
      reasons: ['the read was refused (AccessDenied): nothing was disclosed'],
    });
  });
});

describe('rotate-secret allow-list: allow-listed secrets only, by exact name', () => {
  it.each([
    [
      { secretId: 'dev/app/db' },
      { allowed: true, detail: 'secret dev/app/db is allow-listed (mysql-single-user)' },
    ],
    [{ secretId: 'dev/partner' }, { allowed: true, detail: 'secret dev/partner is allow-listed (random)' }],
    [{ secretId: 'dev/app' }, { allowed: false, detail: 'secret dev/app is not allow-listed' }],
    [{ secretId: 42 }, { allowed: false, detail: 'secret  is not allow-listed' }],
    [{}, { allowed: false, detail: 'secret  is not allow-listed' }],
  ])('%o → %o', (params, verdict) => {
    expect(rotateSecretPlugin.allowList(params, automation)).toEqual(verdict);
  });
});
