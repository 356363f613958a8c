import { runSimulation } from '@cloud-copilot/iam-simulate';
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadStage, parseStage, STAGE_INPUTS, stageNames } from '../../config/index.js';
import { buildApp } from '../../infra/app.js';

/**
 * Issue 13 point 4: verify-backups requires DR copies; the synthesised stages must make them.
 * What verify-backups requires is read from what it was deployed with (the settings its state
 * machine carries, `drRegion`, `classes.*.drCopyRequired`, the database and Velero bucket it
 * reads), never from a second list. Each required class is then found in the synthesised
 * templates: S3 replication of the bucket it reads to a versioned, KMS-encrypted bucket of the
 * `<stage>-dr` stack in drRegion; RDS automated-backup replication to drRegion with the DR key;
 * snapshot-volume's DR copy. Point 5: the protected StorageClass keeps volumes (Retain).
 */

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
}
interface Synthesised {
  readonly platform: Template;
  readonly automation: Template;
  readonly dr?: { readonly template: Template; readonly region: string };
}

/** CloudFormation value → string, with the partition resolved and other tokens kept visible. */
function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as {
    'Fn::Join'?: [string, unknown[]];
    Ref?: string;
    'Fn::GetAtt'?: string[];
    'Fn::ImportValue'?: string;
  };
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v['Fn::ImportValue']) return `<import:${v['Fn::ImportValue']}>`;
  if (v.Ref) return `\${${v.Ref}}`;
  if (v['Fn::GetAtt']) return `\${${v['Fn::GetAtt'].join('.')}}`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(flat).join(v['Fn::Join'][0]);
  return `<${JSON.stringify(value)}>`;
}

function ofType(t: Template, type: string): [string, Json][] {
  return Object.entries(t.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties]);
}

/** A Step Functions definition, tokens replaced by `${…}` placeholders, parsed. */
function definition(t: Template, idPart: string): { States: Record<string, Json> } {
  const found = ofType(t, 'AWS::StepFunctions::StateMachine').find(([id]) => id.includes(idPart));
  if (!found) throw new Error(`no state machine ${idPart}`);
  return JSON.parse(flat(found[1].DefinitionString)) as { States: Record<string, Json> };
}

function allStates(def: { States: Record<string, Json> }): [string, Json][] {
  const out: [string, Json][] = [];
  const walk = (states: Record<string, Json>) => {
    for (const [name, s] of Object.entries(states)) {
      out.push([name, s]);
      const nested = (s.ItemProcessor ?? s.Iterator) as { States?: Record<string, Json> } | undefined;
      if (nested?.States) walk(nested.States);
      for (const b of (s.Branches as { States: Record<string, Json> }[] | undefined) ?? []) walk(b.States);
    }
  };
  walk(def.States);
  return out;
}

interface VerifySettings {
  drRegion?: string;
  databaseInstance: string;
  classes: Record<string, { drCopyRequired: boolean }>;
  velero: { bucket: string; prefix: string };
}

/** The settings the deployed verify-backups state machine runs with (the payload of its "Collect backups" task). */
function verifyBackupsSettings(s: Synthesised): VerifySettings {
  const states = allStates(definition(s.automation, 'VerifyBackups'));
  const found = states.find(([name]) => name === 'Collect backups');
  const payload = (found?.[1].Parameters as { Payload?: { settings?: unknown } } | undefined)?.Payload;
  if (!payload?.settings)
    throw new Error('verify-backups has no "Collect backups" task carrying its settings');
  return payload.settings as VerifySettings;
}

/** `${Fn::ImportValue …}` of the platform's export → the platform resource's logical id. */
function platformResourceOf(s: Synthesised, placeholder: string): string {
  const imported = /^<import:[^:]+:([^>]+)>$/.exec(placeholder)?.[1];
  const direct = /^\$\{([^}.]+)\}$/.exec(placeholder)?.[1];
  if (direct) return direct;
  const output = imported ? s.platform.Outputs?.[imported] : undefined;
  const ref = (output?.Value as { Ref?: string } | undefined)?.Ref;
  if (!ref) throw new Error(`cannot resolve ${placeholder} to a platform resource`);
  return ref;
}

