import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsRpc, CLOUDFORMATION, EVENTBRIDGE, SNS, xmlAll, xmlText } from './aws-rpc.js';
import type { CloudFormationPort, DoctorClients, EventBridgePort, SnsPort } from './checks.js';

/** Bounded pagination: a doctor reads a handful of pages at most. */
const MAX_PAGES = 10;

export function eventBridgePort(rpc: AwsRpc): EventBridgePort {
  return {
    describeEventBus: (input) => rpc.json('DescribeEventBus', input),
    listEventSources: async (input) => {
      const sources: { Name?: string; State?: string }[] = [];
      let token: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await rpc.json<{ EventSources?: typeof sources; NextToken?: string }>(
          'ListEventSources',
          {
            ...input,
            ...(token ? { NextToken: token } : {}),
          },
        );
        sources.push(...(out.EventSources ?? []));
        token = out.NextToken;
        if (!token) break;
      }
      return { EventSources: sources };
    },
    listRules: async (input) => {
      const rules: { Name?: string; State?: string }[] = [];
      let token: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await rpc.json<{ Rules?: typeof rules; NextToken?: string }>('ListRules', {
          ...input,
          ...(token ? { NextToken: token } : {}),
        });
        rules.push(...(out.Rules ?? []));
        token = out.NextToken;
        if (!token) break;
      }
      return { Rules: rules };
    },
  };
}

export function cloudFormationPort(rpc: AwsRpc): CloudFormationPort {
  return {
    describeType: async (input) => {
      const xml = await rpc.query('DescribeType', input);
      const activated = xmlText(xml, 'IsActivated');
      return {
        ...(xmlText(xml, 'Arn') ? { Arn: xmlText(xml, 'Arn') } : {}),
        ...(activated !== undefined ? { IsActivated: activated === 'true' } : {}),
        ...(xmlText(xml, 'DefaultVersionId') ? { DefaultVersionId: xmlText(xml, 'DefaultVersionId') } : {}),
      };
    },
  };
}

export function snsPort(rpc: AwsRpc): SnsPort {
  return {
    listSubscriptionsByTopic: async (input) => {
      const subscriptions: { SubscriptionArn?: string; Protocol?: string; Endpoint?: string }[] = [];
      let token: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const xml = await rpc.query('ListSubscriptionsByTopic', {
          ...input,
          ...(token ? { NextToken: token } : {}),
        });
        const list = xmlAll(xml, 'Subscriptions')[0] ?? '';
        for (const member of xmlAll(list, 'member')) {
          subscriptions.push({
            SubscriptionArn: xmlText(member, 'SubscriptionArn'),
            Protocol: xmlText(member, 'Protocol'),
            Endpoint: xmlText(member, 'Endpoint'),
          });
        }
        token = xmlText(xml, 'NextToken');
        if (!token) break;
      }
      return { Subscriptions: subscriptions };
    },
  };
}

/** The real clients for a stage's region (default credential chain, AWS_ENDPOINT_URL_* honoured). */
export function awsDoctorClients(
  region: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DoctorClients & { destroy(): void } {
  // Bounded: a doctor on a broken network says so instead of hanging.
  const settings = {
    region,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 10_000 },
  };
  const secretsManager = new SecretsManagerClient(settings);
  const ssm = new SSMClient(settings);
  return {
    secretsManager,
    ssm,
    eventBridge: eventBridgePort(new AwsRpc(EVENTBRIDGE, { region, env })),
    cloudFormation: cloudFormationPort(new AwsRpc(CLOUDFORMATION, { region, env })),
    sns: snsPort(new AwsRpc(SNS, { region, env })),
    destroy() {
      secretsManager.destroy();
      ssm.destroy();
    },
  };
}
