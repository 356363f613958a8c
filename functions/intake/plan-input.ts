/**
 * `ops plan`'s input, before any normaliser: the raw text as JSON, one object, and which reader it needs.
 * Imports no source and builds no schema, so a caller can load only the normaliser an event needs
 * (the pre-built `ops plan`, bin/cli/event-sources.ts); `plan.ts` runs the same steps with every source.
 */

/** The input of `ops plan` could not be read as an event at all. */
export class PlanInputError extends Error {
  override readonly name = 'PlanInputError';
}

/** Raw text → its JSON value; text that is not JSON is a `PlanInputError`. */
export function parseEventText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PlanInputError(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The parsed event as an object; anything else is a `PlanInputError`. */
export function eventObject(parsed: unknown): Record<string, unknown> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PlanInputError('not a JSON object: an event or a Datadog webhook body is one object');
  }
  return parsed as Record<string, unknown>;
}

/** A Datadog webhook body (our payload template): no EventBridge envelope, Datadog's alert fields. */
export function looksLikeDatadogWebhook(value: Record<string, unknown>): boolean {
  return (
    !('detail-type' in value) && ('alert_transition' in value || 'alert_id' in value || 'event_type' in value)
  );
}
