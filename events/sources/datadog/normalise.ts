import { isSafeNumber, parse as parseLossless } from 'lossless-json';
import { MalformedEventError, type Resource, type Severity, type Signal } from '../../signal.js';
import {
  compactDetails,
  compactStrings,
  finalise,
  type NormaliseOptions,
  oneLine,
  parseOrThrow,
  requireIso,
  toIso,
} from '../shared.js';
import { DatadogAlertEventSchema, DatadogWebhookBodySchema } from './schema.js';
import { splitTags, type TagFacts, tagFacts } from './tags.js';

export type TransitionKind = 'alert' | 'warn' | 'recovered' | 'no-data' | 'renotify' | 'other';

const DEFAULT_DATADOG_HOST = 'app.datadoghq.com';

/** "Triggered", "Re-Triggered", "Warn", "Re-Warn", "Recovered", "No Data", "Re-No Data", "Renotify", ... */
export function transitionKind(transition: string): TransitionKind {
  const t = transition.toLowerCase().replace(/[\s_-]+/g, '');
  if (t === 'triggered' || t === 'retriggered' || t === 'alert') return 'alert';
  if (t === 'warn' || t === 'rewarn' || t === 'warning') return 'warn';
  if (t === 'recovered' || t === 'success' || t === 'ok') return 'recovered';
  if (t === 'nodata' || t === 'renodata') return 'no-data';
  if (t === 'renotify' || t === 'renotified') return 'renotify';
  return 'other';
}

const KIND_BY_TRANSITION: Readonly<Record<TransitionKind, { kind: string; severity: Severity }>> = {
  alert: { kind: 'datadog.monitor-alert', severity: 'critical' },
  warn: { kind: 'datadog.monitor-warn', severity: 'warning' },
  'no-data': { kind: 'datadog.monitor-no-data', severity: 'warning' },
  renotify: { kind: 'datadog.monitor-renotify', severity: 'warning' },
  recovered: { kind: 'datadog.monitor-recovered', severity: 'info' },
  other: { kind: 'datadog.monitor-event', severity: 'info' },
};

type TargetType = 'ebs-volume' | 'pvc' | 'node-group' | 'dns-record' | 'secret';

/**
 * The resource an alert is about, from its tags. The `runbook:` tag is a generic fact here: which
 * target kinds a named runbook prefers is the caller's knowledge (`options.runbookTargets`, built by
 * the intake from the runbook registry). A preferred kind the tags name wins; otherwise the most
 * specific target the tags name; otherwise the monitor itself. A `cluster` tag alone names the
 * cluster's node groups only when the runbook prefers node groups.
 */
export function resourceFromTags(
  facts: TagFacts,
  monitorId: string,
  runbookTargets: NormaliseOptions['runbookTargets'] = {},
): Pick<Resource, 'type' | 'id'> {
  const preferred: readonly string[] = (facts.runbook ? runbookTargets[facts.runbook] : undefined) ?? [];
  const volume = facts.volumeId ? { type: 'ebs-volume' as const, id: facts.volumeId } : undefined;
  const pvc =
    facts.pvc && facts.namespace
      ? { type: 'pvc' as const, id: `${facts.cluster ?? 'unknown-cluster'}/${facts.namespace}/${facts.pvc}` }
      : undefined;
  const nodeGroup =
    facts.nodegroup || (facts.cluster && preferred.includes('node-group'))
      ? { type: 'node-group' as const, id: `${facts.cluster ?? 'unknown-cluster'}/${facts.nodegroup ?? '*'}` }
      : undefined;
  const record = facts.record
    ? {
        type: 'dns-record' as const,
        id: [facts.zone, facts.record, facts.recordType ?? 'A'].filter((p) => p !== undefined).join('/'),
      }
    : undefined;
  const secret = facts.secretName ? { type: 'secret' as const, id: facts.secretName } : undefined;
  const targets: Record<TargetType, Pick<Resource, 'type' | 'id'> | undefined> = {
    'ebs-volume': volume,
    pvc,
    'node-group': nodeGroup,
    'dns-record': record,
    secret,
  };
  const wanted = preferred.map((t) => targets[t as TargetType]).find((t) => t !== undefined);
  return wanted ?? volume ?? pvc ?? nodeGroup ?? record ?? secret ?? { type: 'monitor', id: monitorId };
}

interface Alert {
  readonly monitorId: string;
  readonly monitorName?: string;
  readonly transition: string;
  readonly alertType?: string;
  readonly priority?: string;
  readonly query?: string;
  readonly scope?: string;
  readonly title?: string;
  readonly tags: readonly string[];
  readonly eventType?: string;
  readonly alertCycleKey?: string;
  readonly host: string;
}