function drTemplate(s: Synthesised, drRegion: string): Template {
  expect(s.dr, 'a stage with a DR region has a <stage>-dr stack').toBeDefined();
  expect(s.dr?.region).toBe(drRegion);
  return (s.dr as NonNullable<Synthesised['dr']>).template;
}

/** The DR stack's KMS key behind an alias name, with rotation on. */
function drKeyBehindAlias(dr: Template, aliasName: string): string {
  const alias = ofType(dr, 'AWS::KMS::Alias').find(([, a]) => a.AliasName === aliasName);
  expect(alias, `alias ${aliasName} in the DR stack`).toBeDefined();
  const keyId = /^\$\{([^}.]+)/.exec(flat(alias?.[1].TargetKeyId))?.[1] as string;
  expect(dr.Resources[keyId]?.Type).toBe('AWS::KMS::Key');
  expect(dr.Resources[keyId]?.Properties.EnableKeyRotation).toBe(true);
  return keyId;
}

/**
 * The platform bucket `bucketId` replicates every object under `prefix` (SSE-KMS ones included)
 * to a bucket of the DR stack in `drRegion` that is versioned, KMS-encrypted with the DR key the
 * rule names, public-access-blocked and TLS-only; and the replication role may do exactly that.
 */
function expectReplicatedToDr(s: Synthesised, bucketId: string, prefix: string, drRegion: string): void {
  const source = s.platform.Resources[bucketId];
  expect(source?.Type).toBe('AWS::S3::Bucket');
  const config = source?.Properties.ReplicationConfiguration as { Role: unknown; Rules: Json[] } | undefined;
  expect(config, `${bucketId} has a replication configuration`).toBeDefined();
  const rule = config?.Rules.find(
    (r) =>
      r.Status === 'Enabled' && prefix.startsWith(((r.Filter as Json | undefined)?.Prefix as string) ?? ''),
  );
  expect(rule, `an enabled rule of ${bucketId} covers ${prefix || '(bucket root)'}`).toBeDefined();
  expect(rule?.SourceSelectionCriteria).toEqual({ SseKmsEncryptedObjects: { Status: 'Enabled' } });
  const destination = rule?.Destination as {
    Bucket: unknown;
    EncryptionConfiguration?: { ReplicaKmsKeyID: unknown };
  };
  const destArn = flat(destination.Bucket);
  const destName = /^arn:aws:s3:::([a-z0-9.-]+)$/.exec(destArn)?.[1] as string;
  expect(destName, destArn).toBeDefined();
  const replicaKey = flat(destination.EncryptionConfiguration?.ReplicaKmsKeyID);
  const keyMatch = /^arn:aws:kms:([a-z0-9-]+):\d{12}:(alias\/.+)$/.exec(replicaKey);
  expect(keyMatch?.[1], `replica key ${replicaKey} is in the DR region`).toBe(drRegion);

  const dr = drTemplate(s, drRegion);
  const drKeyId = drKeyBehindAlias(dr, keyMatch?.[2] as string);
  const replica = ofType(dr, 'AWS::S3::Bucket').find(([, b]) => b.BucketName === destName);
  expect(replica, `the DR stack holds ${destName}`).toBeDefined();
  const [replicaId, props] = replica as [string, Json];
  expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  const sse = (props.BucketEncryption as { ServerSideEncryptionConfiguration: Json[] })
    .ServerSideEncryptionConfiguration[0] as { ServerSideEncryptionByDefault: Json };
  expect(sse.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
  expect(flat(sse.ServerSideEncryptionByDefault.KMSMasterKeyID)).toBe(`\${${drKeyId}.Arn}`);
  expect(props.PublicAccessBlockConfiguration).toEqual({
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  });
  const tlsOnly = ofType(dr, 'AWS::S3::BucketPolicy').some(
    ([, p]) =>
      flat(p.Bucket) === `\${${replicaId}}` &&
      JSON.stringify(p.PolicyDocument).includes('"aws:SecureTransport":"false"'),
  );
  expect(tlsOnly, `${destName} refuses plain HTTP`).toBe(true);

  // The role S3 assumes: reads this source, writes that replica, encrypts with that key only.
  const roleId = /^\$\{([^}.]+)\.Arn\}$/.exec(flat(config?.Role))?.[1] as string;
  const statements = ofType(s.platform, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: Json[] }).Statement);
  const allows = (action: string, resource: string) =>
    statements.some((st) => {
      const actions = [st.Action].flat();
      const resources = [st.Resource].flat().map(flat);
      return st.Effect === 'Allow' && actions.includes(action) && resources.includes(resource);
    });
  expect(allows('s3:GetObjectVersionForReplication', `\${${bucketId}.Arn}/*`)).toBe(true);
  expect(allows('s3:ReplicateObject', `${destArn}/*`)).toBe(true);
  const replicate = statements.find((st) => [st.Action].flat().includes('s3:ReplicateObject'));
  expect(replicate?.Condition, 'only into a bucket this account owns').toEqual({
    StringEquals: { 's3:ResourceAccount': expect.stringMatching(/^\d{12}$/) },
  });
  const encrypt = statements.find((st) => [st.Action].flat().includes('kms:Encrypt'));
  expect(JSON.stringify(encrypt?.Condition)).toContain(`"kms:ResourceAliases":["${keyMatch?.[2]}"]`);
  expect(JSON.stringify(encrypt?.Condition)).toContain(`"kms:ViaService":"s3.${drRegion}.amazonaws.com"`);
  for (const st of statements) expect([st.Resource].flat().map(flat)).not.toContain('*');
}

