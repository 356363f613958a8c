import pRetry, { AbortError } from 'p-retry';

/** An error that knows whether trying again later could help (an outage, a rate limit). */
export interface ClassifiedError extends Error {
  readonly transient: boolean;
}

export interface BoundedRetry {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** First back-off in ms, doubled per retry. */
  readonly firstDelayMs: number;
  /** Longest back-off in ms. */
  readonly maxDelayMs: number;
}

/**
 * Runs `attempt` with p-retry: at most `retries` more times, after back-offs of `firstDelayMs`
 * doubling up to `maxDelayMs` (no jitter, so the worst case is known: `attempts × timeout +
 * sum of back-offs`). Each failure is first turned into the caller's classified error; one that is
 * not transient (a bad request, a refused token) ends the retries at once and is what the caller sees.
 */
export async function withBoundedRetry<T>(
  attempt: () => Promise<T>,
  classify: (err: unknown) => ClassifiedError,
  policy: BoundedRetry,
): Promise<T> {
  return pRetry(
    async () => {
      try {
        return await attempt();
      } catch (err) {
        const classified = classify(err);
        if (!classified.transient) throw new AbortError(classified);
        throw classified;
      }
    },
    {
      retries: policy.retries,
      factor: 2,
      minTimeout: policy.firstDelayMs,
      maxTimeout: Math.max(policy.firstDelayMs, policy.maxDelayMs),
      randomize: false,
    },
  );
}
