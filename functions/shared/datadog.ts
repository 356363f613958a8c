// Deep imports of the v1 API only: the package index pulls in every v1 and v2 model (an 11 MB
// bundle); events and series from v1 keep the function around 1 MB.

import type { Configuration } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js';
import type { EventCreateRequest } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/models/EventCreateRequest.js';
import type { MetricsPayload } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/models/MetricsPayload.js';
import { fetch as httpsFetch } from './https-fetch.js';
import { redact, redactString } from './redact.js';
import { withBoundedRetry } from './retry.js';

/**
 * The one Datadog API client of this product, over `@datadog/datadog-api-client`:
 * events (`POST /api/v1/events`, grouped per run by `aggregationKey`) and metrics
 * (`POST /api/v1/series`).
 *
 * - The site comes from config (`automation.datadog.site`, e.g. `datadoghq.eu`); `baseUrl`
 *   overrides it so tests can point the client at a local HTTP server.
 * - Keys come from `KeySource`s (normally `secretsManagerSecret` from ./slack.js, cached). Both
 *   endpoints need only the API key (`DD-API-KEY`); the application key is optional and sent
 *   only by operations that require it, so the report hook never reads it.
 * - Retries are ours and bounded (p-retry through ./retry.ts: `maxRetries`, default 2, short
 *   back-off) for 5xx, 429 and network errors; the library's own retry waits 2 s and up, and ignores network errors.
 * - Titles, texts and tags go through `redact`; failures surface as `DatadogError` whose
 *   message holds no key.
 */

export type KeySource = () => Promise<string>;

/**
 * The library, loaded on first use (issue 17: it costs about 100 ms of cold start, with node-fetch's
 * Unicode tables, and most invocations of the functions that carry it never reach Datadog). In a
 * bundle esbuild keeps these modules in the same file but evaluates them only when this runs.
 */
async function importLibrary() {
  const [log, common, events, metrics] = await Promise.all([
    import('@datadog/datadog-api-client/dist/logger.js'),
    import('@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js'),
    import('@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/EventsApi.js'),
    import('@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MetricsApi.js'),
  ]);
  // The library prints raw request failures to stdout (unstructured, with stack traces); we
  // surface them as a DatadogError and let the caller log that through Powertools instead.
  (log.logger as { setLevel(level: string): void }).setLevel('silent');
  return {
    createConfiguration: common.createConfiguration,
    BaseServerConfiguration: common.BaseServerConfiguration,
    setServerVariables: common.setServerVariables,
    EventsApi: events.EventsApi,
    MetricsApi: metrics.MetricsApi,
  };
}
type Library = Awaited<ReturnType<typeof importLibrary>>;
let library: Promise<Library> | undefined;
const loadLibrary = (): Promise<Library> => {
  library ??= importLibrary().catch((err: unknown) => {
    library = undefined;
    throw err;
  });
  return library;
};

export interface DatadogApiOptions {
  readonly apiKey: KeySource;
  readonly appKey?: KeySource;
  /** Datadog site, e.g. `datadoghq.eu` (config `automation.datadog.site`). */
  readonly site: string;
  /** Overrides the site's API URL (`https://api.<site>`), e.g. `http://127.0.0.1:4321` in tests. */
  readonly baseUrl?: string;
  /** Retries after the first attempt. Default 2. */
  readonly maxRetries?: number;
  /** First back-off in ms, doubled per retry, capped at 2 s. Default 300. */
  readonly retryDelayMs?: number;
  /** Per-request timeout in ms. Default 5000. */
  readonly timeoutMs?: number;
}

export type EventAlertType = 'error' | 'warning' | 'info' | 'success';

export interface DatadogEvent {
  readonly title: string;
  /** Markdown (wrapped in `%%%` so links render). */
  readonly text: string;
  readonly tags: readonly string[];
  readonly alertType: EventAlertType;
  /** Events with the same key are grouped: the run's execution name. */
  readonly aggregationKey?: string;
  /** Unix seconds; default now. */
  readonly dateHappened?: number;
  readonly priority?: 'normal' | 'low';
}

export interface DatadogMetric {
  readonly name: string;
  readonly type: 'count' | 'gauge';
  readonly value: number;
  readonly tags: readonly string[];
  /** Unix seconds; default now. */
  readonly timestamp?: number;
}

