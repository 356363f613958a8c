import * as z from 'zod';
import { RefusedError } from '../shared.js';
import { guardrailAllowed } from './policy.js';
import { type Guardrail, RestoreGuardrailParameters, type SnapshotKind } from './spec.js';

/**
 * The restore-guardrail workflow's first decision, pure (the Lambda step in steps/handler.ts only
 * parses and calls it): `checkRequest` — parameters valid, resource allow-listed, revert meaningful;
 * says which read to do. The second, `planRestore`, is in plan.ts. A refusal throws `RefusedError`
 * before any read or mutating call.
 */

/** What infra bakes into the workflow from the stage's config and the platform (runbooks/restore-guardrail/infra.ts). */
export const GuardrailSettingsSchema = z.object({
  trails: z.array(z.string()),
  flowLogs: z.boolean(),
  buckets: z.array(z.string()),
  securityGroups: z.array(z.string()),
  snapshotOwners: z.array(z.string()),
  trustedAccounts: z.array(z.string()),
  /** The stage VPC's flow log as the platform deploys it; absent when the stage has no platform VPC here. */
  flowLog: z
    .object({
      vpcId: z.string(),
      logGroupName: z.string(),
      deliverLogsPermissionArn: z.string(),
      trafficType: z.enum(['ALL', 'ACCEPT', 'REJECT']),
    })
    .optional(),
  /** The opt-in tag every resource the automation creates carries (the flow log). */
  optInTag: z.object({ key: z.string(), value: z.string() }),
});
export type GuardrailSettings = z.infer<typeof GuardrailSettingsSchema>;

/** Which read the workflow does next: one per guardrail, snapshots by kind. */
export type ReadBranch =
  | 'trail'
  | 'flow-logs'
  | 'ebs-snapshot'
  | 'ami'
  | 'db-snapshot'
  | 'db-cluster-snapshot'
  | 'security-group'
  | 'bucket';

export interface CheckResult {
  readonly guardrail: Guardrail;
  readonly read: ReadBranch;
  /** The resource id the read and the write name (the stage VPC for flow-logs). */
  readonly target: string;
  readonly revert: boolean;
  /** describeFlowLogs filters: the stage VPC's flow logs into the platform's log group. */
  readonly flowLogFilters?: { Name: string; Values: string[] }[];
}

export const refuse = (message: string): never => {
  throw new RefusedError(message);
};

function readBranch(p: RestoreGuardrailParameters): ReadBranch {
  switch (p.guardrail) {
    case 'trail-logging':
      return 'trail';
    case 'flow-logs':
      return 'flow-logs';
    case 'snapshot-sharing':
      return p.kind as SnapshotKind;
    case 'security-group-ingress':
      return 'security-group';
    case 'bucket-public-access':
      return 'bucket';
  }
}

/** The restore state a revert carries must be for the same guardrail and resource as the run. */
const RestoreState = z.object({
  guardrail: z.string(),
  target: z.string(),
});

export function checkRequest(raw: unknown, settings: GuardrailSettings): CheckResult {
  const parsed = RestoreGuardrailParameters.safeParse(raw);
  if (!parsed.success) {
    return refuse(
      `invalid parameters: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  const p = parsed.data;
  const allowed = guardrailAllowed(p, settings);
  if (!allowed.allowed) return refuse(allowed.detail);
  const revert = p.revertOf !== undefined;
  if (revert && (p.guardrail === 'trail-logging' || p.guardrail === 'flow-logs')) {
    return refuse(
      `${p.guardrail} is not reverted: stopping a trail or deleting a flow log again would remove a defence, never repair a mistake (do it by hand if you must)`,
    );
  }
  if (revert) {
    const state = RestoreState.safeParse(p.restore);
    if (!state.success) return refuse('a revert needs the `restore` state of the run it reverts');
    const target = p.guardrail === 'flow-logs' ? settings.flowLog?.vpcId : p.target;
    if (state.data.guardrail !== p.guardrail || state.data.target !== target) {
      return refuse(
        `the restore state is for ${state.data.guardrail} ${state.data.target}, not ${p.guardrail} ${target}`,
      );
    }
  }
  if (p.guardrail === 'flow-logs') {
    const fl = settings.flowLog ?? refuse('this stage has no platform VPC flow log to restore');
    return {
      guardrail: p.guardrail,
      read: 'flow-logs',
      target: fl.vpcId,
      revert,
      flowLogFilters: [
        { Name: 'resource-id', Values: [fl.vpcId] },
        { Name: 'log-group-name', Values: [fl.logGroupName] },
      ],
    };
  }
  return { guardrail: p.guardrail, read: readBranch(p), target: p.target as string, revert };
}
