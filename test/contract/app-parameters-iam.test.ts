import { Template as CdkTemplate } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { stageStacks } from '../support/contract-synth.js';
import {
  findResource,
  type PolicyDocument,
  resolveCfn,
  roleNamed,
  rolePolicies,
  type Template,
} from '../support/iam-policies.js';
import { type Request, type RoleTable, tableFailures } from '../support/iam-simulation.js';

/**
 * The application parameter hierarchy `/app/<stage>/<app>/…` (README "Application parameters"),
 * proven by IAM simulation on the dev stage as synthesised: the api workload's role reads its own
 * path and decrypts it with the data key through SSM, and nothing else; the writer policy writes
 * only under `/app/dev/`. Tables written by hand from config/stages/dev.ts (appParameters: api in
 * app/api) and from how SSM uses KMS for SecureString (encryption context `PARAMETER_ARN`, calls
 * made by SSM on the caller's behalf, so `kms:ViaService` is `ssm.<region>.amazonaws.com`).
 *
 * A limit of the simulator: @cloud-copilot/iam-simulate drops `kms:EncryptionContext:<key>` context
 * keys (it expands only `…/<key>` variable keys such as `aws:ResourceTag/<key>`), so a row that needs
 * the encryption context to be allowed cannot be simulated. The KMS rows here are the ones the
 * context does not decide (outside SSM, another action); the `PARAMETER_ARN` condition itself is
 * asserted per stage in test/infra/platform-resilience.test.ts and its key checked against the
 * Service Authorization Reference by iam-reference.test.ts.
 */
const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const dev = stageStacks('dev');
const env = { account: dev.stage.account, region: dev.stage.region, imports: {} };
const t = CdkTemplate.fromStack(dev.platform).toJSON() as Template;

const parameter = (path: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${path}`;
const dataKeyId = findResource(t, 'AWS::KMS::Key', {
  Description: 'dev: platform data at rest (S3, RDS, secrets, EBS, Velero)',
});
const dataKey = {
  arn: String(resolveCfn({ 'Fn::GetAtt': [dataKeyId, 'Arn'] }, t, env)),
  policy: resolveCfn(t.Resources[dataKeyId]?.Properties?.KeyPolicy, t, env) as PolicyDocument,
};
/** A KMS call as SSM makes it for a SecureString parameter at `path` (unless `direct`). */
const kms = (action: string, path: string, why: string, direct = false): Request => ({
  action,
  resource: dataKey.arn,
  resourcePolicy: dataKey.policy,
  context: {
    ...(direct ? {} : { 'kms:ViaService': `ssm.${REGION}.amazonaws.com` }),
    'kms:EncryptionContext:PARAMETER_ARN': parameter(path),
  },
  why,
});

const READER: RoleTable = {
  allow: [
    { action: 'ssm:GetParameter', resource: parameter('/app/dev/api/db-password'), why: 'its own secret' },
    { action: 'ssm:GetParameters', resource: parameter('/app/dev/api/feature/flags'), why: 'nested keys' },
    { action: 'ssm:GetParametersByPath', resource: parameter('/app/dev/api'), why: 'its whole path' },
  ],
  deny: [
    { action: 'ssm:GetParameter', resource: parameter('/app/dev/worker/token'), why: 'another app' },
    {
      action: 'ssm:GetParameter',
      resource: parameter('/app/dev/apiary/token'),
      why: 'a name sharing its prefix',
    },
    { action: 'ssm:GetParameter', resource: parameter('/app/stage/api/db-password'), why: 'another stage' },
    { action: 'ssm:GetParametersByPath', resource: parameter('/app/dev'), why: 'the whole stage' },
    { action: 'ssm:GetParameter', resource: parameter('/ops/dev/kill-switch'), why: 'automation settings' },
    { action: 'ssm:PutParameter', resource: parameter('/app/dev/api/db-password'), why: 'reads only' },
    { action: 'ssm:DeleteParameter', resource: parameter('/app/dev/api/db-password'), why: 'reads only' },
    kms('kms:Decrypt', '/app/dev/api/db-password', 'the key outside SSM', true),
    kms('kms:GenerateDataKey', '/app/dev/api/db-password', 'never encrypts'),
  ],
};

const WRITER: RoleTable = {
  allow: [
    { action: 'ssm:PutParameter', resource: parameter('/app/dev/api/db-password'), why: 'writes a value' },
    { action: 'ssm:DeleteParameter', resource: parameter('/app/dev/worker/token'), why: 'any app of dev' },
  ],
  deny: [
    { action: 'ssm:PutParameter', resource: parameter('/platform/dev/vpc/id'), why: 'platform outputs' },
    { action: 'ssm:PutParameter', resource: parameter('/ops/dev/kill-switch'), why: 'automation settings' },
    { action: 'ssm:PutParameter', resource: parameter('/app/stage/api/x'), why: 'another stage' },
    kms('kms:Decrypt', '/app/dev/api/db-password', 'the key outside SSM', true),
    {
      action: 'kms:ScheduleKeyDeletion',
      resource: dataKey.arn,
      resourcePolicy: dataKey.policy,
      why: 'no key admin',
    },
  ],
};

const reader = () => ({
  policies: rolePolicies(t, roleNamed(t, 'dev-app-api'), env),
  principal: `arn:aws:iam::${ACCOUNT}:role/dev-app-api`,
});
const writer = () => {
  const id = findResource(t, 'AWS::IAM::ManagedPolicy', { ManagedPolicyName: 'dev-app-parameters-write' });
  return {
    policies: [resolveCfn(t.Resources[id]?.Properties?.PolicyDocument, t, env) as PolicyDocument],
    principal: `arn:aws:iam::${ACCOUNT}:role/ci-deployer`,
  };
};

describe('contract: /app/<stage>/<app> parameters, by IAM simulation (dev stage)', () => {
  it('the api role reads and decrypts /app/dev/api/* and nothing else', async () => {
    const { policies, principal } = reader();
    expect(policies.length).toBeGreaterThan(0);
    expect(await tableFailures(policies, principal, ACCOUNT, READER)).toEqual([]);
  });

  it('the writer policy writes /app/dev/* with the data key through SSM, and nothing else', async () => {
    const { policies, principal } = writer();
    expect(await tableFailures(policies, principal, ACCOUNT, WRITER)).toEqual([]);
  });

  it('catches a decrypt grant widened past SSM', async () => {
    // Prepare: the reader's policies with kms:Decrypt stripped of its conditions.
    const { policies, principal } = reader();
    const widened = policies.map((d) => ({
      ...d,
      Statement: d.Statement.map((s) =>
        [s.Action].flat().includes('kms:Decrypt')
          ? { Effect: s.Effect, Action: s.Action, Resource: s.Resource }
          : s,
      ),
    }));

    // Act
    const failures = await tableFailures(widened, principal, ACCOUNT, READER);

    // Assess
    expect(failures).toEqual([
      expect.stringMatching(/^must deny kms:Decrypt .*\(the key outside SSM\): Allowed$/),
    ]);
  });
});