/**
 * The statements of the policies attached to role `roleId`, with every token replaced by a
 * concrete value (partition `aws`; a bucket's ARN by `arn:aws:s3:::<logical id>`; a key's by a
 * key ARN in the stack's region), so an IAM simulator can evaluate them as AWS would.
 */
function roleStatements(t: Template, roleId: string, region: string, account: string): Json[] {
  const arnOf = (id: string): string => {
    const type = t.Resources[id]?.Type;
    if (type === 'AWS::S3::Bucket') return `arn:aws:s3:::${id.toLowerCase()}`;
    if (type === 'AWS::KMS::Key') return `arn:aws:kms:${region}:${account}:key/${id}`;
    if (type === 'AWS::Lambda::Function') return `arn:aws:lambda:${region}:${account}:function:${id}`;
    // Anything else appears only in statements about other services: a well-formed placeholder.
    return `arn:aws:${(type ?? 'unknown').split('::')[1]?.toLowerCase()}:${region}:${account}:${id}`;
  };
  const concrete = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(concrete);
    if (value && typeof value === 'object') {
      const o = value as Json;
      if ('Fn::Join' in o || 'Ref' in o || 'Fn::GetAtt' in o || 'Fn::ImportValue' in o)
        return flat(o)
          .replace(/\$\{([A-Za-z0-9]+)\.Arn\}/g, (_m, id: string) => arnOf(id))
          .replace(/\$\{([A-Za-z0-9]+)\}/g, (_m, id: string) => id.toLowerCase());
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, concrete(v)]));
    }
    return value;
  };
  return ofType(t, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: Json[] }).Statement)
    .map((st) => concrete(st) as Json);
}

