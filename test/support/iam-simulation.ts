import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument } from './iam-policies.js';

/**
 * Least privilege as a table: what a role must be allowed (each call its workflow makes, on an
 * allow-listed resource) and what it must be denied (the same call elsewhere, without the opt-in tag,
 * or a destructive call it never needs), evaluated by `@cloud-copilot/iam-simulate` against the
 * role's synthesised policies. The simulator also refuses a row whose action, resource type or
 * context keys do not fit the Service Authorization Reference, so the table cannot drift either.
 */
export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** The resource's own policy where the service needs one to allow anything (a KMS key policy). */
  readonly resourcePolicy?: PolicyDocument;
  /** Why this row is in the table (shown when it fails). */
  readonly why: string;
}
export interface RoleTable {
  readonly allow: readonly Request[];
  readonly deny: readonly Request[];
}

export async function decide(
  policies: readonly PolicyDocument[],
  principal: string,
  account: string,
  request: Request,
): Promise<string> {
  const result = await runSimulation(
    {
      identityPolicies: policies.map((p, i) => ({ name: `policy-${i}`, policy: p as never })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy as never } : {}),
      request: {
        action: request.action,
        principal,
        resource: { accountId: account, resource: request.resource },
        contextVariables: Object.fromEntries(
          Object.entries(request.context ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : [...v]]),
        ),
      },
    },
    {},
  );
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

/** Rows whose decision differs from the table's, each with the simulator's answer. Empty when the policy fits. */
export async function tableFailures(
  policies: readonly PolicyDocument[],
  principal: string,
  account: string,
  table: RoleTable,
): Promise<string[]> {
  const failures: string[] = [];
  const row = (r: Request) =>
    `${r.action} on ${r.resource}${r.context ? ` ${JSON.stringify(r.context)}` : ''} (${r.why})`;
  for (const r of table.allow) {
    const got = await decide(policies, principal, account, r);
    if (got !== 'Allowed') failures.push(`must allow ${row(r)}: ${got}`);
  }
  for (const r of table.deny) {
    const got = await decide(policies, principal, account, r);
    if (got.startsWith('error')) failures.push(`must deny ${row(r)}: ${got}`);
    else if (got === 'Allowed') failures.push(`must deny ${row(r)}: Allowed`);
  }
  return failures;
}
