import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Signal } from '../../events/signal.js';
import type { RunbookInput, RunTrigger } from '../../runbooks/types.js';
import { type Admission, release } from './admit.js';
import { blocked, type Decision, REASON, withGuard } from './decision.js';
import type { GuardStore } from './guard-store.js';

export interface StartDeps {
  readonly sfn: SFNClient;
  /** Runbook name → state machine ARN (set by infra as a JSON map). */
  readonly stateMachines: Readonly<Record<string, string>>;
  readonly stage: string;
  readonly store: GuardStore;
}

export interface StartOutcome {
  readonly decision: Decision;
  readonly executionArn?: string;
}

function requestedBy(signal: Signal): string {
  if (signal.request) return signal.request.requestedBy;
  if (signal.source === 'schedule') return `schedule:${signal.resource.id}`;
  if (signal.source === 'datadog') return `datadog:${signal.resource.id}`;
  return signal.actor?.id ?? signal.actor?.name ?? `${signal.source}:unknown`;
}

/** The trigger a run records and reports: who or what asked, and where to report back. */
export function triggerOf(signal: Signal): RunTrigger {
  const slack = signal.request?.slack;
  return {
    source: signal.source,
    kind: signal.kind,
    correlationId: signal.correlationId,
    occurredAt: signal.occurredAt,
    summary: signal.summary,
    ...(signal.link ? { link: signal.link } : {}),
    requestedBy: requestedBy(signal),
    ...(slack ? { slack } : {}),
  };
}

export function runbookInput(signal: Signal, decision: Decision, stage: string): RunbookInput {
  if (!decision.runbook || !decision.executionName || !decision.resourceKey || !decision.mode) {
    throw new Error('runbookInput needs a start decision');
  }
  return {
    runbook: decision.runbook,
    stage,
    parameters: decision.parameters ?? {},
    dryRun: decision.dryRun,
    mode: decision.mode,
    executionName: decision.executionName,
    resourceKey: decision.resourceKey,
    trigger: triggerOf(signal),
    reasons: decision.reasons,
    // Every guard outcome travels with the run, so its audit record says why it was allowed to start.
    guards: decision.guards,
  };
}

/**
 * Starts the runbook's state machine for an admitted decision, named by the decision's execution
 * name. `ExecutionAlreadyExists` means the run exists already: a duplicate, not an error. Any other
 * failure gives back what `admit` took and is rethrown, so the platform retries the event.
 */
export async function start(signal: Signal, admission: Admission, deps: StartDeps): Promise<StartOutcome> {
  const { decision, held } = admission;
  if (decision.action !== 'start' || !held) return { decision };
  const arn = deps.stateMachines[held.runbook];
  if (!arn) {
    await release(deps.store, held);
    const reason = `no state machine is deployed for runbook ${held.runbook} in stage ${deps.stage}`;
    return {
      decision: blocked(decision, 'reject', { name: 'start', outcome: 'block', detail: reason }, reason),
    };
  }
  try {
    const out = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arn,
        name: held.executionName,
        input: JSON.stringify(runbookInput(signal, decision, deps.stage)),
      }),
    );
    const executionArn =
      out.executionArn ?? `${arn.replace(':stateMachine:', ':execution:')}:${held.executionName}`;
    // The run owns the lock and the rate token now; the claim becomes a permanent "started" mark.
    await deps.store.markStarted(held.executionName, executionArn).catch(() => {
      // Not fatal: the claim's lease runs out, and a redelivery then meets ExecutionAlreadyExists.
    });
    return {
      decision: withGuard(decision, { name: 'start', outcome: 'pass', detail: executionArn }),
      executionArn,
    };
  } catch (err) {
    if (err instanceof Error && err.name === 'ExecutionAlreadyExists') {
      // The existing run holds the lock and the claim under the same name: give back the rate token only.
      held.lock = false;
      held.claim = false;
      await release(deps.store, held);
      await deps.store.markStarted(held.executionName, 'existing').catch(() => undefined);
      const g = { name: 'start', outcome: 'block' as const, detail: `${held.executionName} already exists` };
      return { decision: blocked(decision, 'ignore', g, REASON.duplicate) };
    }
    await release(deps.store, held);
    throw err;
  }
}