function buildSignal(
  options: NormaliseOptions,
  alert: Alert,
  envelope: { correlationId: string; occurredAt: string; region?: string; account?: string },
  raw: unknown,
  extra: Record<string, string | undefined>,
): Signal {
  const facts = tagFacts(alert.tags, alert.scope);
  const transition = transitionKind(alert.transition);
  const { kind, severity } = KIND_BY_TRANSITION[transition];
  const target = resourceFromTags(facts, alert.monitorId, options.runbookTargets);
  const name = alert.monitorName ?? alert.title ?? `monitor ${alert.monitorId}`;
  const scope =
    alert.scope && alert.scope !== '*'
      ? ` on ${alert.scope}`
      : target.type !== 'monitor'
        ? ` (${target.type} ${target.id})`
        : '';
  return finalise(
    {
      source: 'datadog',
      kind,
      resource: {
        // Not `...target` (a spread-first literal, slow in V8): the same keys in the same order.
        type: target.type,
        id: target.id,
        region: envelope.region,
        account: envelope.account,
        attributes: compactStrings({
          monitorId: alert.monitorId,
          runbook: facts.runbook,
          cluster: facts.cluster,
          nodegroup: facts.nodegroup,
          namespace: facts.namespace,
          pvc: facts.pvc,
          volumeId: facts.volumeId,
          secretName: facts.secretName,
          zone: facts.zone,
          record: facts.record,
          recordType: facts.recordType,
          tags: alert.tags.join(','),
        }),
      },
      severity,
      occurredAt: envelope.occurredAt,
      correlationId: envelope.correlationId,
      actor: { type: 'service', id: `datadog:monitor/${alert.monitorId}`, name },
      details: compactDetails({
        transition: alert.transition,
        transitionKind: transition,
        monitorId: alert.monitorId,
        monitorName: alert.monitorName,
        alertType: alert.alertType,
        priority: alert.priority,
        query: alert.query,
        scope: alert.scope,
        title: alert.title,
        eventType: alert.eventType,
        alertCycleKey: alert.alertCycleKey,
        runbook: facts.runbook,
        tags: [...alert.tags],
        ...extra,
      }),
      link: `https://${alert.host}/monitors/${alert.monitorId}`,
      summary: oneLine(`[${alert.transition}] ${name}${scope}`),
      raw,
    },
    'datadog',
  );
}

/** The Datadog EventBridge integration ("Datadog Alert Notification") → Signal. */
export function normaliseDatadogEvent(raw: unknown, options: NormaliseOptions = {}): Signal {
  const event = parseOrThrow(DatadogAlertEventSchema, raw, 'datadog', 'Datadog EventBridge alert');
  const d = event.detail;
  const monitor = d.meta.monitor;
  return buildSignal(
    options,
    {
      monitorId: monitor.id,
      monitorName: monitor.name,
      transition: d.meta.transition.trans_name,
      alertType: d.alert_type,
      priority: d.priority,
      query: monitor.query,
      title: d.title,
      tags: splitTags([...d.tags, ...(monitor.tags ?? [])]),
      eventType: d.event_type,
      host: options.datadogHost ?? DEFAULT_DATADOG_HOST,
    },
    {
      correlationId: event.id,
      occurredAt: requireIso(event.time, 'datadog', 'time'),
      region: event.region,
      account: event.account,
    },
    raw,
    { partnerEventSource: event.source, datadogEventId: d.id },
  );
}

/**
 * Parses JSON keeping every integer exactly: safe numbers become numbers, the others stay their decimal
 * text (a Datadog id of 7281010972796602671 must not become 7281010972796602000).
 */
export function parseJsonLosslessly(text: string): unknown {
  const plain = plainJson(text);
  if (plain !== NOT_PLAIN) return plain;
  return parseLossless(text, null, (value: string) => (isSafeNumber(value) ? Number(value) : value));
}

const NOT_PLAIN = Symbol('not plain JSON');
/** Where a number may start in JSON text (after `:`, `,` or `[`), with the characters a number is made of. */
const NUMBER_TOKEN = /[:,[][ \t\n\r]*-?\d[\d.eE+-]*/g;
/** The end of an object key: a quote, JSON whitespace, a colon. Found at least once per key in the text. */
const KEY_END = /"[ \t\n\r]*:/g;

/** Numbers met by the last `countKeys` walk. */
let numbers = 0;

/** Own keys of every object in a JSON.parse result; counts its numbers in `numbers` as it goes. */
function countKeys(value: unknown): number {
  if (typeof value === 'number') numbers++;
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) n += countKeys(item);
    return n;
  }
  for (const key in value) n += 1 + countKeys((value as Record<string, unknown>)[key]);
  return n;
}

