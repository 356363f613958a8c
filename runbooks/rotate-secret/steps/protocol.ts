import type { OpsLogger } from '../../../functions/shared/powertools.js';
import * as z from '../../../functions/shared/zod-mini.js';
import { RecoveryError, RotationConfigError, RotationStateError } from './errors.js';
import type { Database } from './mysql.js';
import {
  CURRENT,
  PENDING,
  PREVIOUS,
  type SecretMetadata,
  type SecretStore,
  stalePending,
  versionWith,
} from './secrets.js';
import type { RotationSettings } from './settings.js';
import type { RotationStrategy, StrategyContext } from './strategies.js';

/**
 * The Secrets Manager rotation protocol (createSecret → setSecret → testSecret → finishSecret),
 * following the AWS reference rotation functions, plus two actions the rotate-secret runbook
 * uses: `verify` (does AWSCURRENT work, and is it the version this run asked for) and `recover`
 * (finish or safely abandon a rotation an earlier failure left half done).
 *
 * Invariants:
 * - every step can run again with the same token and changes nothing the second time;
 * - AWSCURRENT moves only in finishSecret, and only after testSecret proved AWSPENDING works;
 * - a pending value is never replaced once written (its token is its version id), because
 *   setSecret may already have given it to the database: dropping it could lose the only
 *   working credential. An unfinished rotation is finished with its own token (`recover`).
 */

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStepName = (typeof ROTATION_STEPS)[number];

export const RotationEventSchema = z.object({
  Step: z.enum(ROTATION_STEPS),
  SecretId: z.string().check(z.minLength(1)),
  ClientRequestToken: z.string().check(z.minLength(32), z.maxLength(64)),
  RotationToken: z.optional(z.string()),
});
export type RotationEvent = z.infer<typeof RotationEventSchema>;

export const VerifyRequestSchema = z.object({
  action: z.literal('verify'),
  secretId: z.string().check(z.minLength(1)),
  /** The version this run's RotateSecret created; omitted = only check that AWSCURRENT works. */
  expectVersionId: z.optional(z.string().check(z.minLength(32), z.maxLength(64))),
});
export const RecoverRequestSchema = z.object({
  action: z.literal('recover'),
  secretId: z.string().check(z.minLength(1)),
});
export const OpsRequestSchema = z.discriminatedUnion('action', [VerifyRequestSchema, RecoverRequestSchema]);
export type OpsRequest = z.infer<typeof OpsRequestSchema>;

export interface RotationDeps {
  readonly store: SecretStore;
  readonly db: Database;
  readonly strategy: RotationStrategy;
  readonly settings: RotationSettings;
  readonly logger: OpsLogger;
}

function context(deps: RotationDeps, meta: SecretMetadata): StrategyContext {
  return { secret: meta.name, store: deps.store, db: deps.db, settings: deps.settings, logger: deps.logger };
}

/** Refuses secrets this function is not configured for (one function per secret, least privilege). */
function guard(meta: SecretMetadata, settings: RotationSettings): void {
  const allowed = settings.secretId;
  if (allowed && allowed !== meta.arn && allowed !== meta.name) {
    throw new RotationConfigError(`this function rotates ${allowed} only, not ${meta.name}`);
  }
}

/** One step of a rotation, as Secrets Manager invokes it. */
export async function rotationStep(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
  const meta = await deps.store.describe(secretId);
  guard(meta, deps.settings);
  const log = { secret: meta.name, step, versionId: token };
  if (!meta.rotationEnabled) {
    throw new RotationConfigError(`secret ${meta.name} is not enabled for rotation`);
  }
  const stages = meta.versions[token];
  if (!stages) {
    throw new RotationStateError(`secret ${meta.name} has no version ${token} to rotate (no staging label)`);
  }
  if (stages.includes(CURRENT)) {
    deps.logger.info('version is already AWSCURRENT: nothing to do', log);
    if (step === 'finishSecret' && stages.includes(PENDING)) await deps.store.clearPending(meta.arn, token);
    return;
  }
  if (!stages.includes(PENDING)) {
    throw new RotationStateError(
      `version ${token} of ${meta.name} is not AWSPENDING: it cannot be rotated to`,
    );
  }
  deps.logger.info('rotation step', log);
  switch (step) {
    case 'createSecret':
      return await createSecret(meta, token, deps);
    case 'setSecret':
      return await setSecret(meta, token, deps);
    case 'testSecret':
      return await testSecret(meta, token, deps);
    case 'finishSecret':
      return await finishSecret(meta, token, deps);
  }
}

async function currentValue(meta: SecretMetadata, deps: RotationDeps): Promise<string> {
  const current = await deps.store.value(meta.arn, { stage: CURRENT });
  if (current === undefined) throw new RotationStateError(`secret ${meta.name} has no AWSCURRENT value`);
  return current;
}

async function pendingValue(meta: SecretMetadata, token: string, deps: RotationDeps): Promise<string> {
  const pending = await deps.store.value(meta.arn, { versionId: token, stage: PENDING });
  if (pending === undefined) {
    throw new RotationStateError(
      `version ${token} of ${meta.name} has no AWSPENDING value: run createSecret first`,
    );
  }
  return pending;
}

