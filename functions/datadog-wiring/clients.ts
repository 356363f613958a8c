import {
  BaseServerConfiguration,
  createConfiguration,
  setServerVariables,
} from '@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js';
import { WebhooksIntegrationApi } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/WebhooksIntegrationApi.js';
import { AWSIntegrationApi } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/AWSIntegrationApi.js';
import type { WireApis } from './wire.js';

export interface WireClientOptions {
  readonly apiKey: string;
  readonly appKey: string;
  /** Datadog site, e.g. `datadoghq.eu`. */
  readonly site: string;
  /** Overrides the site's API host (tests: a local stand-in). */
  readonly baseUrl?: string;
}

/** The two Datadog API clients the wiring uses (the Webhooks and AWS integration APIs need both keys). */
export function wireApis(options: WireClientOptions): WireApis {
  const configuration = createConfiguration({
    authMethods: { apiKeyAuth: options.apiKey, appKeyAuth: options.appKey },
    ...(options.baseUrl ? { baseServer: new BaseServerConfiguration(options.baseUrl, {}) } : {}),
  });
  if (!options.baseUrl) setServerVariables(configuration, { site: options.site });
  return { webhooks: new WebhooksIntegrationApi(configuration), aws: new AWSIntegrationApi(configuration) };
}