/** Whether a number token in the text has an exponent or more than 15 digits. */
function riskyNumber(text: string): boolean {
  NUMBER_TOKEN.lastIndex = 0;
  for (let m = NUMBER_TOKEN.exec(text); m !== null; m = NUMBER_TOKEN.exec(text)) {
    const token = m[0];
    let digits = 0;
    for (let i = 1; i < token.length; i++) {
      const c = token.charCodeAt(i);
      if (c >= 48 && c <= 57) digits++;
      else if (c === 101 || c === 69) return true; // e, E
    }
    if (digits > 15) return true;
  }
  return false;
}

/**
 * The common webhook body, through the engine's own `JSON.parse` (a fifth of the lossless parser's time,
 * issue 17), when that provably gives what the lossless parser gives; otherwise NOT_PLAIN and the lossless
 * parser decides (its value, or its error message). Provably the same when:
 * - no number in the text has an exponent or more than 15 digits (a number of at most 15 significant
 *   digits reads back the same as a double, so the lossless parser keeps it as that number: it keeps
 *   only numbers a double would change as text). Every number token is checked (strings that merely
 *   look like one only send the text to the lossless parser), unless the parsed value holds no number
 *   at all: every number token parses to a number, so then the text has none (our webhook template
 *   quotes every value);
 * - no object repeats a key (the lossless parser refuses a repeated key, JSON.parse keeps the last):
 *   the text holds at least one key end per key, so as many key ends as keys means none repeats;
 * - the result is an object (anything else goes the lossless way, for its own message).
 * test/unit/events/lossless-json.test.ts holds this to lossless-json itself on generated and mutated texts.
 */
function plainJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return NOT_PLAIN;
  }
  if (typeof value !== 'object' || value === null) return NOT_PLAIN;
  numbers = 0;
  const keys = countKeys(value);
  if (numbers > 0 && riskyNumber(text)) return NOT_PLAIN;
  return keys === (text.match(KEY_END)?.length ?? 0) ? value : NOT_PLAIN;
}

function hostFromLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  const match = /^https:\/\/([a-z0-9.-]*datadoghq\.(?:com|eu)|[a-z0-9.-]*ddog-gov\.com)(?:\/|$)/i.exec(link);
  return match?.[1];
}

/** "[Triggered on {cluster:prod}] Pending pods" → "Pending pods" (`$ALERT_TITLE` prefixes the transition). */
export function monitorNameFromTitle(title: string | undefined): string | undefined {
  if (!title) return undefined;
  const name = title.replace(/^\[[^\]]*\]\s*/, '').trim();
  return name === '' ? undefined : name;
}

function epochOrIso(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /^\d{10,16}$/.test(value) ? toIso(Number(value)) : toIso(value);
}

/** The Datadog webhook body, from its raw text (never from an already `JSON.parse`d object) → Signal. */
export function normaliseDatadogWebhook(rawBody: string, options: NormaliseOptions = {}): Signal {
  if (typeof rawBody !== 'string') {
    throw new MalformedEventError(
      'Datadog webhook body must be the raw request text (a string), so large ids survive parsing',
      'datadog',
    );
  }
  let parsed: unknown;
  try {
    parsed = parseJsonLosslessly(rawBody);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MalformedEventError(`Datadog webhook body is not valid JSON: ${reason}`, 'datadog', [reason]);
  }
  const body = parseOrThrow(DatadogWebhookBodySchema, parsed, 'datadog', 'Datadog webhook body');
  const occurredAt = epochOrIso(body.date) ?? epochOrIso(body.last_updated);
  return buildSignal(
    options,
    {
      monitorId: body.alert_id,
      monitorName: monitorNameFromTitle(body.alert_title),
      transition: body.alert_transition,
      alertType: body.alert_type,
      priority: body.alert_priority ?? body.priority,
      query: body.alert_query,
      scope: body.alert_scope,
      title: body.alert_title ?? body.title,
      tags: splitTags(body.tags),
      eventType: body.event_type,
      alertCycleKey: body.alert_cycle_key,
      host: hostFromLink(body.link) ?? options.datadogHost ?? DEFAULT_DATADOG_HOST,
    },
    {
      correlationId: body.id,
      occurredAt: occurredAt ?? requireIso(body.date, 'datadog', 'date'),
    },
    rawBody,
    { eventLink: body.link, alertStatus: body.alert_status, orgId: body.org?.id },
  );
}
