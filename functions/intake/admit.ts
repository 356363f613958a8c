import type { AutomationConfig } from '../../config/schema.js';
import { findRunbook } from '../../runbooks/registry.js';
import { blocked, type Decision, type GuardResult, REASON, withGuard } from './decision.js';
import { type GuardStore, GuardStoreUnavailableError } from './guard-store.js';
import { type EffectivePolicy, effectivePolicy } from './guards.js';

/** What `admit` took for a start, so `start` can give it back if the start does not happen. */
export interface Held {
  readonly runbook: string;
  readonly resourceKey: string;
  readonly executionName: string;
  readonly policy: EffectivePolicy;
  claim: boolean;
  lock: boolean;
  rateToken: boolean;
}

export interface Admission {
  readonly decision: Decision;
  /** Present when the decision is still `start`: the claim, lock and rate token now held for it. */
  readonly held?: Held;
}

const pass = (name: string, detail: string): GuardResult => ({ name, outcome: 'pass', detail });
const blockGuard = (name: string, detail: string): GuardResult => ({ name, outcome: 'block', detail });
const skip = (name: string, detail: string): GuardResult => ({ name, outcome: 'skip', detail });

/** Gives back whatever `held` still holds, best effort (what cannot be undone expires on its own). */
export async function release(store: GuardStore, held: Held): Promise<void> {
  const steps: Promise<void>[] = [];
  if (held.rateToken)
    steps.push(store.returnRateToken(held.runbook, held.resourceKey, held.policy.rateLimit));
  if (held.lock) steps.push(store.releaseLock(held.runbook, held.resourceKey, held.executionName));
  if (held.claim) steps.push(store.releaseClaim(held.executionName));
  await Promise.allSettled(steps);
  held.rateToken = false;
  held.lock = false;
  held.claim = false;
}

/**
 * The stateful guards, in order: kill switch and pause (SSM), circuit breaker, de-duplication claim,
 * per-resource lock, rate limit (DynamoDB). Only a `start` decision is checked; any other passes
 * through untouched (a notification never depends on the guard store). Fails closed: if the store
 * cannot answer, the decision becomes `reject` with reason `guard-store-unavailable`.
 */
export async function admit(
  decision: Decision,
  store: GuardStore,
  ctx: { readonly automation: AutomationConfig },
): Promise<Admission> {
  if (decision.action !== 'start') return { decision };
  const { runbook, resourceKey, executionName } = decision;
  const spec = runbook ? findRunbook(runbook) : undefined;
  if (!spec || !resourceKey || !executionName) {
    return {
      decision: blocked(
        decision,
        'reject',
        blockGuard('admission', 'incomplete start decision'),
        'incomplete start decision',
      ),
    };
  }
  const policy = effectivePolicy(spec, ctx.automation);
  const held: Held = {
    runbook: spec.name,
    resourceKey,
    executionName,
    policy,
    claim: false,
    lock: false,
    rateToken: false,
  };
  let d = decision;
  try {
    const flags = await store.readFlags(spec.name);
    if (flags.killSwitch) {
      const g = blockGuard('kill-switch', `the kill switch /ops/${store.stage}/kill-switch is on`);
      return { decision: blocked(d, 'ignore', g, 'kill switch is on: no automation starts') };
    }
    d = withGuard(d, pass('kill-switch', 'off'));
    if (flags.paused) {
      const g = blockGuard('paused', `/ops/${store.stage}/paused/${spec.name} is on`);
      return { decision: blocked(d, 'ignore', g, `runbook ${spec.name} is paused`) };
    }
    d = withGuard(d, pass('paused', 'off'));

    const openUntil = await store.breakerOpenUntil(spec.name);
    if (openUntil !== undefined) {
      const g = blockGuard('circuit-breaker', `open until ${new Date(openUntil).toISOString()}`);
      return {
        decision: blocked(d, 'notify', g, `circuit breaker for ${spec.name} is open after repeated failures`),
      };
    }
    d = withGuard(d, pass('circuit-breaker', 'closed'));

    const keepSeconds = Math.max(policy.windowMinutes * 120, 86_400);
    if ((await store.claimExecution(executionName, keepSeconds)) === 'duplicate') {
      const g = blockGuard('dedup', `${executionName} was already claimed or started`);
      return { decision: blocked(d, 'ignore', g, REASON.duplicate) };
    }
    held.claim = true;
    d = withGuard(d, pass('dedup', `claimed ${executionName}`));

    if (d.dryRun) {
      d = withGuard(d, skip('lock', 'dry run changes nothing'));
      d = withGuard(d, skip('rate-limit', 'dry run changes nothing'));
      return { decision: d, held };
    }

    const lock = await store.acquireLock(spec.name, resourceKey, executionName, policy.lockMinutes);
    if (!lock.acquired) {
      await release(store, held);
      const g = blockGuard('lock', `held by ${lock.heldBy} until ${new Date(lock.untilMs).toISOString()}`);
      return { decision: blocked(d, 'ignore', g, `resource ${resourceKey} is locked by run ${lock.heldBy}`) };
    }
    held.lock = true;
    d = withGuard(d, pass('lock', `held until the run ends (at most ${policy.lockMinutes} min)`));

    const { maxRuns, perMinutes } = policy.rateLimit;
    if (!(await store.takeRateToken(spec.name, resourceKey, policy.rateLimit))) {
      await release(store, held);
      const g = blockGuard('rate-limit', `${maxRuns} runs per ${perMinutes} min reached`);
      return {
        decision: blocked(
          d,
          'notify',
          g,
          `rate limit for ${spec.name} on ${resourceKey} reached (${maxRuns}/${perMinutes} min)`,
        ),
      };
    }
    held.rateToken = true;
    d = withGuard(d, pass('rate-limit', `within ${maxRuns} runs per ${perMinutes} min`));
    return { decision: d, held };
  } catch (err) {
    if (!(err instanceof GuardStoreUnavailableError)) throw err;
    await release(store, held);
    const g = blockGuard('guard-store', err.message);
    return { decision: blocked(d, 'reject', g, REASON.guardStoreUnavailable) };
  }
}