export class DatadogError extends Error {
  override readonly name = 'DatadogError';
  constructor(
    message: string,
    /** HTTP status as text (`http_500`) or a network error code (`ECONNREFUSED`). */
    readonly code: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/** Datadog caps an event title at 100 characters and its text at 4000. */
const TITLE_MAX = 100;
const TEXT_MAX = 4000;

/** A tag value Datadog accepts: lower-case, no spaces, at most 200 characters. */
export function tag(key: string, value: string | number | boolean): string {
  const clean = String(value)
    .toLowerCase()
    .replace(/[^a-z0-9_\-./:]/g, '_')
    .slice(0, 200 - key.length - 1);
  return `${key}:${clean}`;
}

interface ApiExceptionShape {
  code?: number | string;
  cause?: { code?: string };
  type?: string;
  errno?: string;
  message?: string;
  name?: string;
}

function toDatadogError(operation: string, err: unknown): DatadogError {
  if (err instanceof DatadogError) return err;
  const e = (err ?? {}) as ApiExceptionShape;
  if (typeof e.code === 'number') {
    return new DatadogError(
      `Datadog ${operation} failed: HTTP ${e.code}`,
      `http_${e.code}`,
      e.code >= 500 || e.code === 429 || e.code === 408,
    );
  }
  const code =
    (typeof e.code === 'string' ? e.code : undefined) ??
    e.cause?.code ??
    e.errno ??
    e.name ??
    'network_error';
  return new DatadogError(`Datadog ${operation} unreachable: ${code}`, code, true);
}

interface SdkErrorShape {
  name?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: unknown;
  cause?: unknown;
}

/**
 * A key that cannot be read: transient only when the AWS service failed on its side or the SDK calls
 * the error retryable (throttling) or no service answered (network); a refusal (AccessDenied, a secret
 * that does not exist) ends the retries at once instead of waiting out the back-off for nothing.
 * The message names the error, never a key.
 */
async function readKey(kind: string, source: KeySource): Promise<string> {
  try {
    return await source();
  } catch (err) {
    // Powertools' SecretsProvider wraps the SDK error as the cause of a GetParameterError.
    const outer = (err ?? {}) as SdkErrorShape;
    const sdk = (outer.cause && typeof outer.cause === 'object' ? outer.cause : outer) as SdkErrorShape;
    const answered = sdk.$metadata !== undefined;
    const transient = !answered || sdk.$fault === 'server' || sdk.$retryable !== undefined;
    const code = sdk.name ?? outer.name ?? 'key_error';
    throw new DatadogError(`Datadog ${kind} key unavailable: ${code}`, code, transient);
  }
}

export class DatadogApi {
  private readonly options: DatadogApiOptions;
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;

  /** Requests made at most per call (first attempt + retries): what an outage costs and what is recorded. */
  get maxAttempts(): number {
    return this.maxRetries + 1;
  }

  constructor(options: DatadogApiOptions) {
    this.options = options;
    this.maxRetries = options.maxRetries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 300;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /**
   * A configuration for one attempt: keys from their (cached) sources, the site or base URL,
   * and an abort signal that bounds this attempt (the library takes the signal from the
   * configuration, so each attempt gets a fresh one).
   */
  private async configuration(lib: Library): Promise<Configuration> {
    const { createConfiguration, BaseServerConfiguration, setServerVariables } = lib;
    const apiKey = await readKey('API', this.options.apiKey);
    const appKey = this.options.appKey ? await readKey('application', this.options.appKey) : undefined;
    const configuration = createConfiguration({
      authMethods: { apiKeyAuth: apiKey, ...(appKey ? { appKeyAuth: appKey } : {}) },
      // Our own bounded retry below covers 5xx, 429 and network errors alike.
      enableRetry: false,
      httpConfig: { signal: AbortSignal.timeout(this.timeoutMs) },
      // Over node:https, which the SDK has loaded already, not cross-fetch (https-fetch.ts).
      fetch: httpsFetch,
      ...(this.options.baseUrl ? { baseServer: new BaseServerConfiguration(this.options.baseUrl, {}) } : {}),
    });
    if (!this.options.baseUrl) setServerVariables(configuration, { site: this.options.site });
    return configuration;
  }

  private withRetry<T>(
    operation: string,
    call: (configuration: Configuration, lib: Library) => Promise<T>,
  ): Promise<T> {
    return withBoundedRetry(
      async () => {
        const lib = await loadLibrary();
        return call(await this.configuration(lib), lib);
      },
      (err) => toDatadogError(operation, err),
      { retries: this.maxRetries, firstDelayMs: this.retryDelayMs, maxDelayMs: 2000 },
    );
  }

  /** Posts an event; returns Datadog's event id (as a string: ids exceed 2^53). */
  async postEvent(event: DatadogEvent): Promise<string | undefined> {
    const body: EventCreateRequest = {
      title: redactString(event.title).slice(0, TITLE_MAX),
      text: redactString(event.text).slice(0, TEXT_MAX),
      tags: redact([...event.tags]),
      alertType: event.alertType,
      sourceTypeName: 'amazon web services',
      dateHappened: event.dateHappened ?? Math.floor(Date.now() / 1000),
      priority: event.priority ?? 'normal',
      ...(event.aggregationKey ? { aggregationKey: event.aggregationKey.slice(0, 100) } : {}),
    };
    const res = await this.withRetry('events', (configuration, { EventsApi }) =>
      new EventsApi(configuration).createEvent({ body }),
    );
    return res.event?.idStr ?? (res.event?.id !== undefined ? String(res.event.id) : undefined);
  }

  /** Submits metrics in one series request. */
  async submitMetrics(metrics: readonly DatadogMetric[]): Promise<void> {
    if (metrics.length === 0) return;
    const now = Math.floor(Date.now() / 1000);
    const body: MetricsPayload = {
      series: metrics.map((m) => ({
        metric: m.name,
        type: m.type,
        points: [[m.timestamp ?? now, m.value]],
        tags: redact([...m.tags]),
      })),
    };
    await this.withRetry('metrics', (configuration, { MetricsApi }) =>
      new MetricsApi(configuration).submitMetrics({ body }),
    );
  }
}
