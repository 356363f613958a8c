import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * Every AWS endpoint of a smoke-tested bundle (`AWS_ENDPOINT_URL` points here): a local HTTP
 * server that refuses each request the way AWS refuses a caller without permission, in the
 * request's own protocol (JSON, query for EC2 and the others, REST-XML for S3, REST-JSON), so the
 * SDK parses a real service error. It records who called what, and the marker in its message
 * tells the test a handler's error came from here, after the bundle loaded and ran.
 */
export const REFUSAL_MARKER = 'refused by the bundle smoke test AWS stand-in';

export interface AwsCall {
  /** The access key the caller signed with: the smoke test gives each function its own. */
  readonly accessKeyId: string;
  readonly service: string;
  readonly operation: string;
  readonly signed: boolean;
}

/**
 * `refuse` (the smoke test): every call is refused as above. `answer` (the cold-load benchmark):
 * every call succeeds with the smallest reply its protocol allows for that operation (no output
 * members: `{}`, an empty `<Action>Result`, an empty body), the way AWS answers a caller that may
 * make the call and finds nothing (an empty list, no item, no secret value). A handler then runs
 * its own code to the end of its first invocation instead of ending at the first refusal: no
 * back-off, and no error stack formatted (with `--enable-source-maps` Node decodes the whole
 * bundle's map at the first stack it formats, 0.3–0.5 s for a 1–2.6 MB map), unless our code
 * raises one itself.
 */
/**
 * The value of every secret in `answer` mode: one JSON document with the fields our readers take
 * (database credentials; a token, API or application key: functions/shared/slack.ts `pickField`).
 */
export const STAND_IN_SECRET = {
  username: 'smoke',
  password: 'smoke-password-0000',
  token: 'xoxb-0000-smoke',
  signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
  apiKey: '0123456789abcdef0123456789abcdef',
  appKey: '0123456789abcdef0123456789abcdef01234567',
} as const;
/** The `SecretString` of every secret in `answer` mode. */
export const STAND_IN_SECRET_STRING = JSON.stringify(STAND_IN_SECRET);
const SECRET_VALUE = STAND_IN_SECRET_STRING;