/** What AWS would decide for `action` on `resource` by a role whose identity policy is `statements`. */
async function decide(
  statements: Json[],
  request: { action: string; resource: string; account: string; context?: Record<string, string | string[]> },
  resourcePolicy?: Json,
): Promise<string> {
  const result = await runSimulation(
    {
      identityPolicies: [{ name: 'role', policy: { Version: '2012-10-17', Statement: statements } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      request: {
        action: request.action,
        principal: `arn:aws:iam::${request.account}:role/under-test`,
        resource: {
          resource: request.resource,
          accountId: request.resource.includes(':999999999999:') ? '999999999999' : request.account,
        },
        contextVariables: request.context ?? {},
      },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

type Check = (s: Synthesised, settings: VerifySettings, drRegion: string) => void;

/** How each backup class's DR copy is made. A class verify-backups requires without an entry here fails. */
const DR_COPY_CHECKS: Record<string, Check> = {
  // Velero: verify-backups reads the tarball's S3 replication status in the bucket it lists.
  velero: (s, settings, drRegion) =>
    expectReplicatedToDr(
      s,
      platformResourceOf(s, settings.velero.bucket),
      `${settings.velero.prefix}backups/`,
      drRegion,
    ),
  // RDS: verify-backups asks the DR region for replicated automated backups of this instance.
  rds: (s, settings, drRegion) => {
    const instance = ofType(s.platform, 'AWS::RDS::DBInstance').find(
      ([, p]) => p.DBInstanceIdentifier === settings.databaseInstance,
    );
    expect(instance, `the platform has the database ${settings.databaseInstance}`).toBeDefined();
    const p = instance?.[1] as Json;
    expect(p.StorageEncrypted).toBe(true);
    expect(p.AutomaticBackupReplicationRegion).toBe(drRegion);
    expect(p.AutomaticBackupReplicationRetentionPeriod).toBeGreaterThanOrEqual(1);
    // The DR key's ARN, looked up by alias in the DR region at deploy time.
    const lookupId = /^\$\{([^}.]+)\.KeyMetadata\.Arn\}$/.exec(
      flat(p.AutomaticBackupReplicationKmsKeyId),
    )?.[1];
    const lookup = s.platform.Resources[lookupId as string];
    expect(lookup?.Type).toBe('Custom::AWS');
    const call = JSON.parse(lookup?.Properties.Create as string) as {
      service: string;
      action: string;
      region: string;
      parameters: { KeyId: string };
    };
    expect(call).toMatchObject({ service: 'KMS', action: 'describeKey', region: drRegion });
    drKeyBehindAlias(drTemplate(s, drRegion), call.parameters.KeyId);
  },
  // EBS: snapshot-volume copies each completed snapshot to the DR region (its Lambda step).
  ebs: (s, _settings, drRegion) => {
    const copy = allStates(definition(s.automation, 'SnapshotVolume')).find(
      ([name]) => name === 'Copy snapshot to the DR region',
    );
    expect(copy, 'snapshot-volume copies to the DR region').toBeDefined();
    const payload = ((copy as [string, Json])[1].Parameters as { Payload: { settings: Json } }).Payload;
    expect(payload.settings.drRegion).toBe(drRegion);
  },
};

const synthesised = new Map<string, Synthesised>();

describe.each(stageNames())('DR copies and protected storage, stage %s', (name) => {
  let s: Synthesised;
  let settings: VerifySettings;

  beforeAll(() => {
    const { app, stacks } = buildApp({
      stage: name,
      // cdk-nag runs where this change adds resources (stages with a DR region); a finding fails synth.
      nag: Boolean(STAGE_INPUTS[name]?.drRegion),
      appProps: { context: { 'aws:cdk:bundling-stacks': [] } },
    });
    const assembly = app.synth();
    const [stacksOfStage] = stacks;
    if (!stacksOfStage) throw new Error(`no stacks for ${name}`);
    const tpl = (artifactId: string) => assembly.getStackArtifact(artifactId).template as Template;
    s = {
      platform: tpl(stacksOfStage.platform.artifactId),
      automation: tpl(stacksOfStage.automation.artifactId),
      ...(stacksOfStage.dr
        ? { dr: { template: tpl(stacksOfStage.dr.artifactId), region: stacksOfStage.dr.region } }
        : {}),
    };
    synthesised.set(name, s);
    settings = verifyBackupsSettings(s);
  }, 300_000);

  it('makes every DR copy verify-backups requires of this stage', () => {
    const required = settings.drRegion
      ? Object.entries(settings.classes)
          .filter(([, policy]) => policy.drCopyRequired)
          .map(([cls]) => cls)
      : [];
    for (const cls of required) {
      const check = DR_COPY_CHECKS[cls];
      expect(
        check,
        `verify-backups requires a DR copy of ${cls}, and nothing here proves one is made`,
      ).toBeDefined();
      check?.(s, settings, settings.drRegion as string);
    }
    if (!settings.drRegion) {
      // No DR region: verify-backups requires nothing there, and nothing is replicated or deployed there.
      expect(s.dr).toBeUndefined();
      expect(ofType(s.platform, 'AWS::S3::Bucket').filter(([, b]) => b.ReplicationConfiguration)).toEqual([]);
      expect(
        ofType(s.platform, 'AWS::RDS::DBInstance').filter(([, p]) => p.AutomaticBackupReplicationRegion),
      ).toEqual([]);
    }
  });

  it('replicates the backups bucket (verify-backups keeps its reports there) like the Velero bucket', () => {
    if (!settings.drRegion) return;
    const reportBucket = allStates(definition(s.automation, 'VerifyBackups'))
      .map(([, st]) => st.Parameters as Json | undefined)
      .find((p) => typeof p?.Bucket === 'string' && String(p.Bucket).startsWith('<import:'))
      ?.Bucket as string;
    expect(reportBucket).toBeDefined();
    expectReplicatedToDr(s, platformResourceOf(s, reportBucket), 'verify-backups/', settings.drRegion);
  });

  it('offers gp3-protected: reclaim policy Retain, encrypted, expandable, tagging its volumes for snapshot and reclaim', () => {
    const manifests = ofType(s.platform, 'Custom::AWSCDK-EKS-KubernetesResource').flatMap(
      ([, m]) => JSON.parse(flat(m.Manifest)) as Json[],
    );
    const classes = manifests.filter((m) => m.kind === 'StorageClass');
    const protectedClass = classes.find((c) => (c.metadata as Json).name === 'gp3-protected');
    expect(protectedClass).toBeDefined();
    // Valid against the Kubernetes API schema (throws with the failing path otherwise).
    const sc = new StorageClass(protectedClass as ConstructorParameters<typeof StorageClass>[0]);
    sc.validate();
    expect(sc.reclaimPolicy).toBe('Retain');
    expect(sc.allowVolumeExpansion).toBe(true);
    expect(sc.provisioner).toBe('ebs.csi.aws.com');
    expect(sc.parameters).toMatchObject({ type: 'gp3', encrypted: 'true' });
    expect(sc.parameters?.kmsKeyId).toMatch(/^\$\{KeysData[0-9A-F]+\.Arn\}$/);
    // The EBS CSI driver copies tagSpecification_<n> "key=value" onto the volumes it creates.
    const { key, value } = loadStage(name).automation.allowLists.volumes.protectedTag;
    const tags = Object.entries(sc.parameters ?? {})
      .filter(([k]) => /^tagSpecification_\d+$/.test(k))
      .map(([, v]) => v);
    expect(tags.sort()).toEqual([`${key}=${value}`, 'ops-automation:reclaim=after-snapshot'].sort());
    // It is not the default: protected workloads ask for it by name.
    expect(sc.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class']).toBeUndefined();
  });

  it('replication role, simulated: writes only into this account’s replica, encrypts only with the DR key', async () => {
    if (!settings.drRegion) return;
    const stage = loadStage(name);
    const dr = settings.drRegion;
    const veleroId = platformResourceOf(s, settings.velero.bucket);
    const config = s.platform.Resources[veleroId]?.Properties.ReplicationConfiguration as {
      Role: unknown;
      Rules: Json[];
    };
    const roleId = /^\$\{([^}.]+)\.Arn\}$/.exec(flat(config.Role))?.[1] as string;
    const statements = roleStatements(s.platform, roleId, stage.region, stage.account);
    const replica = /^arn:aws:s3:::(.+)$/.exec(
      flat(((config.Rules[0] as Json).Destination as Json).Bucket),
    )?.[1] as string;
    const object = `arn:aws:s3:::${replica}/backups/daily-20261122050012/daily-20261122050012.tar.gz`;
    const ownAccount = { 's3:ResourceAccount': stage.account };
    expect(
      await decide(statements, {
        action: 's3:ReplicateObject',
        resource: object,
        account: stage.account,
        context: ownAccount,
      }),
    ).toBe('Allowed');
    // The replica's name is predictable: a bucket of that name in another account gets nothing.
    expect(
      await decide(statements, {
        action: 's3:ReplicateObject',
        resource: object,
        account: stage.account,
        context: { 's3:ResourceAccount': '999999999999' },
      }),
    ).not.toBe('Allowed');
    expect(
      await decide(statements, {
        action: 's3:ReplicateObject',
        resource: `arn:aws:s3:::some-other-bucket/x`,
        account: stage.account,
        context: ownAccount,
      }),
    ).not.toBe('Allowed');
    expect(
      await decide(statements, {
        action: 's3:DeleteObject',
        resource: object,
        account: stage.account,
        context: ownAccount,
      }),
    ).not.toBe('Allowed');
    // KMS needs the key policy too: CDK's default one (the account may use the key through IAM).
    const keyPolicy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${stage.account}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
    const drKey = `arn:aws:kms:${dr}:${stage.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const encrypt = (aliases: string[], via: string) =>
      decide(
        statements,
        {
          action: 'kms:Encrypt',
          resource: drKey,
          account: stage.account,
          context: { 'kms:ResourceAliases': aliases, 'kms:ViaService': via },
        },
        keyPolicy,
      );
    expect(await encrypt([`alias/${name}/dr/data`], `s3.${dr}.amazonaws.com`)).toBe('Allowed');
    expect(await encrypt(['alias/someone-else'], `s3.${dr}.amazonaws.com`)).not.toBe('Allowed');
    expect(await encrypt([`alias/${name}/dr/data`], `ec2.${dr}.amazonaws.com`)).not.toBe('Allowed');
  });

  it('snapshot-volume role, simulated: DeleteVolume only on a volume with both the reclaim and the protected tag', async () => {
    const stage = loadStage(name);
    const { key, value } = stage.automation.allowLists.volumes.protectedTag;
    const roleId = ofType(s.automation, 'AWS::IAM::Policy')
      .filter(([id]) => id.startsWith('RunbooksSnapshotVolume'))
      .find(([, p]) => JSON.stringify(p.PolicyDocument).includes('ec2:DeleteVolume'))?.[1].Roles as {
      Ref: string;
    }[];
    const statements = roleStatements(s.automation, roleId[0]?.Ref as string, stage.region, stage.account);
    const volume = `arn:aws:ec2:${stage.region}:${stage.account}:volume/vol-0123456789abcdef0`;
    const del = (tags: Record<string, string>) =>
      decide(statements, {
        action: 'ec2:DeleteVolume',
        resource: volume,
        account: stage.account,
        context: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
      });
    expect(await del({ [key]: value, 'ops-automation:reclaim': 'after-snapshot' })).toBe('Allowed');
    expect(await del({ [key]: value })).not.toBe('Allowed');
    expect(await del({ 'ops-automation:reclaim': 'after-snapshot' })).not.toBe('Allowed');
    expect(await del({ 'ops-automation': 'enabled' })).not.toBe('Allowed');
  });

  it('lets snapshot-volume delete only volumes carrying the reclaim and protected tags', () => {
    const statements = ofType(s.automation, 'AWS::IAM::Policy')
      .filter(([id]) => id.startsWith('RunbooksSnapshotVolume'))
      .flatMap(([, p]) => (p.PolicyDocument as { Statement: Json[] }).Statement)
      .filter((st) => [st.Action].flat().includes('ec2:DeleteVolume'));
    expect(statements).toHaveLength(1);
    const { key, value } = loadStage(name).automation.allowLists.volumes.protectedTag;
    expect(statements[0]?.Condition).toEqual({
      StringEquals: {
        'aws:ResourceTag/ops-automation:reclaim': 'after-snapshot',
        [`aws:ResourceTag/${key}`]: value,
      },
    });
    expect(flat(statements[0]?.Resource)).toMatch(/^arn:aws:ec2:[a-z0-9-]+:\d{12}:volume\/\*$/);
  });
});

describe('DR copies: configuration consistency', () => {
  it('refuses a stage that requires a Velero DR copy from a bucket the platform does not replicate', () => {
    const prod = STAGE_INPUTS.prod;
    if (!prod) throw new Error('no prod stage');
    const input = {
      ...prod,
      automation: {
        ...prod.automation,
        backupVerification: {
          velero: { bucketName: 'someone-elses-velero', prefix: '', schedules: ['daily'] },
        },
      },
    };
    expect(() => parseStage(input, 'prod')).toThrow(ConfigError);
    expect(() => parseStage(input, 'prod')).toThrow(/velero\.drCopyRequired needs a copy in eu-central-1/);
    // Saying the copy is made elsewhere is accepted.
    const elsewhere = {
      ...input,
      automation: {
        ...input.automation,
        backupVerification: {
          ...input.automation.backupVerification,
          classes: {
            velero: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 120, drCopyRequired: false },
          },
        },
      },
    };
    expect(() => parseStage(elsewhere, 'prod')).not.toThrow();
  });
});
