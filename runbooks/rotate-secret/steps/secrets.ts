import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';

export interface SecretMetadata {
  readonly arn: string;
  readonly name: string;
  readonly rotationEnabled: boolean;
  /** Version id → staging labels, only versions that carry a label. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
}

/** Options for GetRandomPassword, as configured per secret. */
export interface PasswordOptions {
  readonly length: number;
  readonly excludeCharacters: string;
  readonly excludePunctuation?: boolean;
}

/** The Secrets Manager calls the rotation protocol needs, with the label logic in one place. */
export class SecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

  async describe(secretId: string): Promise<SecretMetadata> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    const versions: Record<string, string[]> = {};
    for (const [id, stages] of Object.entries(out.VersionIdsToStages ?? {})) versions[id] = stages ?? [];
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      rotationEnabled: out.RotationEnabled === true,
      versions,
    };
  }

  /** The value at a label and/or version; `undefined` when there is none (or the version is still empty). */
  async value(secretId: string, at: { stage?: string; versionId?: string }): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: at.stage, VersionId: at.versionId }),
      );
      return out.SecretString;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  }

  /**
   * Stores `value` as version `token` with the AWSPENDING label. Idempotent: when a concurrent
   * run of the same step (Secrets Manager's retry racing the runbook's recovery) already stored a
   * value under this token, that value wins and this call returns `false`.
   */
  async putPending(secretId: string, token: string, value: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: token,
          SecretString: value,
          VersionStages: [PENDING],
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ResourceExistsException) return false;
      throw err;
    }
  }

  /** Moves AWSCURRENT to `token` (Secrets Manager moves AWSPREVIOUS to the old current). */
  async promote(secretId: string, token: string, from: string | undefined): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: CURRENT,
        MoveToVersionId: token,
        RemoveFromVersionId: from,
      }),
    );
  }

  /** Detaches AWSPENDING from `versionId` (the version and its value stay, retrievable by id). */
  async clearPending(secretId: string, versionId: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: PENDING,
        RemoveFromVersionId: versionId,
      }),
    );
  }

  async randomPassword(options: PasswordOptions): Promise<string> {
    const out = await this.client.send(
      new GetRandomPasswordCommand({
        PasswordLength: options.length,
        ExcludeCharacters: options.excludeCharacters,
        ExcludePunctuation: options.excludePunctuation,
        RequireEachIncludedType: true,
      }),
    );
    if (!out.RandomPassword) throw new Error('GetRandomPassword returned no password');
    return out.RandomPassword;
  }
}

/** The version id that carries `stage`, if any. */
export function versionWith(meta: SecretMetadata, stage: string): string | undefined {
  return Object.entries(meta.versions).find(([, stages]) => stages.includes(stage))?.[0];
}

/**
 * A pending version left behind by an earlier, unfinished rotation: AWSPENDING on a version
 * that is not AWSCURRENT (and not the token now being rotated). While it exists RotateSecret
 * refuses to start.
 */
export function stalePending(meta: SecretMetadata, token?: string): string | undefined {
  const id = versionWith(meta, PENDING);
  if (!id || id === token) return undefined;
  return meta.versions[id]?.includes(CURRENT) ? undefined : id;
}
