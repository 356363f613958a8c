import { NOTIFY_ONLY, platformMonitorSpecs } from './datadog-monitors.js';
import type { StageConfig } from './schema.js';

/**
 * What a stage's Datadog wiring must look like, as data: the webhook the intake listens to, where its
 * URL and secret live, the partner event source and bus, and the monitors the platform stack defines.
 * Pure (no I/O): `npm run datadog:wire` (bin/datadog-wire.ts) creates or updates the webhook from it,
 * and `ops doctor` compares it with what Datadog and AWS report.
 */

/** The header Datadog webhooks carry the shared secret in (a custom header on the Datadog webhook). */
export const WEBHOOK_TOKEN_HEADER = 'x-ops-webhook-token';

/**
 * The webhook's JSON payload. Datadog renders the `$VARIABLES` (all as strings: quoted); the intake's
 * Datadog normaliser (events/sources/datadog) reads exactly these keys. The same template is kept as a
 * sample in events/samples/datadog/webhook-payload-template.json.
 */
export const WEBHOOK_PAYLOAD_TEMPLATE: Readonly<Record<string, unknown>> = {
  id: '$ID',
  event_type: '$EVENT_TYPE',
  title: '$EVENT_TITLE',
  date: '$DATE',
  last_updated: '$LAST_UPDATED',
  org: { id: '$ORG_ID', name: '$ORG_NAME' },
  body: '$EVENT_MSG',
  link: '$LINK',
  tags: '$TAGS',
  priority: '$PRIORITY',
  hostname: '$HOSTNAME',
  aggreg_key: '$AGGREG_KEY',
  alert_id: '$ALERT_ID',
  alert_cycle_key: '$ALERT_CYCLE_KEY',
  alert_transition: '$ALERT_TRANSITION',
  alert_type: '$ALERT_TYPE',
  alert_status: '$ALERT_STATUS',
  alert_title: '$ALERT_TITLE',
  alert_scope: '$ALERT_SCOPE',
  alert_query: '$ALERT_QUERY',
  alert_metric: '$ALERT_METRIC',
  alert_priority: '$ALERT_PRIORITY',
};

export interface ExpectedMonitor {
  readonly key: string;
  readonly name: string;
  /** The `runbook:` tag's value: a runbook name or `notify-only`. */
  readonly runbook: string;
}

export interface DatadogWiring {
  readonly stage: string;
  /** Datadog site (`datadoghq.eu`): the API host is `api.<site>`. */
  readonly site: string;
  /** Webhook integration entry name; monitors notify it as `@webhook-<name>`. */
  readonly webhookName: string;
  readonly webhookMention: string;
  /** SSM String parameter holding the webhook's Function URL (written by the automation stack). */
  readonly webhookUrlParameter: string;
  /** CloudFormation stack and output that hold the same URL. */
  readonly webhookUrlStack: string;
  readonly tokenHeader: string;
  /** Secrets Manager secret holding the shared token (the webhook's custom header carries it). */
  readonly tokenSecretName: string;
  readonly payloadTemplate: Readonly<Record<string, unknown>>;
  /** Secrets holding the Datadog API and application keys the wiring script uses. */
  readonly apiKeySecretName: string;
  readonly appKeySecretName: string;
  /** Partner event bus the intake's Datadog rule listens on; its event source has the same name. */
  readonly partnerEventBusName: string;
  /** What a Datadog partner event source name looks like. */
  readonly partnerEventSourcePattern: RegExp;
  /**
   * The name the wiring asks Datadog to create the event source under; Datadog appends a suffix of its
   * own, so the full name (`aws.partner/datadog.com/<generator><suffix>`) is known only once created.
   */
  readonly partnerEventGeneratorName: string;
  /** AWS account and region the event source and bus live in. */
  readonly account: string;
  readonly region: string;
  /** Datadog tags every platform monitor of this stage carries (find them with `tags:` in the API). */
  readonly monitorTags: readonly string[];
  readonly monitors: readonly ExpectedMonitor[];
}

/** Monitor name as the platform stack creates it. */
export function platformMonitorName(stageName: string, title: string): string {
  return `[platform-${stageName}] ${title}`;
}

