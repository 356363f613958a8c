import { describe, expect, it } from 'vitest';
import {
  MalformedEventError,
  normaliseDatadogWebhook,
  normaliseEvent,
  parseJsonLosslessly,
  transitionKind,
} from '../../../events/index.js';
import { monitorNameFromTitle, resourceFromTags } from '../../../events/sources/datadog/normalise.js';
import { splitTags, tagFacts } from '../../../events/sources/datadog/tags.js';
import { sampleJson, sampleText } from './support.js';

/** A webhook body as our template renders it, with some fields overridden (raw JSON text, as Datadog sends). */
function webhookBody(overrides: Record<string, string> = {}, rawFields: Record<string, string> = {}): string {
  const base = JSON.parse(sampleText('datadog/webhook-triggered.json')) as Record<string, unknown>;
  const fields = { ...base, ...overrides };
  for (const key of Object.keys(rawFields)) delete fields[key];
  const json = JSON.stringify(fields);
  const extra = Object.entries(rawFields).map(([k, v]) => `${JSON.stringify(k)}:${v}`);
  return extra.length === 0 ? json : `${json.slice(0, -1)},${extra.join(',')}}`;
}

describe('datadog webhook: ids beyond 2^53 survive exactly', () => {
  it('keeps an unquoted 19-digit event id and monitor id digit for digit', () => {
    // Prepare: a template that leaves $ID / $ALERT_ID unquoted sends bare JSON integers.
    const body = webhookBody({}, { id: '7281010972796602671', alert_id: '9007199254740993' });
    expect(Number('7281010972796602671').toString()).not.toBe('7281010972796602671'); // JSON.parse would lose it
    // Act
    const signal = normaliseDatadogWebhook(body);
    // Assess
    expect(signal.correlationId).toBe('7281010972796602671');
    expect(signal.details.monitorId).toBe('9007199254740993');
    expect(signal.resource.attributes.monitorId).toBe('9007199254740993');
    expect(signal.link).toBe('https://app.datadoghq.com/monitors/9007199254740993');
    expect(signal.raw).toBe(body);
  });

  it('parses JSON with unsafe integers as their exact text and safe numbers as numbers', () => {
    const parsed = parseJsonLosslessly('{"a": 18446744073709551615, "b": 42, "c": [1.5, -9007199254740993]}');
    expect(parsed).toEqual({ a: '18446744073709551615', b: 42, c: [1.5, '-9007199254740993'] });
  });

  it('refuses an already parsed object: only the raw text can be lossless', () => {
    const parsed = JSON.parse(sampleText('datadog/webhook-triggered.json')) as unknown;
    expect(() => normaliseDatadogWebhook(parsed as string)).toThrow(/raw request text/);
  });

  it('reports a body that is not JSON as malformed, with the parser position', () => {
    expect(() => normaliseDatadogWebhook('{"id": 1,')).toThrow(MalformedEventError);
    expect(() => normaliseDatadogWebhook('not json')).toThrow(/not valid JSON/);
  });
});

describe('datadog webhook: transitions', () => {
  it.each([
    ['Triggered', 'datadog.monitor-alert', 'critical'],
    ['Re-Triggered', 'datadog.monitor-alert', 'critical'],
    ['Warn', 'datadog.monitor-warn', 'warning'],
    ['Re-Warn', 'datadog.monitor-warn', 'warning'],
    ['No Data', 'datadog.monitor-no-data', 'warning'],
    ['Re-No Data', 'datadog.monitor-no-data', 'warning'],
    ['Recovered', 'datadog.monitor-recovered', 'info'],
    ['Renotify', 'datadog.monitor-renotify', 'warning'],
    ['Muted', 'datadog.monitor-event', 'info'],
  ])('%s → %s (%s)', (transition, kind, severity) => {
    const signal = normaliseDatadogWebhook(webhookBody({ alert_transition: transition }));
    expect(signal.kind).toBe(kind);
    expect(signal.severity).toBe(severity);
    expect(signal.details.transition).toBe(transition);
  });

  it('normalises spelling variants of a transition', () => {
    expect(['Re-Triggered', 're triggered', 'RETRIGGERED'].map(transitionKind)).toEqual([
      'alert',
      'alert',
      'alert',
    ]);
    expect(['No Data', 'no_data', 'Re-No Data'].map(transitionKind)).toEqual([
      'no-data',
      'no-data',
      'no-data',
    ]);
  });
});

