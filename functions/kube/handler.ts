import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { logger, requiredEnv, withLogContext } from '../shared/powertools.js';
import { KubeClient } from './client.js';
import { KubeSettings, runKubeStep } from './core.js';
import { eksToken } from './token.js';

/**
 * The in-VPC Kubernetes access function (functions/kube/core.ts): runs in the cluster VPC's
 * private subnets, authenticates with an EKS token of its own role (mapped by an EKS access entry
 * to a Kubernetes group with narrow RBAC). Configuration is read once, at cold start.
 */
const clusterName = requiredEnv('CLUSTER_NAME');
const region = requiredEnv('AWS_REGION');
const settings = KubeSettings.parse(JSON.parse(requiredEnv('KUBE_SETTINGS')));
// In Lambda the chain resolves the execution role's credentials from the environment (no network).
const credentials = defaultProvider();

const client = new KubeClient({
  endpoint: requiredEnv('CLUSTER_ENDPOINT'),
  ca: Buffer.from(requiredEnv('CLUSTER_CA'), 'base64').toString('utf8'),
  token: () => eksToken({ clusterName, region, credentials }),
});

export const handler = withLogContext((event: unknown) => runKubeStep(event, { client, settings, logger }));
