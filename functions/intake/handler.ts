import { withLogContext } from '../shared/powertools.js';
import { handleEvent } from './ingest.js';
import { intakeDeps } from './runtime.js';

/**
 * The intake for EventBridge events (one per invocation): rules, schedules and sweeps. Thin: call the
 * core. Datadog webhooks arrive at their own function (webhook-handler.ts) with its own concurrency.
 */
export const handler = withLogContext(async (event: unknown): Promise<undefined> => {
  await handleEvent(event, intakeDeps);
  return undefined;
});