const parseJson = (body: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/**
 * JSON replies with more than `{}`: what exists always has a value, and the members the API model
 * marks required on success are there.
 * - A secret: one value that reads as a token and as credentials.
 * - A parameter: `off`, which reads as the intake's kill switch and pause flags left off (`{}`, no
 *   parameter, made the intake and the Slack worker fail closed and measured that refusal).
 * - A started execution: its ARN and start date (both required in Step Functions' model).
 */
const JSON_REPLIES: Record<string, (input: Record<string, unknown>) => unknown> = {
  GetSecretValue: () => ({ SecretString: SECRET_VALUE }),
  GetParameter: (input) => ({
    Parameter: { Name: String(input.Name ?? ''), Type: 'String', Value: 'off', Version: 1 },
  }),
  StartExecution: (input) => ({
    executionArn: `${String(input.stateMachineArn ?? '').replace(':stateMachine:', ':execution:')}:${String(input.name ?? 'smoke')}`,
    startDate: Math.floor(Date.now() / 1000),
  }),
};

/** EC2 replies whose one member is always there on success (CopySnapshot: the new snapshot's id). */
const EC2_REQUIRED: Record<string, string> = {
  CopySnapshot: '<snapshotId>snap-0fedcba9876543210</snapshotId>',
  CreateSnapshot: '<snapshotId>snap-0fedcba9876543210</snapshotId>',
};

export type StandInMode = 'refuse' | 'answer';

export interface AwsRefuser {
  readonly url: string;
  readonly calls: AwsCall[];
  close(): Promise<void>;
}

/**
 * A reply a bench gives to one JSON-protocol call in `answer` mode, instead of the default: a body,
 * or a service error by its type (sent as AWS sends it: 400 with `__type`).
 */
export type JsonAnswer = { readonly reply: unknown } | { readonly error: string; readonly message: string };

/** Asked first for every JSON-protocol call in `answer` mode; `undefined` keeps the default reply. */
export type JsonAnswers = (operation: string, input: Record<string, unknown>) => JsonAnswer | undefined;

function respond(
  req: IncomingMessage,
  body: string,
  res: ServerResponse,
  mode: StandInMode,
  answers: JsonAnswers | undefined,
): AwsCall {
  const auth = req.headers.authorization ?? '';
  const scope = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth);
  const accessKeyId = scope?.[1] ?? 'unsigned';
  const service = scope?.[2] ?? 'unknown';
  const signed = auth.startsWith('AWS4-HMAC-SHA256 ');
  const target = req.headers['x-amz-target'];
  const contentType = req.headers['content-type'] ?? '';
  const requestId = 'smoke-0000-0000';
  const message = `User is not authorized to perform this operation (${REFUSAL_MARKER})`;
  if (typeof target === 'string') {
    const operation = target.split('.').pop() ?? target;
    if (mode === 'answer') {
      const input = parseJson(body);
      const answer = answers?.(operation, input);
      const failed = answer !== undefined && 'error' in answer;
      res.writeHead(failed ? 400 : 200, {
        'content-type': contentType || 'application/x-amz-json-1.1',
        'x-amzn-requestid': requestId,
      });
      res.end(
        JSON.stringify(
          failed
            ? { __type: answer.error, message: answer.message }
            : answer !== undefined
              ? answer.reply
              : (JSON_REPLIES[operation]?.(input) ?? {}),
        ),
      );
      return { accessKeyId, service, operation, signed };
    }
    // awsJson 1.0 / 1.1 (DynamoDB, SSM, Secrets Manager, Step Functions…): 400 with __type.
    res.writeHead(400, {
      'content-type': contentType || 'application/x-amz-json-1.1',
      'x-amzn-requestid': requestId,
    });
    res.end(JSON.stringify({ __type: 'AccessDeniedException', message }));
    return { accessKeyId, service, operation, signed };
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body).get('Action') ?? 'unknown';
    if (mode === 'answer') {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        service === 'ec2'
          ? `<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId>${EC2_REQUIRED[action] ?? ''}</${action}Response>`
          : `<${action}Response><${action}Result/><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
      return { accessKeyId, service, operation: action, signed };
    }
    res.writeHead(403, { 'content-type': 'text/xml' });
    res.end(
      service === 'ec2'
        ? `<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
        : `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
    return { accessKeyId, service, operation: action, signed };
  }
  const operation = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
  if (mode === 'answer') {
    // REST-XML (S3) and REST-JSON: a body without members.
    const json = service !== 's3';
    res.writeHead(200, {
      'content-type': json ? 'application/json' : 'application/xml',
      'x-amzn-requestid': requestId,
    });
    res.end(json ? '{}' : '');
    return { accessKeyId, service, operation, signed };
  }
  if (service === 's3') {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(
      `<Error><Code>AccessDenied</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`,
    );
    return { accessKeyId, service, operation, signed };
  }
  // REST-JSON (Lambda and others).
  res.writeHead(403, {
    'content-type': 'application/json',
    'x-amzn-errortype': 'AccessDeniedException',
    'x-amzn-requestid': requestId,
  });
  res.end(JSON.stringify({ message, Message: message }));
  return { accessKeyId, service, operation, signed };
}

export interface StandInOptions {
  /**
   * Serve HTTPS with this key and certificate (its names must include `IP:127.0.0.1`, and the
   * bundle's process must trust it), as every AWS endpoint does: the SDK then takes the same path
   * as in Lambda (`node:https`, a TLS handshake per connection). Default: plain HTTP.
   */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** `answer` mode: replies of a bench's own for some JSON-protocol calls (JsonAnswers). */
  readonly answers?: JsonAnswers;
}

export async function startAwsRefuser(
  mode: StandInMode = 'refuse',
  options: StandInOptions = {},
): Promise<AwsRefuser> {
  const calls: AwsCall[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      calls.push(respond(req, Buffer.concat(chunks).toString('utf8'), res, mode, options.answers)),
    );
  };
  const server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
