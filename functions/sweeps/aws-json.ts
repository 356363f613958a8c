import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from '../kube/token.js';
import type { TrailStatusReader } from './checks/trails.js';

/**
 * A minimal signed AWS JSON 1.1 call: the project ships no CloudTrail SDK client (package.json keeps only
 * the clients something imports), and the sweep needs one read, GetTrailStatus. Same signer as the kube
 * function's EKS token (Signature V4 from @smithy). The error's `name` is AWS's error code, like the SDK's,
 * so the retry classifier treats throttling the same way.
 */
export interface AwsJsonOptions {
  readonly region: string;
  readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** Override for tests (a local stand-in); `https://<service>.<region>.amazonaws.com` otherwise. */
  readonly endpoint?: string;
  readonly fetch?: typeof fetch;
}

export class AwsJsonError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly $metadata: { httpStatusCode: number },
  ) {
    super(message);
    this.name = code;
  }
}

export async function awsJsonCall(
  options: AwsJsonOptions,
  service: string,
  target: string,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const url = new URL(options.endpoint ?? `https://${service}.${options.region}.amazonaws.com/`);
  const body = JSON.stringify(input);
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service,
    sha256: Hash.bind(null, 'sha256'),
  });
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    headers: {
      host: url.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
    },
    body,
  });
  const signed = await signer.sign(request);
  const response = await (options.fetch ?? fetch)(url, {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body,
  });
  const text = await response.text();
  const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (!response.ok) {
    const rawType = String(parsed.__type ?? response.headers.get('x-amzn-errortype') ?? 'UnknownError');
    const code = rawType.split('#').pop()?.split(':')[0] ?? rawType;
    const message = String(parsed.message ?? parsed.Message ?? text.slice(0, 200));
    throw new AwsJsonError(code, `${target}: ${code}: ${message}`, { httpStatusCode: response.status });
  }
  return parsed;
}

/** CloudTrail's GetTrailStatus over `awsJsonCall`. */
export function cloudTrailStatusReader(options: AwsJsonOptions): TrailStatusReader {
  return {
    async getTrailStatus(name) {
      const out = await awsJsonCall(
        options,
        'cloudtrail',
        'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus',
        { Name: name },
      );
      return {
        ...(typeof out.IsLogging === 'boolean' ? { IsLogging: out.IsLogging } : {}),
        ...(typeof out.LatestDeliveryError === 'string'
          ? { LatestDeliveryError: out.LatestDeliveryError }
          : {}),
      };
    },
  };
}
