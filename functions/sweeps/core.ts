import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SweepCheckName } from '../../config/sweeps.js';
import type { SweepFinding } from '../../events/sources/sweep/schema.js';
import type { OpsLogger } from '../shared/powertools.js';
import { type BoundedRetry, withBoundedRetry } from '../shared/retry.js';

/**
 * The sweep runner (issue 14, "Reconciliation"). A schedule names the checks to run; each check reads
 * the account directly and returns findings; every finding is handed to the intake (the same guards,
 * policy and de-duplication as events). One failing check never stops the others: the run reports
 * which failed, and only a check that finished records `SweepRan`, so a check that keeps failing
 * trips its "sweep did not run" alarm as surely as one that never starts.
 */

/** Metric name and dimensions (namespace `OpsAutomation`, service `sweeps`). */
export const SWEEP_RAN_METRIC = 'SweepRan';
export const SWEEP_FAILED_METRIC = 'SweepCheckFailed';
export const SWEEP_FINDINGS_METRIC = 'SweepFindings';
export const SWEEP_CHECK_DIMENSION = 'check';

/** One check: reads what it needs through the clients it closed over, returns what it found. */
export type SweepCheck = (now: Date) => Promise<SweepFinding[]>;

export interface SweepDeps {
  readonly checks: Partial<Record<SweepCheckName, SweepCheck>>;
  /** Hands one finding to the intake. */
  readonly send: (finding: SweepFinding) => Promise<void>;
  readonly logger: OpsLogger;
  readonly metrics: Pick<Metrics, 'singleMetric'>;
  readonly now: () => Date;
}

export interface SweepReport {
  readonly ran: SweepCheckName[];
  readonly failed: { check: SweepCheckName; error: string }[];
  readonly findings: number;
}

/** Raised after every check ran when one of them failed: the function's Errors alarm tells people. */
export class SweepFailedError extends Error {
  override readonly name = 'SweepFailedError';
}

function record(deps: SweepDeps, name: string, check: string, value: number): void {
  const m = deps.metrics.singleMetric();
  m.addDimension(SWEEP_CHECK_DIMENSION, check);
  m.addMetric(name, MetricUnit.Count, value);
}

export async function runSweeps(names: readonly SweepCheckName[], deps: SweepDeps): Promise<SweepReport> {
  const report: SweepReport = { ran: [], failed: [], findings: 0 };
  let findings = 0;
  for (const name of names) {
    const check = deps.checks[name];
    try {
      if (!check) throw new Error(`check ${name} is not configured in this function`);
      const found = await check(deps.now());
      for (const finding of found) await deps.send(finding);
      findings += found.length;
      record(deps, SWEEP_RAN_METRIC, name, 1);
      record(deps, SWEEP_FINDINGS_METRIC, name, found.length);
      deps.logger.info('sweep check ran', {
        check: name,
        findings: found.map((f) => ({ condition: f.condition, resource: f.resource.id })),
      });
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      report.failed.push({ check: name, error });
      record(deps, SWEEP_FAILED_METRIC, name, 1);
      deps.logger.error('sweep check failed', { check: name, error });
      continue;
    }
    report.ran.push(name);
  }
  return { ...report, findings };
}

// -------------------------------------------------------------------------------------- AWS calls

/** AWS error codes that mean "slow down" or "try again": retried with back-off. */
const TRANSIENT =
  /^(Throttling|ThrottlingException|ThrottledException|RequestLimitExceeded|TooManyRequestsException|RequestThrottled|RequestThrottledException|ProvisionedThroughputExceededException|ServiceUnavailable|ServiceUnavailableException|InternalError|InternalFailure|InternalServerError)$/;

class AwsCallError extends Error {
  override readonly name = 'AwsCallError';
  constructor(
    message: string,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The retry budget of one read: 4 more attempts after 0.2, 0.4, 0.8, 1.6 s (3 s at most in back-off). */
export const READ_RETRY: BoundedRetry = { retries: 4, firstDelayMs: 200, maxDelayMs: 1600 };

/** One AWS read, retried with p-retry when AWS throttles or has a passing fault; other errors at once. */
export function read<T>(what: string, call: () => Promise<T>, policy = READ_RETRY): Promise<T> {
  return withBoundedRetry(
    call,
    (err) => {
      const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
      const code = e.name ?? e.Code ?? 'Error';
      const status = e.$metadata?.httpStatusCode;
      const transient = TRANSIENT.test(code) || status === 429 || (status !== undefined && status >= 500);
      const message = err instanceof Error ? err.message : String(err);
      return new AwsCallError(`${what}: ${code}: ${message}`, transient, { cause: err });
    },
    policy,
  );
}

/** Every page of a paginated read (`NextToken`-style), bounded so a looping token cannot run forever. */
export async function allPages<P, I>(
  what: string,
  page: (token: string | undefined) => Promise<P>,
  items: (p: P) => readonly I[] | undefined,
  next: (p: P) => string | undefined,
  maxPages = 100,
): Promise<I[]> {
  const out: I[] = [];
  let token: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const p = await read(what, () => page(token));
    out.push(...(items(p) ?? []));
    token = next(p);
    if (!token) return out;
  }
  throw new Error(`${what}: more than ${maxPages} pages; refusing to judge a partial listing`);
}
