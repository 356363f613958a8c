import { randomInt, randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  type GetRandomPasswordCommandInput,
  GetSecretValueCommand,
  type GetSecretValueCommandInput,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  type PutSecretValueCommandInput,
  ResourceExistsException,
  ResourceNotFoundException,
  RotateSecretCommand,
  type RotateSecretCommandInput,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';

/**
 * An in-memory Secrets Manager that keeps the semantics the rotation protocol depends on:
 * versions identified by ClientRequestToken, staging labels unique per secret and moved (not
 * copied) by PutSecretValue / UpdateSecretVersionStage, AWSPREVIOUS following AWSCURRENT
 * automatically, unlabelled versions kept but hidden from DescribeSecret, idempotent
 * PutSecretValue per token, and RotateSecret refusing to start while an earlier rotation's
 * AWSPENDING sits on a version other than AWSCURRENT. RotateSecret creates the empty
 * AWSPENDING version first, then drives the four steps through `rotator`, as the service does.
 */

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
const PREVIOUS = 'AWSPREVIOUS';

interface Version {
  readonly id: string;
  value?: string;
  /** A value stored as SecretBinary (CreateSecret / PutSecretValue take one or the other). */
  binary?: Uint8Array;
  readonly stages: Set<string>;
  readonly createdAt: Date;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  readonly versions: Map<string, Version>;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  lastRotatedDate?: Date;
  lastChangedDate: Date;
}

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
/** What Secrets Manager invokes: the rotation function, one step at a time. */
export type Rotator = (event: {
  Step: RotationStep;
  SecretId: string;
  ClientRequestToken: string;
}) => Promise<void>;

const meta = { $metadata: {} };
const notFound = (message: string) => new ResourceNotFoundException({ message, ...meta });

export class FakeSecretsManager {
  readonly mock: AwsClientStub<SecretsManagerClient>;
  private readonly secrets = new Map<string, Secret>();
  /** The rotation function RotateSecret drives; set per test. */
  rotator?: Rotator;
  /** When true, RotateSecret returns at once and the steps run in the background (as in AWS); see `settled`. */
  deferRotation = false;
  private inFlight: Promise<void> = Promise.resolve();
  /** Every rotation step RotateSecret ran, and its outcome. */
  readonly rotationLog: { step: RotationStep; token: string; ok: boolean; error?: string }[] = [];

  constructor() {
    this.mock = mockClient(SecretsManagerClient);
    this.mock.on(GetSecretValueCommand).callsFake((i: GetSecretValueCommandInput) => this.getSecretValue(i));
    this.mock.on(PutSecretValueCommand).callsFake((i: PutSecretValueCommandInput) => this.putSecretValue(i));
    this.mock
      .on(DescribeSecretCommand)
      .callsFake((i: { SecretId: string }) => this.describeSecret(i.SecretId));
    this.mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake((i: UpdateSecretVersionStageCommandInput) => this.updateSecretVersionStage(i));
    this.mock.on(GetRandomPasswordCommand).callsFake((i: GetRandomPasswordCommandInput) => ({
      RandomPassword: randomPassword(i),
    }));
    this.mock.on(RotateSecretCommand).callsFake((i: RotateSecretCommandInput) => this.rotateSecret(i));
  }

  restore(): void {
    this.mock.restore();
  }

  /**
   * Creates a secret with one AWSCURRENT version; returns its ARN. A `Uint8Array` value is stored
   * as SecretBinary, as CreateSecret does with its `SecretBinary` parameter: GetSecretValue then
   * answers SecretBinary and no SecretString ("If the secret was created by using the Secrets
   * Manager console, or if the secret value was originally provided as a string, then this field
   * is omitted", botocore's secretsmanager model, GetSecretValueResponse.SecretBinary).
   */
  create(name: string, value: unknown, options: { rotationEnabled?: boolean } = {}): string {
    const arn = `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${name}-${randomUUID().slice(0, 6)}`;
    const id = randomUUID();
    const now = new Date();
    this.secrets.set(arn, {
      arn,
      name,
      versions: new Map([
        [
          id,
          {
            id,
            ...(value instanceof Uint8Array
              ? { binary: value }
              : { value: typeof value === 'string' ? value : JSON.stringify(value) }),
            stages: new Set([CURRENT]),
            createdAt: now,
          },
        ],
      ]),
      rotationEnabled: options.rotationEnabled ?? true,
      rotationLambdaArn: 'arn:aws:lambda:eu-west-1:111111111111:function:ops-test-rotation',
      lastChangedDate: now,
    });
    return arn;
  }

  /** The value holding `stage` (test assertions read through this, not through the mock). */
  valueAt(secretId: string, stage: string): string | undefined {
    return this.versionWith(this.find(secretId), stage)?.value;
  }

  parsedAt<T = Record<string, string>>(secretId: string, stage: string): T {
    const v = this.valueAt(secretId, stage);
    if (v === undefined) throw new Error(`no value at ${stage}`);
    return JSON.parse(v) as T;
  }

  stages(secretId: string): Record<string, string[]> {
    return this.describeSecret(secretId).VersionIdsToStages;
  }

  versionValue(secretId: string, versionId: string): string | undefined {
    return this.find(secretId).versions.get(versionId)?.value;
  }

  /** Waits for a background rotation (deferRotation) to end. */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  /**
   * What Secrets Manager does on its own after a failed rotation: re-invokes the four steps
   * with the unfinished rotation's token (the version carrying AWSPENDING but not AWSCURRENT).
   */
  async reattempt(secretId: string): Promise<string> {
    const secret = this.find(secretId);
    const pending = this.versionWith(secret, PENDING);
    if (!pending || pending.stages.has(CURRENT)) throw new Error('no unfinished rotation to re-attempt');
    await this.drive(secret, pending.id);
    return pending.id;
  }

  /** Every credential string ever stored (the given fields of every version): for log assertions. */
  secretMaterial(fields: readonly string[] = ['password', 'token']): string[] {
    const out: string[] = [];
    for (const secret of this.secrets.values()) {
      for (const v of secret.versions.values()) {
        if (v.value === undefined) continue;
        try {
          const parsed = JSON.parse(v.value) as Record<string, unknown>;
          for (const key of fields) {
            const field = parsed[key];
            if (typeof field === 'string') out.push(field);
          }
        } catch {
          out.push(v.value);
        }
      }
    }
    return out;
  }

  private find(secretId: string): Secret {
    const direct = this.secrets.get(secretId);
    if (direct) return direct;
    for (const s of this.secrets.values()) if (s.name === secretId) return s;
    throw notFound("Secrets Manager can't find the specified secret.");
  }

  private versionWith(secret: Secret, stage: string): Version | undefined {
    for (const v of secret.versions.values()) if (v.stages.has(stage)) return v;
    return undefined;
  }

  /** Attaches `stage` to `target`, detaching it elsewhere; moving AWSCURRENT drags AWSPREVIOUS along. */
  private attach(secret: Secret, stage: string, target: Version): void {
    const holder = this.versionWith(secret, stage);
    if (holder === target) return;
    holder?.stages.delete(stage);
    target.stages.add(stage);
    if (stage === CURRENT && holder) {
      this.versionWith(secret, PREVIOUS)?.stages.delete(PREVIOUS);
      holder.stages.add(PREVIOUS);
    }
    secret.lastChangedDate = new Date();
  }

  getSecretValue(input: GetSecretValueCommandInput) {
    const secret = this.find(input.SecretId ?? '');
    let version: Version | undefined;
    if (input.VersionId) {
      version = secret.versions.get(input.VersionId);
      if (version && input.VersionStage && !version.stages.has(input.VersionStage)) version = undefined;
    } else {
      version = this.versionWith(secret, input.VersionStage ?? CURRENT);
    }
    if (!version || (version.value === undefined && version.binary === undefined)) {
      throw notFound(
        `Secrets Manager can't find the specified secret value for ${input.VersionId ? `VersionId: ${input.VersionId}` : `staging label: ${input.VersionStage ?? CURRENT}`}`,
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      ...(version.binary === undefined ? { SecretString: version.value } : { SecretBinary: version.binary }),
      VersionStages: [...version.stages],
      CreatedDate: version.createdAt,
    };
  }

  putSecretValue(input: PutSecretValueCommandInput) {
    const secret = this.find(input.SecretId ?? '');
    const token = input.ClientRequestToken ?? randomUUID();
    const stages = input.VersionStages ?? [CURRENT];
    let version = secret.versions.get(token);
    if (version?.value !== undefined) {
      if (version.value !== input.SecretString) {
        throw new ResourceExistsException({
          message: `A resource with the ID you requested already exists (version ${token} has a different value).`,
          ...meta,
        });
      }
      return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...version.stages] };
    }
    if (!version) {
      version = { id: token, stages: new Set(), createdAt: new Date() };
      secret.versions.set(token, version);
    }
    version.value = input.SecretString;
    for (const stage of stages) this.attach(secret, stage, version);
    return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...version.stages] };
  }

  describeSecret(secretId: string) {
    const secret = this.find(secretId);
    const VersionIdsToStages: Record<string, string[]> = {};
    for (const v of secret.versions.values()) if (v.stages.size > 0) VersionIdsToStages[v.id] = [...v.stages];
    return {
      ARN: secret.arn,
      Name: secret.name,
      RotationEnabled: secret.rotationEnabled,
      RotationLambdaARN: secret.rotationLambdaArn,
      LastRotatedDate: secret.lastRotatedDate,
      LastChangedDate: secret.lastChangedDate,
      VersionIdsToStages,
    };
  }

  updateSecretVersionStage(input: UpdateSecretVersionStageCommandInput) {
    const secret = this.find(input.SecretId ?? '');
    const stage = input.VersionStage ?? '';
    const holder = this.versionWith(secret, stage);
    if (input.RemoveFromVersionId && holder?.id !== input.RemoveFromVersionId) {
      throw new InvalidParameterException({
        message: `The staging label ${stage} is not attached to version ${input.RemoveFromVersionId}.`,
        ...meta,
      });
    }
    if (input.MoveToVersionId) {
      const target = secret.versions.get(input.MoveToVersionId);
      if (!target) throw notFound(`Secrets Manager can't find version ${input.MoveToVersionId}.`);
      if (holder && holder !== target && !input.RemoveFromVersionId) {
        throw new InvalidParameterException({
          message: `The staging label ${stage} is currently attached to version ${holder.id}: specify RemoveFromVersionId.`,
          ...meta,
        });
      }
      this.attach(secret, stage, target);
    } else if (holder) {
      holder.stages.delete(stage);
      secret.lastChangedDate = new Date();
    }
    return { ARN: secret.arn, Name: secret.name };
  }

  async rotateSecret(input: RotateSecretCommandInput) {
    const secret = this.find(input.SecretId ?? '');
    if (!secret.rotationEnabled && !input.RotationLambdaARN) {
      throw new InvalidRequestException({
        message: 'No Lambda rotation function ARN is associated with this secret.',
        ...meta,
      });
    }
    const token = input.ClientRequestToken ?? randomUUID();
    const pending = this.versionWith(secret, PENDING);
    if (pending && !pending.stages.has(CURRENT) && pending.id !== token) {
      throw new InvalidRequestException({
        message: "A previous rotation isn't complete. That rotation will be reattempted.",
        ...meta,
      });
    }
    secret.rotationEnabled = true;
    if (!secret.versions.has(token)) {
      const version: Version = { id: token, stages: new Set(), createdAt: new Date() };
      secret.versions.set(token, version);
      pending?.stages.delete(PENDING);
      version.stages.add(PENDING);
    }
    this.inFlight = this.drive(secret, token);
    if (!this.deferRotation) await this.inFlight;
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  }

  private async drive(secret: Secret, token: string): Promise<void> {
    if (!this.rotator) return;
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      try {
        await this.rotator({ Step: step, SecretId: secret.arn, ClientRequestToken: token });
        this.rotationLog.push({ step, token, ok: true });
      } catch (err) {
        this.rotationLog.push({ step, token, ok: false, error: (err as Error).message });
        return;
      }
    }
    if (secret.versions.get(token)?.stages.has(CURRENT)) secret.lastRotatedDate = new Date();
  }
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** GetRandomPassword with its options (length, exclusions, each included type required by default). */
export function randomPassword(input: GetRandomPasswordCommandInput): string {
  const length = input.PasswordLength ?? 32;
  const exclude = new Set(input.ExcludeCharacters ?? '');
  const classes = [
    input.ExcludeLowercase ? '' : LOWER,
    input.ExcludeUppercase ? '' : UPPER,
    input.ExcludeNumbers ? '' : DIGITS,
    input.ExcludePunctuation ? '' : PUNCTUATION,
    input.IncludeSpace ? ' ' : '',
  ]
    .map((c) => [...c].filter((ch) => !exclude.has(ch)).join(''))
    .filter((c) => c.length > 0);
  const all = classes.join('');
  if (all.length === 0)
    throw new InvalidParameterException({ message: 'No characters left to choose from.', ...meta });
  const chars = Array.from({ length }, () => all[randomInt(all.length)] as string);
  if (input.RequireEachIncludedType !== false) {
    classes.forEach((c, i) => {
      if (i < length) chars[i] = c[randomInt(c.length)] as string;
    });
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
    }
  }
  return chars.join('');
}
