import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Block, type KnownBlock, LogLevel, WebClient } from '@slack/web-api';
import { fetch as httpsFetch } from './https-fetch.js';
import { redact, redactString, registerSecretValue } from './redact.js';
import { withBoundedRetry } from './retry.js';

/**
 * The one Slack Web API client of this product: a thin wrapper over `@slack/web-api`'s
 * `WebClient` that every function (report hook, approvals, the Slack endpoint, notify) shares.
 *
 * - The API base URL is injectable (`apiUrl`): tests point it at a local HTTP server.
 * - The bot token comes from a `TokenSource` (normally `secretsManagerToken`, cached for
 *   minutes so a rotated token is picked up without a cold start) and is sent per call in the
 *   `Authorization: Bearer xoxb-…` header, never in the body.
 * - Every text and block goes through `redact` before it leaves, so a secret cannot reach a
 *   channel by accident.
 * - Retries are bounded (`maxRetries`, default 2, with a short back-off) and each request has a
 *   timeout, so a Slack outage costs a caller seconds, not the WebClient's default 30 minutes.
 * - Failures surface as `SlackError` with a message that holds neither the token nor a
 *   response_url: callers decide whether an outage matters (the report hook records it).
 */

/** Returns the bot token (`xoxb-…`). Called before every request; implementations cache. */
export type TokenSource = () => Promise<string>;

export interface SlackApiOptions {
  readonly token: TokenSource;
  /** Base URL of the Web API, with a trailing slash. Default `https://slack.com/api/`. */
  readonly apiUrl?: string;
  /** Retries after the first attempt for 5xx / network errors / 429. Default 2. */
  readonly maxRetries?: number;
  /** First back-off in ms (doubles per retry, capped at 2 s). Default 300. */
  readonly retryDelayMs?: number;
  /** Per-request timeout in ms. Default 5000. */
  readonly timeoutMs?: number;
  /**
   * Origins a `response_url` may point at. Default Slack's own (`https://hooks.slack.com`);
   * tests add their local server. Anything else is refused, so a forged payload cannot make
   * us POST to an arbitrary host.
   */
  readonly responseUrlOrigins?: readonly string[];
}

export type SlackBlocks = readonly (KnownBlock | Block)[];

export interface SlackMessage {
  readonly channel: string;
  /** Plain-text fallback: notifications and screen readers use it. */
  readonly text: string;
  readonly blocks?: SlackBlocks;
  /** Post as a reply in this thread. */
  readonly threadTs?: string;
  /** Also show a thread reply in the channel. */
  readonly replyBroadcast?: boolean;
}

export interface SlackUpdate {
  readonly channel: string;
  readonly ts: string;
  readonly text: string;
  readonly blocks?: SlackBlocks;
}

export interface SlackEphemeral extends SlackMessage {
  readonly user: string;
}

export interface SlackResponse {
  readonly text: string;
  readonly blocks?: SlackBlocks;
  /** `ephemeral` (default, only the requester sees it) or `in_channel`. */
  readonly responseType?: 'ephemeral' | 'in_channel';
  /** Replace the message that carried the button / command. */
  readonly replaceOriginal?: boolean;
  readonly deleteOriginal?: boolean;
}

/** Where a posted message lives: what `update` needs later. */
export interface SlackMessageRef {
  readonly channel: string;
  readonly ts: string;
}

