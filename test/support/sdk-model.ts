import { serviceModel, sfnActionName } from './aws-model.js';

/**
 * AWS SDK v3 calls checked against AWS's own API model (botocore's copy, test/support/aws-model.ts): a
 * fake at the AWS boundary refuses what AWS would refuse (an unknown member, a missing required one, a
 * wrong type or enum value) and its canned answers must fit the operation's output shape. SDK v3 names
 * members exactly as the model does, so no Step Functions renaming applies here.
 */
const typeOf = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'list' : v instanceof Date ? 'date' : typeof v;

function problems(
  service: string,
  shapeName: string,
  value: unknown,
  path: string,
  required: boolean,
): string[] {
  const model = serviceModel(service);
  const shape = model.shape(shapeName);
  const out: string[] = [];
  const bad = (what: string) =>
    out.push(`${path}: expected ${what} (${shapeName}), got ${typeOf(value)} ${JSON.stringify(value)}`);
  switch (shape.type) {
    case 'structure': {
      if (typeOf(value) !== 'object') {
        bad('an object');
        break;
      }
      const given = value as Record<string, unknown>;
      const members = shape.members ?? {};
      for (const [k, v] of Object.entries(given)) {
        if (v === undefined) continue;
        const ref = members[k];
        if (!ref)
          out.push(
            `${path}.${k}: not a member of ${shapeName} (members: ${Object.keys(members).join(', ')})`,
          );
        else out.push(...problems(service, ref.shape, v, `${path}.${k}`, required));
      }
      if (required) {
        for (const r of shape.required ?? [])
          if (given[r] === undefined) out.push(`${path}.${r}: required by ${shapeName}`);
      }
      break;
    }
    case 'list':
      if (!Array.isArray(value)) bad('a list');
      else if (shape.member)
        for (const [i, v] of value.entries()) {
          out.push(...problems(service, shape.member.shape, v, `${path}[${i}]`, required));
        }
      break;
    case 'map':
      if (typeOf(value) !== 'object') bad('a map');
      break;
    case 'string':
      if (typeof value !== 'string') bad('a string');
      else if (shape.enum && !shape.enum.includes(value)) bad(`one of ${shape.enum.join(', ')}`);
      break;
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      if (typeof value !== 'number') bad('a number');
      break;
    case 'boolean':
      if (typeof value !== 'boolean') bad('a boolean');
      break;
    case 'timestamp':
      if (!(value instanceof Date) && typeof value !== 'string') bad('a timestamp');
      break;
    default:
      break;
  }
  return out;
}

/** Problems with an SDK v3 command input for `service`'s `operation` (e.g. `ec2`, `DescribeFlowLogs`). */
export function sdkRequestProblems(service: string, operation: string, input: unknown): string[] {
  const op = serviceModel(service).operation(sfnActionName(operation));
  if (!op.input) return [];
  return problems(service, op.input, input ?? {}, `${service}:${operation}`, true);
}

/** Problems with a canned answer for `operation` (members and types; required members not demanded). */
export function sdkResponseProblems(service: string, operation: string, output: unknown): string[] {
  const op = serviceModel(service).operation(sfnActionName(operation));
  if (!op.output) return [];
  return problems(service, op.output, output ?? {}, `${service}:${operation} result`, false);
}

/**
 * A fake operation for `aws-sdk-client-mock`'s `callsFake`: refuses an input AWS's model refuses (as AWS
 * would, with a ValidationException), checks the answer against the output shape, then answers.
 */
export function modelChecked<I, O>(
  service: string,
  operation: string,
  answer: (input: I) => O,
): (input: I) => O {
  return (input: I) => {
    const request = sdkRequestProblems(service, operation, input);
    if (request.length > 0) {
      throw Object.assign(new Error(request.join('; ')), { name: 'ValidationException' });
    }
    const out = answer(input);
    const response = sdkResponseProblems(service, operation, out);
    if (response.length > 0)
      throw new Error(`the test's canned answer breaks the model: ${response.join('; ')}`);
    return out;
  };
}
