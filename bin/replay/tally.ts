import type { PlannedDecision, PlanOutput } from '../../functions/intake/plan.js';

/**
 * What `ops replay` keeps while it reads: counters, and at most `LIST_LIMIT` notable decisions and
 * `LIST_LIMIT` unreadable events (the first ones, in input order; the rest are counted). Its size does not
 * grow with the input, which is what lets a day of a busy account's logs replay in bounded memory.
 */
export const LIST_LIMIT = 200;

/** What became of one event (or of one decision, when an event has several). */
export type Outcome =
  | PlannedDecision['action']
  /** A known source that fails its schema: the intake rejects and keeps it. */
  | 'malformed'
  /** No normaliser (e.g. a CloudTrail service event, or a source we do not handle): no rule delivers it. */
  | 'unhandled'
  /** Not readable as an event at all: not JSON, not an object, truncated. */
  | 'unreadable';

export const OUTCOMES: readonly Outcome[] = [
  'start',
  'notify',
  'reject',
  'ignore',
  'malformed',
  'unhandled',
  'unreadable',
];

export interface NotableDecision {
  /** `<file>: Records[i]` / `<file>: line n` / `<file>: [i]` */
  readonly where: string;
  readonly action: PlannedDecision['action'];
  readonly runbook: string | null;
  readonly rule: string | null;
  readonly severity: PlannedDecision['severity'];
  readonly kind: string;
  readonly resource: string;
  readonly occurredAt: string;
  readonly executionName: string | null;
  readonly mode: PlannedDecision['mode'];
  readonly dryRun: boolean;
  readonly why: string;
  /** The EventBridge rules that deliver this event to the intake (empty: none would). */
  readonly eventRules: readonly string[];
}

export interface UnreadableEvent {
  readonly where: string;
  readonly reason: string;
}

export interface ReplaySummary {
  readonly stage: string;
  readonly files: number;
  readonly bytesRead: number;
  /** Events read (CloudTrail records, EventBridge events, lines, array elements), readable or not. */
  readonly events: number;
  readonly decisions: number;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  /** Policy rule → action → decisions; `(no rule)` when none applied. */
  readonly byRule: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Runbook → action → decisions (decisions naming a runbook only). */
  readonly byRunbook: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * EventBridge rule → events it delivers to the intake; `(none)` for events no rule delivers (unhandled
   * ones included). Malformed and unreadable events are not counted here.
   */
  readonly byEventRule: Readonly<Record<string, number>>;
  /** Starts, and notifications of critical severity: what a person would have seen. */
  readonly notable: readonly NotableDecision[];
  readonly notableOmitted: number;
  readonly unreadable: readonly UnreadableEvent[];
  readonly unreadableOmitted: number;
  /** Paths that could not be opened or read at all (exit 1). */
  readonly failed: readonly UnreadableEvent[];
}

export const NO_RULE = '(no rule)';
export const NO_EVENT_RULE = '(none)';

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

function bump2(map: Record<string, Record<string, number>>, key: string, inner: string): void {
  let row = map[key];
  if (!row) {
    row = {};
    map[key] = row;
  }
  bump(row, inner);
}

export function isNotable(d: PlannedDecision): boolean {
  return d.action === 'start' || (d.action === 'notify' && d.severity === 'critical');
}

/** The running totals of one replay. */
export class ReplayTally {
  files = 0;
  bytesRead = 0;
  events = 0;
  decisions = 0;
  private readonly byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  private readonly byRule: Record<string, Record<string, number>> = {};
  private readonly byRunbook: Record<string, Record<string, number>> = {};
  private readonly byEventRule: Record<string, number> = {};
  private readonly notable: NotableDecision[] = [];
  private notableOmitted = 0;
  private readonly unreadable: UnreadableEvent[] = [];
  private unreadableOmitted = 0;
  private readonly failed: UnreadableEvent[] = [];

  constructor(readonly stage: string) {}

  /** One event that normalised: each of its decisions is counted. */
  decided(where: string, output: PlanOutput, eventRules: readonly string[]): void {
    this.events++;
    if (eventRules.length === 0) bump(this.byEventRule, NO_EVENT_RULE);
    for (const rule of eventRules) bump(this.byEventRule, rule);
    const { signal } = output;
    for (const d of output.decisions ?? [output.decision]) {
      this.decisions++;
      this.byOutcome[d.action]++;
      bump2(this.byRule, d.rule ?? NO_RULE, d.action);
      if (d.runbook) bump2(this.byRunbook, d.runbook, d.action);
      if (!isNotable(d)) continue;
      if (this.notable.length >= LIST_LIMIT) {
        this.notableOmitted++;
        continue;
      }
      this.notable.push({
        where,
        action: d.action,
        runbook: d.runbook,
        rule: d.rule,
        severity: d.severity,
        kind: signal.kind,
        resource: `${signal.resource.type} ${signal.resource.id}`,
        occurredAt: signal.occurredAt,
        executionName: d.executionName,
        mode: d.mode,
        dryRun: d.dryRun,
        why: d.reasons[0] ?? '',
        eventRules: [...eventRules],
      });
    }
  }

  /** An event that did not become a signal: malformed, unhandled (counted only) or unreadable (listed too). */
  notDecided(where: string, outcome: 'malformed' | 'unhandled' | 'unreadable', reason?: string): void {
    this.events++;
    this.byOutcome[outcome]++;
    if (outcome === 'unhandled') {
      bump(this.byEventRule, NO_EVENT_RULE);
      return;
    }
    this.listUnreadable(where, reason ?? outcome);
  }

  /** Input that ended early or broke mid-way (a truncated gzip): listed, not counted as an event. */
  brokenInput(where: string, reason: string): void {
    this.listUnreadable(where, reason);
  }

  /** A path that could not be opened or read. */
  failedPath(where: string, reason: string): void {
    if (this.failed.length < LIST_LIMIT) this.failed.push({ where, reason });
  }

  private listUnreadable(where: string, reason: string): void {
    if (this.unreadable.length >= LIST_LIMIT) this.unreadableOmitted++;
    else this.unreadable.push({ where, reason });
  }

  summary(): ReplaySummary {
    return {
      stage: this.stage,
      files: this.files,
      bytesRead: this.bytesRead,
      events: this.events,
      decisions: this.decisions,
      byOutcome: { ...this.byOutcome },
      byRule: structuredClone(this.byRule),
      byRunbook: structuredClone(this.byRunbook),
      byEventRule: { ...this.byEventRule },
      notable: [...this.notable],
      notableOmitted: this.notableOmitted,
      unreadable: [...this.unreadable],
      unreadableOmitted: this.unreadableOmitted,
      failed: [...this.failed],
    };
  }
}
