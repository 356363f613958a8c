import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * zod's `mini` build, with its English messages: the same validation core as classic zod, with
 * functions in place of methods. Classic zod builds every schema with its whole method set and,
 * bundled, is about 96 KiB that each cold start compiles; `zod/mini` is about 19 KiB with one schema.
 * Used by the runbooks' parameters and shared fields (runbooks/types.ts), a runbook's step schemas,
 * and the functions whose schemas are their own: the approval hook, the kube function, the alarm
 * notifier, the report hook, the Slack endpoint, the Slack run-ended function, the rotation function
 * and the backup verification's EBS content check and sweep step. A bundle pays classic zod as soon
 * as one of its modules imports it; one with both builds carries zod's core once and a few KiB of
 * mini besides (test/bundles/bundle-weight.test.ts). `zod/mini` loads no locale by itself: without
 * this, a refusal would read "Invalid input" with no field or reason.
 */
config(en());

export * from 'zod/mini';
