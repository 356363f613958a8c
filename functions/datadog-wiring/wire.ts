import type { WebhooksIntegrationApi } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/WebhooksIntegrationApi.js';
import type { AWSIntegrationApi } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/AWSIntegrationApi.js';
import type { DatadogWiring } from '../../config/datadog-wiring.js';

/**
 * Wires a stage's Datadog side to the intake, as far as Datadog's API allows (Datadog's CloudFormation
 * registry has no webhook or EventBridge-source resource type), idempotently: run it again and again.
 *
 * 1. The webhook `ops-automation-<stage>` (Webhooks integration): created, or updated in place, with
 *    the intake's Function URL, the shared token as the `X-Ops-Webhook-Token` custom header and the
 *    JSON payload template the Datadog normaliser reads. Skipped, saying why, while the URL or token
 *    does not exist yet (deploy the automation stack first).
 * 2. The EventBridge event source of Datadog's AWS integration for the stage's account and region:
 *    created if missing. Datadog adds a suffix to its name, so the step reports the full name and
 *    whether `automation.datadog.partnerEventBusName` already says it.
 * 3. What stays manual, as one command: associating the partner event source with its event bus in
 *    the AWS account (`aws events create-event-bus`), which needs AWS credentials Datadog does not hold.
 *
 * Pure apart from the two Datadog API clients it is given; never prints or returns the token.
 */

export type WireStatus = 'created' | 'updated' | 'unchanged' | 'skipped' | 'manual' | 'failed';

export interface WireStep {
  readonly step: 'webhook' | 'event-source' | 'event-bus';
  readonly status: WireStatus;
  readonly detail: string;
  /** The command an operator runs, when the step is manual. */
  readonly command?: string;
}

export interface WireApis {
  readonly webhooks: Pick<
    WebhooksIntegrationApi,
    'getWebhooksIntegration' | 'createWebhooksIntegration' | 'updateWebhooksIntegration'
  >;
  readonly aws: Pick<AWSIntegrationApi, 'listAWSEventBridgeSources' | 'createAWSEventBridgeSource'>;
}

export interface WireInput {
  readonly wiring: DatadogWiring;
  /** The intake webhook's Function URL (the SSM parameter `wiring.webhookUrlParameter`), if deployed. */
  readonly webhookUrl: string | undefined;
  /** The shared token (the secret `wiring.tokenSecretName`), if it has a value. */
  readonly token: string | undefined;
}

const PARTNER_PREFIX = 'aws.partner/datadog.com/';

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** An error's description without anything a request carried (keys, token): the status and message only. */
function describe(err: unknown): string {
  const code = statusCode(err);
  const message = err instanceof Error ? err.message.split('\n')[0]?.slice(0, 200) : String(err);
  return code === undefined ? String(message) : `HTTP ${code}: ${String(message)}`;
}

async function wireWebhook(apis: WireApis, input: WireInput): Promise<WireStep> {
  const { wiring, webhookUrl, token } = input;
  if (!webhookUrl) {
    return {
      step: 'webhook',
      status: 'skipped',
      detail: `no Function URL in SSM ${wiring.webhookUrlParameter} yet: deploy ${wiring.webhookUrlStack}, then run this again`,
    };
  }
  if (!token) {
    return {
      step: 'webhook',
      status: 'skipped',
      detail: `the secret ${wiring.tokenSecretName} has no value yet: put a random token in it, then run this again`,
    };
  }
  const fields = {
    url: webhookUrl,
    payload: JSON.stringify(wiring.payloadTemplate),
    customHeaders: JSON.stringify({ [wiring.tokenHeader]: token }),
    encodeAs: 'json' as const,
  };
  try {
    let exists = true;
    try {
      await apis.webhooks.getWebhooksIntegration({ webhookName: wiring.webhookName });
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
      exists = false;
    }
    if (exists) {
      await apis.webhooks.updateWebhooksIntegration({ webhookName: wiring.webhookName, body: fields });
      return { step: 'webhook', status: 'updated', detail: `${wiring.webhookName} → ${webhookUrl}` };
    }
    await apis.webhooks.createWebhooksIntegration({ body: { name: wiring.webhookName, ...fields } });
    return { step: 'webhook', status: 'created', detail: `${wiring.webhookName} → ${webhookUrl}` };
  } catch (err) {
    return { step: 'webhook', status: 'failed', detail: `${wiring.webhookName}: ${describe(err)}` };
  }
}

/** The event source of this account and region whose name starts with the generator name, if any. */
async function findEventSource(apis: WireApis, wiring: DatadogWiring): Promise<string | undefined> {
  const list = await apis.aws.listAWSEventBridgeSources();
  for (const account of list.data?.attributes?.accounts ?? []) {
    if (account.accountId !== wiring.account) continue;
    for (const hub of account.eventHubs ?? []) {
      const name = (hub.name ?? '').replace(PARTNER_PREFIX, '');
      if (hub.region === wiring.region && name.startsWith(wiring.partnerEventGeneratorName)) {
        return `${PARTNER_PREFIX}${name}`;
      }
    }
  }
  return undefined;
}

async function wireEventSource(
  apis: WireApis,
  wiring: DatadogWiring,
): Promise<{ step: WireStep; source?: string }> {
  try {
    let source = await findEventSource(apis, wiring);
    let status: WireStatus = 'unchanged';
    if (!source) {
      const created = await apis.aws.createAWSEventBridgeSource({
        body: {
          data: {
            type: 'event_bridge',
            attributes: {
              accountId: wiring.account,
              region: wiring.region,
              eventGeneratorName: wiring.partnerEventGeneratorName,
              createEventBus: false,
            },
          },
        },
      });
      const name = created.data?.attributes?.eventSourceName?.replace(PARTNER_PREFIX, '');
      if (!name) throw new Error('Datadog created the event source but returned no name');
      source = `${PARTNER_PREFIX}${name}`;
      status = 'created';
    }
    if (source !== wiring.partnerEventBusName) {
      return {
        source,
        step: {
          step: 'event-source',
          status: 'manual',
          detail: `Datadog's event source is ${source}, but automation.datadog.partnerEventBusName says ${wiring.partnerEventBusName}: set it to ${source} in config/stages/${wiring.stage}.ts and deploy`,
        },
      };
    }
    return { source, step: { step: 'event-source', status, detail: source } };
  } catch (err) {
    return { step: { step: 'event-source', status: 'failed', detail: describe(err) } };
  }
}

/** Runs every step; one failing step does not stop the others. */
export async function wireDatadog(apis: WireApis, input: WireInput): Promise<WireStep[]> {
  const { wiring } = input;
  const webhook = await wireWebhook(apis, input);
  const { step: source, source: sourceName } = await wireEventSource(apis, wiring);
  const bus = sourceName ?? wiring.partnerEventBusName;
  const busStep: WireStep = {
    step: 'event-bus',
    status: 'manual',
    detail: `associate the partner event source with its event bus in ${wiring.account} / ${wiring.region} (once; skip if it exists: aws events describe-event-bus --name ${bus})`,
    command: `aws events create-event-bus --region ${wiring.region} --name ${bus} --event-source-name ${bus}`,
  };
  return [webhook, source, busStep];
}
