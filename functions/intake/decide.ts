import type * as z from 'zod';
import type { Signal } from '../../events/signal.js';
import { parserFor } from '../../events/sources/shared.js';
import { decidedAs } from '../../events/sources/sweep/normalise.js';
import { findRunbook, type RunbookPlugin } from '../../runbooks/registry.js';
import type { Decision, GuardResult } from './decision.js';
import { executionName } from './execution-name.js';
import { allowList, effectivePolicy, loopProtection } from './guards.js';
import {
  DEFAULT_RULES,
  type NotifyVerdict,
  type PolicyContext,
  type PolicyRule,
  policyRules,
  type StartVerdict,
  type Verdict,
} from './policy/index.js';
import { securityCalls } from './policy/security-calls.js';

export interface DecideContext extends PolicyContext {
  /** The policy rules, first applicable wins; the shipped defaults when omitted. */
  readonly rules?: readonly PolicyRule[];
}

/** One line per schema issue, `path: message`, as the runbook's schema words it. */
export function formatSchemaError(error: z.core.$ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** What `evaluate` derives from a context once: the rules to run and the context the rules see. */
interface Prepared {
  readonly rules: readonly PolicyRule[];
  readonly ruleCtx: PolicyContext;
}
/**
 * Per context object (`ops plan`, replay and the bench decide many signals with one): the rule list and
 * the rules' context are built once, not per signal (issue 17, intake speed). Contexts are read-only.
 */
const PREPARED = new WeakMap<DecideContext, Prepared>();
const RULES_FOR = new WeakMap<readonly RunbookPlugin[], readonly PolicyRule[]>();

function prepare(ctx: DecideContext): Prepared {
  const found = PREPARED.get(ctx);
  if (found) return found;
  // What the security notifications would say, for the runbooks' incident rules.
  const securityNotice = (s: Signal) => {
    const v = securityCalls.evaluate(s, ctx);
    return !Array.isArray(v) && (v as Verdict).verdict === 'notify' ? (v as NotifyVerdict) : undefined;
  };
  let rules = ctx.rules;
  if (!rules && ctx.runbooks) {
    rules = RULES_FOR.get(ctx.runbooks);
    if (!rules) {
      rules = policyRules(ctx.runbooks);
      RULES_FOR.set(ctx.runbooks, rules);
    }
  }
  const prepared = { rules: rules ?? DEFAULT_RULES, ruleCtx: { ...ctx, securityNotice } };
  PREPARED.set(ctx, prepared);
  return prepared;
}

function evaluate(signal: Signal, ctx: DecideContext): { rule?: PolicyRule; verdicts: readonly Verdict[] } {
  const { rules, ruleCtx } = prepare(ctx);
  const decided = decidedAs(signal); // a sweep finding: as its event path tells it
  for (const rule of rules) {
    const out = rule.evaluate(decided, ruleCtx);
    if (Array.isArray(out)) {
      if (out.length > 0 && out.every((v: Verdict) => v.verdict !== 'not-applicable'))
        return { rule, verdicts: out };
    } else if ((out as Verdict).verdict !== 'not-applicable') {
      return { rule, verdicts: [out as Verdict] };
    }
  }
  return { verdicts: [] };
}

type Draft = { -readonly [K in keyof Decision]?: Decision[K] };

/**
 * A start verdict's decision, begun with the keys every outcome of it carries, in the order they have
 * always had (dry run, severity, runbook, alsoNotify when set): the rest are added in order by the caller.
 * Built key by key, not as `{ ...base, … }`: V8 copies a spread-first literal slowly (about a microsecond
 * a decision, issue 17, intake speed). The JSON is the same.
 */
function startDraft(signal: Signal, verdict: StartVerdict): Draft {
  const draft: Draft = { dryRun: false, severity: signal.severity, runbook: verdict.runbook };
  if (verdict.alsoNotify) draft.alsoNotify = true;
  return draft;
}

/** The keys every start decision ends with, in their order. */
function finish(
  draft: Draft,
  guards: readonly GuardResult[],
  rule: string,
  action: Decision['action'],
  reasons: readonly string[],
): Decision {
  draft.action = action;
  draft.reasons = reasons;
  draft.guards = guards;
  draft.rule = rule;
  return draft as Decision;
}

function planStart(
  signal: Signal,
  verdict: StartVerdict,
  guards: GuardResult[],
  ctx: DecideContext,
  rule: string,
): Decision {
  const draft = startDraft(signal, verdict);
  const reasons = [...verdict.reasons];
  const spec = ctx.runbooks
    ? ctx.runbooks.find((p) => p.spec.name === verdict.runbook)?.spec
    : findRunbook(verdict.runbook);
  if (!spec) {
    guards.push({ name: 'runbook', outcome: 'block', detail: `unknown runbook ${verdict.runbook}` });
    return finish(draft, guards, rule, 'reject', [...reasons, `unknown runbook "${verdict.runbook}"`]);
  }
  const policy = effectivePolicy(spec, ctx.automation);
  if (!policy.enabled) {
    guards.push({
      name: 'enabled',
      outcome: 'block',
      detail: `${spec.name} is disabled in stage ${ctx.stage}`,
    });
    return finish(draft, guards, rule, 'notify', [
      ...reasons,
      `runbook ${spec.name} is disabled in stage ${ctx.stage}: people are told instead`,
    ]);
  }
  guards.push({ name: 'enabled', outcome: 'pass', detail: `${spec.name} is enabled in stage ${ctx.stage}` });

  // zod's generated parser once the schema is in steady use (same answers and messages: parserFor).
  const parsed = parserFor(spec.parameters).safeParse(verdict.parameters);
  if (!parsed.success) {
    const message = formatSchemaError(parsed.error);
    guards.push({ name: 'parameters', outcome: 'block', detail: message });
    draft.action = 'reject';
    draft.parameters = verdict.parameters;
    return finish(draft, guards, rule, 'reject', [
      ...reasons,
      `parameters for ${spec.name} are invalid: ${message}`,
    ]);
  }
  const parameters = parsed.data as Record<string, unknown>;
  guards.push({ name: 'parameters', outcome: 'pass', detail: `valid ${spec.name} parameters` });

  const allowed = allowList(spec.name, parameters, ctx.automation, ctx.runbooks);
  guards.push(allowed);
  if (allowed.outcome === 'block') {
    draft.action = 'reject';
    draft.parameters = parameters;
    return finish(draft, guards, rule, 'reject', [...reasons, allowed.detail]);
  }

  // A request may ask for a dry run; it can never turn a configured dry run into a live one.
  const requestedDryRun = signal.request?.dryRun === true;
  const dryRun = policy.dryRun || requestedDryRun;
  guards.push({
    name: 'dry-run',
    outcome: 'pass',
    detail: dryRun
      ? `dry run${requestedDryRun && !policy.dryRun ? ' (requested)' : ''}: the run reports what it would do and changes nothing`
      : 'live run',
  });
  guards.push({
    name: 'mode',
    outcome: 'pass',
    detail: policy.mode === 'approval' ? 'waits for approval' : 'runs at once',
  });

  const resourceKey = spec.resourceKey(parameters);
  draft.action = 'start';
  draft.parameters = parameters;
  draft.resourceKey = resourceKey;
  draft.executionName = executionName(spec.name, resourceKey, signal.occurredAt, policy.windowMinutes, {
    dryRun,
    revertOf: typeof parameters.revertOf === 'string' ? parameters.revertOf : undefined,
  });
  draft.mode = policy.mode;
  draft.dryRun = dryRun; // the first key: it keeps its place
  return finish(draft, guards, rule, 'start', reasons);
}

/**
 * The pure half of the intake: signal → decisions (one per target; usually exactly one).
 * Loop protection, policy, runbook enablement, parameter schema, allow-lists, dry-run and mode.
 * No clients, no clock, no environment: `ops plan` prints exactly what this returns.
 */
export function decide(signal: Signal, ctx: DecideContext): Decision[] {
  const loop = loopProtection(signal, ctx.automation);
  if (loop.outcome === 'block') {
    return [
      { action: 'ignore', dryRun: false, severity: signal.severity, reasons: [loop.detail], guards: [loop] },
    ];
  }
  const { rule, verdicts } = evaluate(signal, ctx);
  if (!rule) {
    return [
      {
        action: 'ignore',
        dryRun: false,
        severity: signal.severity,
        reasons: [`no policy rule applies to ${signal.kind}`],
        guards: [loop, { name: 'policy', outcome: 'skip', detail: 'no rule applies' }],
      },
    ];
  }
  return verdicts.map((v) => decideVerdict(signal, v, rule, loop, ctx));
}

function decideVerdict(
  signal: Signal,
  v: Verdict,
  rule: PolicyRule,
  loop: GuardResult,
  ctx: DecideContext,
): Decision {
  const guards: GuardResult[] = [loop, { name: 'policy', outcome: 'pass', detail: `rule ${rule.name}` }];
  switch (v.verdict) {
    case 'start':
      return planStart(signal, v, guards, ctx, rule.name);
    case 'notify':
      return {
        action: 'notify',
        dryRun: false,
        severity: v.severity,
        reasons: [...v.reasons],
        guards,
        rule: rule.name,
      };
    case 'ignore':
    case 'reject':
      return {
        action: v.verdict,
        dryRun: false,
        severity: signal.severity,
        reasons: [...v.reasons],
        guards,
        rule: rule.name,
      };
    default:
      // `evaluate` only returns applicable verdicts.
      throw new Error(`rule ${rule.name} returned no verdict`);
  }
}
