import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * zod's `mini` build, with its English messages, for the functions whose few schemas are all they
 * validate: the approval hook (the frame's request), the kube function (its settings and steps), the
 * alarm notifier (the SNS delivery and the CloudWatch alarm message), the Slack run-ended function
 * (Step Functions' status-change event), the rotation function (its environment, events and secret
 * values) and the backup verification's EBS content check and sweep step (their events). Classic zod
 * builds every schema with its whole method set and, bundled, is about 96 KiB that each cold start
 * compiles; `zod/mini` is the same validation core with functions in place of methods (about 19 KiB
 * with one schema). It pays only where no module of the bundle imports classic zod, so it is used one
 * function at a time (README, "Cold load"). `zod/mini` loads no locale by itself: without this, a
 * refusal would read "Invalid input" with no field or reason.
 */
config(en());

export * from 'zod/mini';
