import * as z from '../functions/shared/zod-mini.js';

/** Parameters every runbook accepts besides its own. */
export const reason = z._default(z.string().check(z.minLength(1), z.maxLength(500)), 'requested');

/**
 * Revert: a revertible runbook started with `revertOf` restores the state captured by that
 * earlier execution (read from its output by whoever asks for the revert: Slack or `ops`).
 */
export const revertFields = {
  revertOf: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,80}$/))),
  /** The `before` state captured by the run being reverted. */
  restore: z.optional(z.record(z.string(), z.unknown())),
};

export const ebsVolumeId = z
  .string()
  .check(z.regex(/^vol-[0-9a-f]{8,17}$/, 'an EBS volume id looks like vol-0123456789abcdef0'));
export const clusterName = z
  .string()
  .check(z.regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'not a valid EKS cluster name'));
export const k8sName = z
  .string()
  .check(z.regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'not a valid Kubernetes name'));

/**
 * A guard rail refused the run (not allow-listed, above a ceiling, owned by someone else):
 * thrown by a runbook's planning step before any mutating call. Step Functions reports it
 * under this name (a Lambda error's name is the state's error), and the run fails with the reason.
 */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}
