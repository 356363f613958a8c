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

/** The package an `--alias` value replaces. */
export function aliasedPackage(alias: string): string {
  return alias.slice(0, alias.indexOf('='));
}
