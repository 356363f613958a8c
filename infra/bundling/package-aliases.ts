import { datadogClientAlias, prepareDatadogClient } from './datadog-client.js';
import { prepareSdkClients, sdkClientAliases } from './sdk-clients.js';

/**
 * The packages BUNDLING replaces with rewritten copies (./package-copy.ts): each AWS SDK client
 * (./sdk-clients.ts) and the Datadog API client (./datadog-client.ts), as `--alias` values
 * (`<package>=./<copy>`).
 */
export function packageCopyAliases(projectRoot: string): string[] {
  return [...sdkClientAliases(projectRoot), datadogClientAlias(projectRoot)];
}

/** Makes the copies `packageCopyAliases` names, where they are missing: before any build. */
export function preparePackageCopies(projectRoot: string): void {
  prepareSdkClients(projectRoot);
  prepareDatadogClient(projectRoot);
}

/** An `--alias` value (`<package>=<replacement>`) as the package it replaces and what replaces it. */
export function splitAlias(alias: string): { readonly name: string; readonly target: string } {
  const eq = alias.indexOf('=');
  return { name: alias.slice(0, eq), target: alias.slice(eq + 1) };
}
