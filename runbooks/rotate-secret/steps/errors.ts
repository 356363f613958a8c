/**
 * Errors the rotation functions raise. Every message names the secret, the step and what to
 * do, and never contains a secret value: messages are logged, reported to Slack and stored in
 * Step Functions' history.
 */

/** Wrong set-up: rotation not enabled, a secret this function is not for, TLS off toward a remote host. */
export class RotationConfigError extends Error {
  override readonly name = 'RotationConfigError';
}

/** The labels of the secret's versions do not allow this step (unknown token, token not pending). */
export class RotationStateError extends Error {
  override readonly name = 'RotationStateError';
}

/** A secret value does not have the shape its strategy needs (names the fields, never the values). */
export class MalformedSecretError extends Error {
  override readonly name = 'MalformedSecretError';
}

/** The database cannot be reached (refused, timed out, unknown host, TLS handshake failed). */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
}

/** The database rejected a login. `credential` says which one: master, current, pending or previous. */
export class DatabaseLoginError extends Error {
  override readonly name = 'DatabaseLoginError';
  constructor(
    message: string,
    readonly credential: 'master' | 'current' | 'pending' | 'previous',
  ) {
    super(message);
  }
}

/** A statement failed; the message carries the server's error code only (statements may hold passwords). */
export class DatabaseStatementError extends Error {
  override readonly name = 'DatabaseStatementError';
}

/** A stuck rotation that could neither be finished nor abandoned safely: a person must look. */
export class RecoveryError extends Error {
  override readonly name = 'RecoveryError';
}
