import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * A minimal, read-only AWS API caller for the services whose SDK client this project does not
 * install (EventBridge, CloudFormation, SNS): one signed POST per call, AWS JSON 1.1 or the Query
 * protocol, with Signature V4 from @smithy/signature-v4 and the SDK's default credential chain.
 * It honours AWS_ENDPOINT_URL_<SERVICE_ID> and AWS_ENDPOINT_URL like the SDK does.
 * When `@aws-sdk/client-eventbridge`, `-cloudformation` and `-sns` are added, the doctor's ports
 * take those clients instead and this file goes.
 */

export interface AwsService {
  /** The SDK's service id, e.g. `EventBridge` (AWS_ENDPOINT_URL_EVENTBRIDGE). */
  readonly serviceId: string;
  readonly signingName: string;
  readonly endpointPrefix: string;
  readonly protocol: 'json' | 'query';
  /** JSON: the X-Amz-Target prefix. Query: the API version. */
  readonly targetPrefix?: string;
  readonly apiVersion?: string;
}

export const EVENTBRIDGE: AwsService = {
  serviceId: 'EventBridge',
  signingName: 'events',
  endpointPrefix: 'events',
  protocol: 'json',
  targetPrefix: 'AWSEvents',
};
export const CLOUDFORMATION: AwsService = {
  serviceId: 'CloudFormation',
  signingName: 'cloudformation',
  endpointPrefix: 'cloudformation',
  protocol: 'query',
  apiVersion: '2010-05-15',
};
export const SNS: AwsService = {
  serviceId: 'SNS',
  signingName: 'sns',
  endpointPrefix: 'sns',
  protocol: 'query',
  apiVersion: '2010-03-31',
};

/** An error answer from AWS, named by its error code (e.g. `ResourceNotFoundException`), like the SDK's. */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

export interface AwsRpcOptions {
  readonly region: string;
  readonly credentials?: AwsCredentialIdentityProvider;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
}

export function endpointFor(
  service: AwsService,
  region: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const specific = env[`AWS_ENDPOINT_URL_${service.serviceId.toUpperCase().replace(/ /g, '_')}`];
  return specific ?? env.AWS_ENDPOINT_URL ?? `https://${service.endpointPrefix}.${region}.amazonaws.com`;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
    e.startsWith('#x') || e.startsWith('#X')
      ? String.fromCodePoint(Number.parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : (ENTITIES[e] ?? ''),
  );

/** Every `<tag>…</tag>` body in an XML text (Query protocol answers are flat enough for this). */
export function xmlAll(xml: string, tag: string): string[] {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1] as string);
}

/** The text of the first `<tag>`, unescaped; undefined when absent. */
export function xmlText(xml: string, tag: string): string | undefined {
  const [first] = xmlAll(xml, tag);
  return first === undefined ? undefined : unescapeXml(first.trim());
}

export class AwsRpc {
  private readonly signer: SignatureV4;
  private readonly endpoint: URL;

  constructor(
    private readonly service: AwsService,
    private readonly options: AwsRpcOptions,
  ) {
    this.signer = new SignatureV4({
      service: service.signingName,
      region: options.region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: Hash.bind(null, 'sha256'),
    });
    this.endpoint = new URL(endpointFor(service, options.region, options.env ?? process.env));
  }

  /** AWS JSON 1.1: the parsed answer. */
  async json<T>(operation: string, input: Record<string, unknown>): Promise<T> {
    const text = await this.send(JSON.stringify(input), {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `${this.service.targetPrefix}.${operation}`,
    });
    return JSON.parse(text || '{}') as T;
  }

  /** Query protocol: the answer's XML text (flat scalar parameters only). */
  async query(operation: string, input: Record<string, string>): Promise<string> {
    const form = new URLSearchParams({ Action: operation, Version: this.service.apiVersion ?? '', ...input });
    return this.send(form.toString(), { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
  }

  private async send(body: string, headers: Record<string, string>): Promise<string> {
    const url = this.endpoint;
    const request = new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname || '/',
      headers: { ...headers, host: url.host },
      body,
    });
    const signed = await this.signer.sign(request);
    const { host: _host, ...sendHeaders } = signed.headers;
    const res = await fetch(url, {
      method: 'POST',
      headers: sendHeaders,
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    if (res.ok) return text;
    throw this.error(res, text);
  }

  private error(res: Response, text: string): AwsServiceError {
    if (this.service.protocol === 'json') {
      let parsed: { __type?: string; message?: string; Message?: string } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // not JSON: the status says enough
      }
      const type = res.headers.get('x-amzn-errortype') ?? parsed.__type ?? `HTTP${res.status}`;
      const code = type.split(':')[0]?.split('#').pop() ?? type;
      return new AwsServiceError(code, parsed.message ?? parsed.Message ?? text.slice(0, 200), res.status);
    }
    const code = xmlText(text, 'Code') ?? `HTTP${res.status}`;
    return new AwsServiceError(code, xmlText(text, 'Message') ?? text.slice(0, 200), res.status);
  }
}