describe('datadog: tags name the runbook and its target', () => {
  it.each([
    ['runbook:snapshot-volume,volume:vol-0abc1234def567890', 'ebs-volume', 'vol-0abc1234def567890'],
    ['runbook:snapshot-volume,cluster:prod,namespace:db,pvc:data-mysql-0', 'pvc', 'prod/db/data-mysql-0'],
    ['runbook:scale-node-group,cluster:prod,nodegroup:ng-b', 'node-group', 'prod/ng-b'],
    ['runbook:scale-node-group,cluster:prod', 'node-group', 'prod/*'],
    [
      'runbook:update-dns,zone:example.com,record:api.example.com',
      'dns-record',
      'example.com/api.example.com/A',
    ],
    ['runbook:rotate-secret,secret:prod/orders/db', 'secret', 'prod/orders/db'],
    ['volume:vol-0abc1234def567890,nodegroup:ng-a,cluster:prod', 'ebs-volume', 'vol-0abc1234def567890'],
    ['monitor,team:payments', 'monitor', '148972345'],
  ])('$TAGS "%s" → %s %s', (tags, type, id) => {
    // Act: the scope of the sample names cluster/nodegroup; clear it so only the tags speak.
    // The caller (the intake, from its registry) says which targets a runbook prefers; events/ knows none.
    const signal = normaliseDatadogWebhook(webhookBody({ tags, alert_scope: '*' }), {
      runbookTargets: { 'scale-node-group': ['node-group'] },
    });
    // Assess
    expect(signal.resource.type).toBe(type);
    expect(signal.resource.id).toBe(id);
  });

  it('treats runbook:<name> as a generic fact: the caller-given preference picks among named targets', () => {
    const tags = 'runbook:any-runbook,volume:vol-0abc1234def567890,secret:prod/orders/db,cluster:prod';
    const body = webhookBody({ tags, alert_scope: '*' });
    // Without a preference the most specific target wins; a cluster alone is not a node group.
    expect(normaliseDatadogWebhook(body).resource).toMatchObject({ type: 'ebs-volume' });
    expect(
      normaliseDatadogWebhook(webhookBody({ tags: 'runbook:any-runbook,cluster:prod', alert_scope: '*' }))
        .resource.type,
    ).toBe('monitor');
    // With one, the runbook's own target kind wins.
    const preferred = normaliseDatadogWebhook(body, { runbookTargets: { 'any-runbook': ['secret'] } });
    expect(preferred.resource).toMatchObject({ type: 'secret', id: 'prod/orders/db' });
  });

  it('copies every fact policy reads into attributes', () => {
    const signal = normaliseDatadogWebhook(
      webhookBody({
        tags: 'runbook:update-dns, zone:example.com, record:api.example.com, record_type:CNAME, secret:s1, namespace:web',
        alert_scope: '*',
      }),
    );
    expect(signal.resource.attributes).toMatchObject({
      runbook: 'update-dns',
      zone: 'example.com',
      record: 'api.example.com',
      recordType: 'CNAME',
      secretName: 's1',
      namespace: 'web',
      monitorId: '148972345',
    });
    expect(signal.resource.id).toBe('example.com/api.example.com/CNAME');
  });

  it('lets the alert scope (the group that alerted) win over monitor-level tags', () => {
    const facts = tagFacts(splitTags('cluster:dev,nodegroup:ng-a'), 'cluster:prod,nodegroup:ng-z');
    expect(facts).toMatchObject({ cluster: 'prod', nodegroup: 'ng-z' });
  });

  it('accepts the Datadog Kubernetes integration tag names as aliases', () => {
    const facts = tagFacts(['kube_cluster_name:prod', 'kube_namespace:db', 'persistentvolumeclaim:data-0']);
    expect(facts).toEqual({ cluster: 'prod', namespace: 'db', pvc: 'data-0' });
    expect(resourceFromTags(facts, '1')).toEqual({ type: 'pvc', id: 'prod/db/data-0' });
  });

  it('ignores bare tags, empty values and unrendered $TAGS', () => {
    expect(splitTags('monitor, , $TAGS, runbook:x')).toEqual(['monitor', 'runbook:x']);
    expect(tagFacts(['runbook:', 'monitor'])).toEqual({});
  });

  it('takes the monitor name from $ALERT_TITLE without the transition prefix', () => {
    expect(monitorNameFromTitle('[Triggered on {cluster:prod}] Pending pods')).toBe('Pending pods');
    expect(monitorNameFromTitle('Plain title')).toBe('Plain title');
  });

  it('links to the monitor on the Datadog site the webhook came from', () => {
    const signal = normaliseDatadogWebhook(
      webhookBody({ link: 'https://app.datadoghq.eu/event/jump_to?event_id=7281010972796602671' }),
    );
    expect(signal.link).toBe('https://app.datadoghq.eu/monitors/148972345');
  });
});

describe('datadog EventBridge integration', () => {
  it('reads tags from detail.tags and the monitor from meta, with the EventBridge id as correlation id', () => {
    // Prepare
    const event = sampleJson('datadog/eventbridge-alert-notification-triggered-scale-node-group.json');
    // Act
    const signal = normaliseEvent(event, { datadogHost: 'app.datadoghq.eu' });
    // Assess
    expect(signal).toMatchObject({
      source: 'datadog',
      kind: 'datadog.monitor-alert',
      resource: { type: 'node-group', id: 'prod-eu-west-1/ng-a' },
      link: 'https://app.datadoghq.eu/monitors/148972345',
      actor: { type: 'service', id: 'datadog:monitor/148972345' },
    });
    expect(signal.details.partnerEventSource).toMatch(/^aws\.partner\/datadog\.com\//);
  });
});
