/**
 * `cross-fetch` for the Lambda bundles: Node's own fetch (undici, built into Node 22) in place of
 * node-fetch v2, which `@datadog/datadog-api-client` reaches through `cross-fetch`. node-fetch
 * pulls in whatwg-url and tr46's Unicode tables (about 300 KB evaluated on the first report) and
 * Node's deprecated `punycode` module, whose DeprecationWarning lands in the function's log.
 * esbuild substitutes this module for `cross-fetch` (`--alias`, infra/constructs/ops-function.ts
 * BUNDLING); tests and the `ops` command run the library unbundled, with node-fetch.
 *
 * Functions, not values: Node loads undici when `globalThis.fetch` is first read, so a bundle
 * pays for it on its first request, not when the Datadog library is loaded.
 */
export const fetch: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init);
export default fetch;
