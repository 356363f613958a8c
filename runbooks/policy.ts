import type { AutomationConfig } from '../config/schema.js';
import type { Severity, Signal } from '../events/signal.js';
import type { RunbookPlugin } from './plugin.js';

/** What a policy rule sees besides the signal: the stage's automation settings. Pure data, no clients. */
export interface PolicyContext {
  readonly stage: string;
  readonly automation: AutomationConfig;
  /** The runbooks to decide with; the registry when omitted (a test may add a fixture runbook). */
  readonly runbooks?: readonly RunbookPlugin[];
  /**
   * What the cross-cutting security notifications say about this signal (their notify verdict), or
   * undefined when they say nothing. Set by the intake for a runbook's incident rules, so a repair
   * tells the incident in the same words the notification would have used.
   */
  readonly securityNotice?: (signal: Signal) => NotifyVerdict | undefined;
}

/** Start `runbook` with these (not yet validated) parameters. */
export interface StartVerdict {
  readonly verdict: 'start';
  readonly runbook: string;
  readonly parameters: Record<string, unknown>;
  readonly reasons: readonly string[];
  /** Tell people as well as start the run (an incident a runbook repairs stays a notification too). */
  readonly alsoNotify?: boolean;
}
export interface NotifyVerdict {
  readonly verdict: 'notify';
  readonly severity: Severity;
  readonly reasons: readonly string[];
}
export interface IgnoreVerdict {
  readonly verdict: 'ignore';
  readonly reasons: readonly string[];
}
export interface RejectVerdict {
  readonly verdict: 'reject';
  readonly reasons: readonly string[];
}
export interface NotApplicable {
  readonly verdict: 'not-applicable';
}
export type Verdict = StartVerdict | NotifyVerdict | IgnoreVerdict | RejectVerdict | NotApplicable;

/**
 * One policy rule: a pure function of the signal and the stage's settings. A rule that fans out
 * (the ingress load balancer re-points every configured record) returns several start verdicts.
 */
export interface PolicyRule {
  readonly name: string;
  /** One line for `ops plan` reasons and the README. */
  readonly description: string;
  evaluate(signal: Signal, ctx: PolicyContext): Verdict | readonly StartVerdict[];
}

export const NOT_APPLICABLE: NotApplicable = { verdict: 'not-applicable' };

export const start = (
  runbook: string,
  parameters: Record<string, unknown>,
  ...reasons: string[]
): StartVerdict => ({
  verdict: 'start',
  runbook,
  parameters,
  reasons,
});
export const notify = (severity: Severity, ...reasons: string[]): NotifyVerdict => ({
  verdict: 'notify',
  severity,
  reasons,
});
export const ignore = (...reasons: string[]): IgnoreVerdict => ({ verdict: 'ignore', reasons });
export const reject = (...reasons: string[]): RejectVerdict => ({ verdict: 'reject', reasons });

/** A detail as a string, from the first key that holds one (details, then resource attributes). */
export function fact(signal: Signal, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const v = signal.details[key] ?? signal.resource.attributes[key];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  }
  return undefined;
}

/** A detail as a list of strings (a single string counts as a one-element list). */
export function facts(signal: Signal, ...keys: string[]): string[] {
  for (const key of keys) {
    const v = signal.details[key];
    if (Array.isArray(v)) return v;
    if (typeof v === 'string' && v !== '') return [v];
  }
  return [];
}

/**
 * Whitespace that `replace(/\s+/g, ' ').trim()` would change: any whitespace but a plain space, two spaces
 * in a row, or a space at either end (`\s` and `trim` know the same whitespace).
 */
const NOT_ONE_LINE = /[^\S ]| {2}|^ | $/;

/** The reason a runbook records: one line, within the runbooks' 500-character limit. */
export function runReason(text: string): string {
  // Already one line (the usual case): nothing to collapse or cut.
  if (text !== '' && text.length <= 500 && !NOT_ONE_LINE.test(text)) return text;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 500 ? `${oneLine.slice(0, 497)}...` : oneLine || 'requested';
}

/** The CloudTrail event name of a signal, when it is one. */
export function eventName(signal: Signal): string | undefined {
  if (signal.source !== 'cloudtrail') return undefined;
  return fact(signal, 'eventName');
}
