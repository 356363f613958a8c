import type * as z from 'zod/mini';

/**
 * What every runbook declares about itself, without AWS or CDK: the intake, the `ops`
 * command, the Slack endpoint and the infra all read runbooks through this shape.
 * Each runbook folder exports one `RunbookSpec` from `spec.ts`; its CDK workflow lives
 * beside it in `workflow.ts` and is imported by `infra/` only.
 */

export type RunbookMode = 'auto' | 'approval';

export interface RunbookPolicyDefaults {
  /** `auto` runs at once; `approval` pauses on a Slack Approve / Reject step first. */
  readonly mode: RunbookMode;
  /** De-duplication window: events for the same runbook + resource inside it map to one execution name. */
  readonly windowMinutes: number;
  /** Rate limit per runbook + resource: at most `maxRuns` starts per `perMinutes`. */
  readonly rateLimit: { readonly maxRuns: number; readonly perMinutes: number };
  /** Circuit breaker per runbook: opens after `failures` failed runs inside `perMinutes`, for `openMinutes`. */
  readonly circuitBreaker: {
    readonly failures: number;
    readonly perMinutes: number;
    readonly openMinutes: number;
  };
  /** How long the per-resource lock is held at most (released earlier when the run ends). */
  readonly lockMinutes: number;
}

export interface RunbookSpec<P extends z.ZodMiniType = z.ZodMiniType> {
  /** kebab-case, also the state machine's name suffix and the first part of every execution name. */
  readonly name: string;
  /** One line for `ops list`, Slack `/ops list` and the README. */
  readonly summary: string;
  /** What triggers it, as prose for `ops list`. */
  readonly triggers: readonly string[];
  /** Whether it changes anything in AWS (the backup verification does not, except its scratch restores). */
  readonly mutating: boolean;
  /** Whether a `revert` of a finished run is supported. */
  readonly revertible: boolean;
  /**
   * The runbook's parameters: validated at the intake, in Slack, and by the workflow's first step. A
   * zod/mini object (functions/shared/zod-mini.ts), so a step function whose schemas are all zod/mini
   * carries no classic zod (test/unit/runbooks/parameters-build.test.ts).
   */
  readonly parameters: P;
  readonly defaults: RunbookPolicyDefaults;
  /**
   * The resource a run of these parameters touches: the lock, rate-limit and dedup key.
   * Must be stable for the same target however the parameters were spelled.
   */
  resourceKey(params: z.infer<P>): string;
}

/** The input every runbook state machine receives from the intake (and from Slack / schedules via the intake). */
export interface RunbookInput<P = Record<string, unknown>> {
  readonly runbook: string;
  readonly stage: string;
  readonly parameters: P;
  readonly dryRun: boolean;
  readonly mode: RunbookMode;
  /** The run's correlation id, identical to the Step Functions execution name. */
  readonly executionName: string;
  readonly resourceKey: string;
  readonly trigger: RunTrigger;
  /** Why the intake started it: the policy rule's reasons. */
  readonly reasons: readonly string[];
  /** The guards the intake evaluated before starting it (name, pass/block/skip, detail), for the audit record. */
  readonly guards?: readonly { readonly name: string; readonly outcome: string; readonly detail: string }[];
}

export interface RunTrigger {
  readonly source: string;
  readonly kind: string;
  readonly correlationId: string;
  readonly occurredAt: string;
  readonly summary: string;
  readonly link?: string;
  /** Slack user id, IAM ARN, `schedule:<name>` or `datadog:<monitor>`. */
  readonly requestedBy: string;
  /** Slack thread to report into, when the trigger came from (or was announced in) Slack. */
  readonly slack?: { readonly channel: string; readonly threadTs?: string; readonly responseUrl?: string };
}

/** What every run ends with, success or not: the structured result reported and audited. */
export interface RunResult {
  readonly outcome: 'succeeded' | 'failed' | 'dry-run' | 'rejected' | 'timed-out';
  readonly summary: string;
  readonly changes: readonly RunChange[];
  readonly links?: readonly { readonly title: string; readonly url: string }[];
  /** For failures: the state that failed and the error, in words an on-call engineer can act on. */
  readonly error?: { readonly step: string; readonly cause: string };
  /**
   * For a revertible runbook: the `restore` parameter a revert run takes to undo this run
   * (start the same runbook with `revertOf: <this execution>` and `restore: <this>`).
   */
  readonly revert?: Record<string, unknown>;
}

export interface RunChange {
  readonly action: string;
  readonly resource: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly requestId?: string;
  /** When the change was made (ISO-8601): measures time from the triggering event to the change. */
  readonly at?: string;
}
