import {
  OpsRequestSchema,
  type RecoverResult,
  type RotationDeps,
  RotationEventSchema,
  recoverStuck,
  rotationStep,
  type VerifyResult,
  verifyCurrent,
} from './protocol.js';

/**
 * What the rotation Lambda does with an event, given its dependencies: a Secrets Manager
 * rotation step `{ Step, SecretId, ClientRequestToken }`, or one of the rotate-secret runbook's
 * actions `{ action: 'verify' | 'recover', secretId }`. handler.ts binds it to the real clients.
 */

export class UnrecognisedRotationEventError extends Error {
  override readonly name = 'UnrecognisedRotationEventError';
}

export type RotationHandler = (event: unknown) => Promise<VerifyResult | RecoverResult | undefined>;

export function createRotationHandler(deps: RotationDeps): RotationHandler {
  return async (event) => {
    try {
      const rotation = RotationEventSchema.safeParse(event);
      if (rotation.success) {
        deps.logger.appendKeys({ correlationId: rotation.data.ClientRequestToken });
        await rotationStep(rotation.data, deps);
        return undefined;
      }
      const request = OpsRequestSchema.safeParse(event);
      if (!request.success) {
        throw new UnrecognisedRotationEventError(
          'expected a Secrets Manager rotation event { Step, SecretId, ClientRequestToken } or { action: verify | recover, secretId }',
        );
      }
      if (request.data.action === 'verify') return await verifyCurrent(request.data, deps);
      return await recoverStuck(request.data, deps);
    } catch (err) {
      // Our errors name the secret, step and user, never a value; SDK errors carry none either.
      deps.logger.error('rotation function failed', {
        error: { name: (err as Error).name, message: (err as Error).message },
      });
      throw err;
    }
  };
}
