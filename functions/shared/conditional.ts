/**
 * The one test for "a conditional write was refused because its condition did not hold", used by
 * every store. A refused condition is an answer (the item exists, the approval was resolved, the
 * lock is held), not a failure; anything else is rethrown by the caller.
 *
 * DynamoDB answers `ConditionalCheckFailedException` (HTTP 400). The SDK raises it as an instance
 * of that class, but an error that crossed a bundle boundary or a test double carries only the
 * name, so the name decides.
 */
export function isConditionalCheckFailed(err: unknown): boolean {
  return (err as { name?: unknown } | null | undefined)?.name === 'ConditionalCheckFailedException';
}

/**
 * S3's answer to a conditional put (`If-None-Match: *`) when the object already exists:
 * `PreconditionFailed`, HTTP 412. (A `ConditionalRequestConflict`, HTTP 409, is a concurrent
 * write in flight: not an answer, so the caller retries it.)
 */
export function isPreconditionFailed(err: unknown): boolean {
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null | undefined;
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
}