async function createSecret(meta: SecretMetadata, token: string, deps: RotationDeps): Promise<void> {
  const ctx = context(deps, meta);
  const current = await currentValue(meta, deps);
  // Validates AWSCURRENT's shape before anything is written.
  deps.strategy.validate(current, 'AWSCURRENT', ctx);
  if ((await deps.store.value(meta.arn, { versionId: token, stage: PENDING })) !== undefined) {
    deps.logger.info('pending value already created', { secret: meta.name, versionId: token });
    return;
  }
  const next = await deps.strategy.next(current, ctx);
  const stored = await deps.store.putPending(meta.arn, token, next);
  deps.logger.info(stored ? 'pending value created' : 'pending value was created concurrently: kept it', {
    secret: meta.name,
    versionId: token,
  });
}

async function setSecret(meta: SecretMetadata, token: string, deps: RotationDeps): Promise<void> {
  const current = await currentValue(meta, deps);
  const pending = await pendingValue(meta, token, deps);
  const previous = await deps.store.value(meta.arn, { stage: PREVIOUS });
  await deps.strategy.set({ current, pending, previous }, context(deps, meta));
}

async function testSecret(meta: SecretMetadata, token: string, deps: RotationDeps): Promise<void> {
  await deps.strategy.test(await pendingValue(meta, token, deps), 'AWSPENDING', context(deps, meta));
  deps.logger.info('pending value works', { secret: meta.name, versionId: token });
}

async function finishSecret(meta: SecretMetadata, token: string, deps: RotationDeps): Promise<void> {
  const currentId = versionWith(meta, CURRENT);
  await deps.store.promote(meta.arn, token, currentId);
  await deps.store.clearPending(meta.arn, token);
  deps.logger.info('rotation finished: version is AWSCURRENT', {
    secret: meta.name,
    versionId: token,
    previousVersionId: currentId,
  });
}

export interface VerifyResult {
  readonly secretId: string;
  readonly versionId: string | null;
  /** AWSCURRENT logs in (database) or is well formed (random). */
  readonly works: boolean;
  /** AWSCURRENT is the version the run asked for (true when none was given). */
  readonly isExpectedVersion: boolean;
  /** Why it does not work (an error name and message, never a value). */
  readonly reason?: string;
}

/** Checks AWSCURRENT: the runbook's verification after a rotation, and its "still works?" on failure. */
export async function verifyCurrent(
  request: { secretId: string; expectVersionId?: string | undefined },
  deps: RotationDeps,
): Promise<VerifyResult> {
  const meta = await deps.store.describe(request.secretId);
  guard(meta, deps.settings);
  const versionId = versionWith(meta, CURRENT) ?? null;
  const isExpectedVersion = request.expectVersionId === undefined || request.expectVersionId === versionId;
  try {
    await deps.strategy.test(await currentValue(meta, deps), 'AWSCURRENT', context(deps, meta));
    deps.logger.info('AWSCURRENT works', { secret: meta.name, versionId, isExpectedVersion });
    return { secretId: meta.name, versionId, works: true, isExpectedVersion };
  } catch (err) {
    const reason = `${(err as Error).name}: ${(err as Error).message}`;
    deps.logger.error('AWSCURRENT does not work', { secret: meta.name, versionId, reason });
    return { secretId: meta.name, versionId, works: false, isExpectedVersion, reason };
  }
}

export interface RecoverResult {
  readonly secretId: string;
  /** none: nothing stuck · completed: the unfinished rotation was finished · abandoned: its AWSPENDING label was removed. */
  readonly outcome: 'none' | 'completed' | 'abandoned';
  readonly versionId?: string;
  readonly reason?: string;
}

/**
 * Unblocks a secret whose earlier rotation stopped half way (RotateSecret then refuses with
 * "A previous rotation isn't complete"). First it finishes that rotation with its own token
 * (every step is idempotent, so racing Secrets Manager's own re-attempt is harmless). If that
 * fails and AWSCURRENT still works, it removes the AWSPENDING label so the next rotation can
 * start (the version and its value stay, retrievable by id). If AWSCURRENT does not work
 * either, it changes nothing and raises RecoveryError: a person must look.
 */
export async function recoverStuck(
  request: { secretId: string },
  deps: RotationDeps,
): Promise<RecoverResult> {
  const meta = await deps.store.describe(request.secretId);
  guard(meta, deps.settings);
  const stale = stalePending(meta);
  if (!stale) return { secretId: meta.name, outcome: 'none' };
  deps.logger.warn('finishing an unfinished rotation', { secret: meta.name, versionId: stale });
  try {
    for (const step of ROTATION_STEPS) {
      await rotationStep({ Step: step, SecretId: meta.arn, ClientRequestToken: stale }, deps);
    }
    return { secretId: meta.name, outcome: 'completed', versionId: stale };
  } catch (err) {
    const reason = `${(err as Error).name}: ${(err as Error).message}`;
    const current = await verifyCurrent({ secretId: meta.arn }, deps);
    if (!current.works) {
      throw new RecoveryError(
        `the unfinished rotation of ${meta.name} (version ${stale}) cannot be finished (${reason}) and AWSCURRENT does not work either (${current.reason}): restore a working credential by hand (see runbooks/rotate-secret/README.md)`,
      );
    }
    const now = await deps.store.describe(meta.arn);
    if (now.versions[stale]?.includes(PENDING)) await deps.store.clearPending(meta.arn, stale);
    deps.logger.warn('abandoned the unfinished rotation; AWSCURRENT works', {
      secret: meta.name,
      versionId: stale,
      reason,
    });
    return { secretId: meta.name, outcome: 'abandoned', versionId: stale, reason };
  }
}