export function datadogWiring(stage: StageConfig): DatadogWiring {
  const dd = stage.automation.datadog;
  const webhookName = `ops-automation-${stage.name}`;
  return {
    stage: stage.name,
    site: dd.site,
    webhookName,
    webhookMention: `@webhook-${webhookName}`,
    webhookUrlParameter: `/ops/${stage.name}/datadog/webhook-url`,
    webhookUrlStack: `${stage.name}-automation`,
    tokenHeader: WEBHOOK_TOKEN_HEADER,
    tokenSecretName: dd.webhookTokenSecretName,
    payloadTemplate: WEBHOOK_PAYLOAD_TEMPLATE,
    apiKeySecretName: dd.apiKeySecretName,
    appKeySecretName: dd.appKeySecretName,
    partnerEventBusName: dd.partnerEventBusName,
    partnerEventSourcePattern: /^aws\.partner\/datadog\.com\/[A-Za-z0-9._-]+$/,
    partnerEventGeneratorName: `ops-automation-${stage.name}`,
    account: stage.account,
    region: stage.region,
    monitorTags: [`env:${stage.name}`, 'service:platform', 'managed-by:cdk'],
    monitors: platformMonitorSpecs(stage).map((m) => ({
      key: m.key,
      name: platformMonitorName(stage.name, m.title),
      runbook: m.tags.find((t) => t.startsWith('runbook:'))?.slice('runbook:'.length) ?? NOTIFY_ONLY,
    })),
  };
}

/** What `ops doctor` observed (each field undefined when it could not be read). */
export interface ObservedDatadogWiring {
  /** The Function URL in SSM `webhookUrlParameter`. */
  readonly webhookUrl?: string;
  /** The webhook as Datadog's Webhooks API returns it, or null when Datadog says it does not exist. */
  readonly webhook?: {
    readonly url?: string;
    readonly payload?: string;
    readonly customHeaders?: string;
  } | null;
  /** Full names of Datadog's EventBridge sources in the stage's account and region. */
  readonly eventSources?: readonly string[];
  /** Monitors found in Datadog carrying `monitorTags`. */
  readonly monitors?: readonly { readonly name: string; readonly tags: readonly string[] }[];
}

export interface WiringFinding {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
  /** What to run or change when not ok. */
  readonly fix?: string;
}

/** Compares what was observed with `datadogWiring(stage)`: one finding per check, missing first. Pure. */
export function checkDatadogWiring(w: DatadogWiring, o: ObservedDatadogWiring): WiringFinding[] {
  const wire = `npx tsx bin/datadog-wire.ts --stage ${w.stage}`;
  const findings: WiringFinding[] = [];
  const add = (check: string, ok: boolean, detail: string, fix?: string) =>
    findings.push({ check, ok, detail, ...(ok || !fix ? {} : { fix }) });

  add(
    'webhook url parameter',
    Boolean(o.webhookUrl),
    o.webhookUrl ? `${w.webhookUrlParameter} = ${o.webhookUrl}` : `${w.webhookUrlParameter} is missing`,
    `deploy ${w.webhookUrlStack}`,
  );
  if (!o.webhook) {
    add('webhook', false, `Datadog has no webhook ${w.webhookName}`, wire);
  } else {
    add(
      'webhook url',
      o.webhook.url !== undefined && o.webhook.url === o.webhookUrl,
      `${w.webhookName} posts to ${o.webhook.url ?? '(none)'}`,
      wire,
    );
    let payloadOk = false;
    try {
      payloadOk =
        JSON.stringify(JSON.parse(o.webhook.payload ?? 'null')) === JSON.stringify(w.payloadTemplate);
    } catch {
      payloadOk = false;
    }
    add('webhook payload', payloadOk, payloadOk ? 'the intake template' : 'not the intake template', wire);
    let headerOk = false;
    try {
      const headers = JSON.parse(o.webhook.customHeaders ?? '{}') as Record<string, unknown>;
      headerOk = Object.keys(headers).some((k) => k.toLowerCase() === w.tokenHeader);
    } catch {
      headerOk = false;
    }
    add(
      'webhook token header',
      headerOk,
      headerOk ? `sends ${w.tokenHeader}` : `no ${w.tokenHeader} header`,
      wire,
    );
  }
  const sources = o.eventSources ?? [];
  add(
    'partner event source',
    sources.includes(w.partnerEventBusName),
    sources.length === 0
      ? 'Datadog has no EventBridge source in this account and region'
      : `configured ${w.partnerEventBusName}; Datadog has ${sources.join(', ')}`,
    sources.length === 0 ? wire : `set automation.datadog.partnerEventBusName to the source Datadog created`,
  );
  for (const m of w.monitors) {
    const found = (o.monitors ?? []).find((x) => x.name === m.name);
    const tag = `runbook:${m.runbook}`;
    add(
      `monitor ${m.key}`,
      Boolean(found?.tags.includes(tag)),
      found
        ? `${m.name} (${found.tags.filter((t) => t.startsWith('runbook:')).join(', ') || 'no runbook tag'})`
        : `${m.name} is missing`,
      'deploy the platform stack (Datadog::Monitors::Monitor must be activated in the account)',
    );
  }
  return findings.sort((a, b) => Number(a.ok) - Number(b.ok));
}
