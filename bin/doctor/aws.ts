import { CloudFormationClient, DescribeTypeCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeEventBusCommand,
  EventBridgeClient,
  ListEventSourcesCommand,
  ListRulesCommand,
} from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationPort, DoctorClients, EventBridgePort, SnsPort } from './checks.js';

/** Bounded pagination: a doctor reads a handful of pages at most. */
const MAX_PAGES = 10;

/** Every page of a NextToken-paged read, up to MAX_PAGES. */
async function pages<T>(read: (token: string | undefined) => Promise<{ items?: T[]; next?: string }>) {
  const all: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, next } = await read(token);
    all.push(...(items ?? []));
    token = next;
    if (!token) break;
  }
  return all;
}

export function eventBridgePort(client: EventBridgeClient): EventBridgePort {
  return {
    describeEventBus: (input) => client.send(new DescribeEventBusCommand(input)),
    listEventSources: async (input) => ({
      EventSources: await pages(async (NextToken) => {
        const out = await client.send(new ListEventSourcesCommand({ ...input, NextToken }));
        return { items: out.EventSources, next: out.NextToken };
      }),
    }),
    listRules: async (input) => ({
      Rules: await pages(async (NextToken) => {
        const out = await client.send(new ListRulesCommand({ ...input, NextToken }));
        return { items: out.Rules, next: out.NextToken };
      }),
    }),
  };
}

export function cloudFormationPort(client: CloudFormationClient): CloudFormationPort {
  return { describeType: (input) => client.send(new DescribeTypeCommand(input)) };
}

export function snsPort(client: SNSClient): SnsPort {
  return {
    listSubscriptionsByTopic: async (input) => ({
      Subscriptions: await pages(async (NextToken) => {
        const out = await client.send(new ListSubscriptionsByTopicCommand({ ...input, NextToken }));
        return { items: out.Subscriptions, next: out.NextToken };
      }),
    }),
  };
}

/**
 * The real clients for a stage's region: the SDK's default credential chain, and its endpoint
 * settings (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL), read from `env`.
 */
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
  const endpoint = (serviceEnvName: string) => {
    const url = env[`AWS_ENDPOINT_URL_${serviceEnvName}`] ?? env.AWS_ENDPOINT_URL;
    return url ? { endpoint: url } : {};
  };
  const clients = {
    secretsManager: new SecretsManagerClient({ ...settings, ...endpoint('SECRETS_MANAGER') }),
    ssm: new SSMClient({ ...settings, ...endpoint('SSM') }),
    eventBridge: new EventBridgeClient({ ...settings, ...endpoint('EVENTBRIDGE') }),
    cloudFormation: new CloudFormationClient({ ...settings, ...endpoint('CLOUDFORMATION') }),
    sns: new SNSClient({ ...settings, ...endpoint('SNS') }),
  };
  return {
    secretsManager: clients.secretsManager,
    ssm: clients.ssm,
    eventBridge: eventBridgePort(clients.eventBridge),
    cloudFormation: cloudFormationPort(clients.cloudFormation),
    sns: snsPort(clients.sns),
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
