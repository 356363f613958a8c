import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for several AWS services at once, over real HTTP, for the `ops doctor` tests.
 * It routes by the Signature V4 credential scope (the service the caller signed for) and the
 * operation (X-Amz-Target for AWS JSON, Action for the Query protocol), and, like AWS, refuses a
 * request that is unsigned, names a member the operation does not have, or lacks a required one.
 * The oracle for members is AWS's own model: botocore's service definitions (python3 on this machine).
 * Answers are recorded in the test, in each protocol's wire format.
 */

export type Answer =
  | { readonly status?: 200; readonly json: unknown }
  | { readonly status?: 200; readonly xml: string }
  | { readonly status: number; readonly error: string; readonly message: string };

/** Keyed `<signing name>:<Operation>`, e.g. `secretsmanager:DescribeSecret`, `sns:ListSubscriptionsByTopic`. */
export type Answers = Record<string, (input: Record<string, unknown>) => Answer>;

export interface AwsRequest {
  readonly service: string;
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

export interface AwsStandIn {
  readonly url: string;
  readonly requests: AwsRequest[];
  stop(): Promise<void>;
}

interface OpModel {
  readonly members: string[];
  readonly required: string[];
  readonly protocol: string;
}

const MODEL_SCRIPT = `
import json, sys, botocore.session
s = botocore.session.get_session()
out = {}
for key in json.loads(sys.argv[1]):
    service, op = key.split(':')
    m = s.get_service_model({'secretsmanager': 'secretsmanager', 'ssm': 'ssm', 'events': 'events', 'cloudformation': 'cloudformation', 'sns': 'sns'}[service])
    shape = m.operation_model(op).input_shape
    out[key] = {'members': list(shape.members) if shape else [], 'required': list(shape.required_members) if shape else [], 'protocol': m.metadata['protocol']}
print(json.dumps(out))
`;

/** Input members of each `<service>:<Operation>`, from botocore's copy of AWS's API models. */
export function awsInputModels(keys: readonly string[]): Record<string, OpModel> {
  return JSON.parse(
    execFileSync('python3', ['-c', MODEL_SCRIPT, JSON.stringify(keys)], { encoding: 'utf8' }),
  );
}

function queryInput(form: URLSearchParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [k, v] of form) if (k !== 'Action' && k !== 'Version') input[k] = v;
  return input;
}

export async function startAwsStandIn(answers: Answers): Promise<AwsStandIn> {
  const models = awsInputModels(Object.keys(answers));
  const requests: AwsRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const auth = req.headers.authorization ?? '';
    const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
    const target = req.headers['x-amz-target'];
    const json = typeof target === 'string';
    const reply = (status: number, text: string, type = json ? 'application/x-amz-json-1.1' : 'text/xml') => {
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    const fail = (status: number, code: string, message: string) =>
      json
        ? reply(status, JSON.stringify({ __type: code, message }))
        : reply(
            status,
            `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>standin</RequestId></ErrorResponse>`,
          );
    if (!scope?.[1] || !/SignedHeaders=.*host/.test(auth) || !auth.includes('Signature='))
      return fail(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const service = scope[1];
    let operation: string;
    let input: Record<string, unknown>;
    if (json) {
      operation = (target as string).split('.').pop() ?? '';
      input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } else {
      const form = new URLSearchParams(body);
      operation = form.get('Action') ?? '';
      input = queryInput(form);
    }
    const key = `${service}:${operation}`;
    const model = models[key];
    const answer = answers[key];
    if (!model || !answer) return fail(400, 'InvalidAction', `${key} is not answered by this stand-in`);
    const unknown = Object.keys(input).filter((k) => !model.members.includes(k));
    const missing = model.required.filter((k) => !(k in input));
    if (unknown.length || missing.length)
      return fail(
        400,
        'ValidationException',
        `unknown members ${unknown.join(',')}; missing ${missing.join(',')}`,
      );
    requests.push({ service, operation, input });
    const a = answer(input);
    if ('error' in a) return fail(a.status, a.error, a.message);
    if ('json' in a) return reply(200, JSON.stringify(a.json));
    return reply(200, a.xml);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