export class SlackError extends Error {
  override readonly name = 'SlackError';
  constructor(
    message: string,
    /** Slack's error code (`channel_not_found`, `invalid_auth`, …) or an HTTP / network code. */
    readonly code: string,
    /** Whether retrying later could help (outage, rate limit) as opposed to a bad request. */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

const DEFAULT_API_URL = 'https://slack.com/api/';
const SLACK_RESPONSE_ORIGINS = ['https://hooks.slack.com'];

interface WebApiErrorShape {
  code?: string;
  statusCode?: number;
  data?: { error?: string };
  original?: { message?: string; code?: string; cause?: { code?: string } };
  message?: string;
}

/** Maps a `@slack/web-api` error to a `SlackError` whose message is safe to log. */
function toSlackError(method: string, err: unknown): SlackError {
  const e = (err ?? {}) as WebApiErrorShape;
  switch (e.code) {
    case 'slack_webapi_platform_error':
      return new SlackError(
        `Slack ${method} refused: ${e.data?.error ?? 'unknown'}`,
        e.data?.error ?? 'platform_error',
        e.data?.error === 'ratelimited' || e.data?.error === 'service_unavailable',
      );
    case 'slack_webapi_http_error':
      return new SlackError(
        `Slack ${method} failed: HTTP ${e.statusCode ?? '?'}`,
        `http_${e.statusCode ?? 'error'}`,
        (e.statusCode ?? 500) >= 500 || e.statusCode === 429,
      );
    case 'slack_webapi_rate_limited_error':
      return new SlackError(`Slack ${method} rate limited`, 'ratelimited', true);
    case 'slack_webapi_request_error': {
      const cause = e.original?.cause?.code ?? e.original?.code ?? 'network_error';
      return new SlackError(`Slack ${method} unreachable: ${cause}`, cause, true);
    }
    default:
      return new SlackError(
        `Slack ${method} failed: ${redactString(e.message ?? String(err))}`,
        'unknown',
        true,
      );
  }
}

export class SlackApi {
  private readonly token: TokenSource;
  private readonly apiUrl: string;
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly responseOrigins: readonly string[];
  /** One WebClient per token value: a rotated token gets a fresh client, the old one is dropped. */
  private cached: { token: string; client: WebClient } | undefined;

  /** Requests made at most per call (first attempt + retries): what an outage costs and what is recorded. */
  get maxAttempts(): number {
    return this.maxRetries + 1;
  }

  constructor(options: SlackApiOptions) {
    this.token = options.token;
    this.apiUrl = options.apiUrl ?? DEFAULT_API_URL;
    this.maxRetries = options.maxRetries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 300;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.responseOrigins = options.responseUrlOrigins ?? SLACK_RESPONSE_ORIGINS;
  }

  /**
   * The WebClient for the current token. The token is given to the constructor so it travels
   * only in the `Authorization` header (a per-call `token` argument would also be form-encoded
   * into the request body).
   */
  private async client(): Promise<WebClient> {
    const token = await this.token();
    if (this.cached?.token === token) return this.cached.client;
    const client = new WebClient(token, {
      slackApiUrl: this.apiUrl,
      // Over node:https, which the SDK has loaded already, not Node's fetch (https-fetch.ts).
      fetch: httpsFetch,
      // Absolute "method" URLs would let a caller send the token elsewhere.
      allowAbsoluteUrls: false,
      timeout: this.timeoutMs,
      // Its own warnings name URLs; our callers log a redacted SlackError instead.
      logLevel: LogLevel.ERROR,
      // Rate limits are retried like outages, within the same bound.
      rejectRateLimitedCalls: true,
      retryConfig: {
        retries: this.maxRetries,
        factor: 2,
        minTimeout: this.retryDelayMs,
        maxTimeout: Math.max(this.retryDelayMs, 2000),
        randomize: false,
      },
    });
    this.cached = { token, client };
    return client;
  }

  /** chat.postMessage; returns where the message lives so it can be updated in place. */
  async postMessage(message: SlackMessage): Promise<SlackMessageRef> {
    const client = await this.client();
    try {
      const thread:
        | { thread_ts?: string; reply_broadcast?: false }
        | { thread_ts: string; reply_broadcast: boolean } = message.threadTs
        ? { thread_ts: message.threadTs, reply_broadcast: message.replyBroadcast ?? false }
        : {};
      const res = await client.chat.postMessage({
        channel: message.channel,
        text: redactString(message.text),
        ...(message.blocks ? { blocks: redact([...message.blocks]) } : {}),
        ...thread,
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!res.ts || !res.channel)
        throw new SlackError('Slack chat.postMessage returned no ts', 'no_ts', false);
      return { channel: res.channel, ts: res.ts };
    } catch (err) {
      throw err instanceof SlackError ? err : toSlackError('chat.postMessage', err);
    }
  }

  /** chat.update: replaces the text and blocks of a message this bot posted. */
  async update(update: SlackUpdate): Promise<SlackMessageRef> {
    const client = await this.client();
    try {
      const res = await client.chat.update({
        channel: update.channel,
        ts: update.ts,
        text: redactString(update.text),
        ...(update.blocks ? { blocks: redact([...update.blocks]) } : {}),
      });
      return { channel: res.channel ?? update.channel, ts: res.ts ?? update.ts };
    } catch (err) {
      throw toSlackError('chat.update', err);
    }
  }

  /** chat.postEphemeral: a message only `user` sees (e.g. "you may not approve your own run"). */
  async postEphemeral(message: SlackEphemeral): Promise<void> {
    const client = await this.client();
    try {
      await client.chat.postEphemeral({
        channel: message.channel,
        user: message.user,
        text: redactString(message.text),
        ...(message.blocks ? { blocks: redact([...message.blocks]) } : {}),
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      });
    } catch (err) {
      throw toSlackError('chat.postEphemeral', err);
    }
  }

  /** usergroups.users.list: the member user ids of a user group (the Slack endpoint's authorisation). */
  async userGroupMembers(usergroup: string): Promise<string[]> {
    const client = await this.client();
    try {
      const res = await client.usergroups.users.list({ usergroup });
      return res.users ?? [];
    } catch (err) {
      throw toSlackError('usergroups.users.list', err);
    }
  }

  /**
   * Replies through an interaction's or slash command's `response_url` (valid 30 minutes, 5 uses;
   * needs no token). The URL is a credential: it is checked against the allowed origins and
   * never appears in an error message.
   */
  async respond(responseUrl: string, response: SlackResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(responseUrl);
    } catch {
      throw new SlackError('Slack response_url is not a URL', 'invalid_response_url', false);
    }
    if (!this.responseOrigins.includes(url.origin)) {
      throw new SlackError(
        `Slack response_url origin ${url.protocol}//${url.host} is not allowed`,
        'invalid_response_url',
        false,
      );
    }
    const body = JSON.stringify({
      text: redactString(response.text),
      ...(response.blocks ? { blocks: redact([...response.blocks]) } : {}),
      response_type: response.responseType ?? 'ephemeral',
      ...(response.replaceOriginal !== undefined ? { replace_original: response.replaceOriginal } : {}),
      ...(response.deleteOriginal ? { delete_original: true } : {}),
    });
    await withBoundedRetry(
      async () => {
        const res = await httpsFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await res.text();
        if (res.ok) return;
        throw new SlackError(
          `Slack response_url refused: HTTP ${res.status} ${redactString(text.slice(0, 100))}`,
          `http_${res.status}`,
          res.status >= 500 || res.status === 429,
        );
      },
      (err) => {
        if (err instanceof SlackError) return err;
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? 'network_error';
        return new SlackError(`Slack response_url unreachable: ${cause}`, cause, true);
      },
      { retries: this.maxRetries, firstDelayMs: this.retryDelayMs, maxDelayMs: 2000 },
    );
  }
}

/**
 * Reads a secret string from Secrets Manager through Powertools Parameters (cached for
 * `maxAgeSeconds`, default 5 minutes) and registers it with `redact`. A JSON secret is read
 * at `field` (default: the first of `token`, `botToken`, `value`, `apiKey`, `appKey` present).
 */
export function secretsManagerSecret(
  client: SecretsManagerClient,
  secretId: string,
  options: { readonly field?: string; readonly maxAgeSeconds?: number } = {},
): () => Promise<string> {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return async () => {
    const raw = await provider.get(secretId, { maxAge: options.maxAgeSeconds ?? 300 });
    const text = typeof raw === 'string' ? raw : raw ? new TextDecoder().decode(raw) : '';
    const value = pickField(text, options.field).trim();
    if (!value) throw new Error(`Secret ${secretId} is empty`);
    registerSecretValue(value);
    return value;
  };
}

function pickField(text: string, field: string | undefined): string {
  if (!text.trimStart().startsWith('{')) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  if (parsed === null || typeof parsed !== 'object') return text;
  const record = parsed as Record<string, unknown>;
  const keys = field ? [field] : ['token', 'botToken', 'bot_token', 'value', 'apiKey', 'appKey'];
  for (const key of keys) {
    const v = record[key];
    if (typeof v === 'string') return v;
  }
  return '';
}

/** The bot token of the stage (config `automation.slack.botTokenSecretName`), cached. */
export function secretsManagerToken(
  client: SecretsManagerClient,
  secretName: string,
  maxAgeSeconds = 300,
): TokenSource {
  return secretsManagerSecret(client, secretName, { maxAgeSeconds });
}
