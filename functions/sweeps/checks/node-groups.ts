import { DescribeNodegroupCommand, type EKSClient, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { wildcardMatch } from '../../../config/wildcard.js';
import type { SweepFinding } from '../../../events/sources/sweep/schema.js';
import type { UnschedulableEvidence } from '../../kube/core.js';
import { allPages, read } from '../core.js';

export interface NodeGroupsSweepSettings {
  /** The node groups automation may scale (`allowLists.nodeGroups`: cluster and node group name, `*` wildcard, config/wildcard.ts). */
  readonly nodeGroups: readonly { readonly cluster: string; readonly nodegroup: string }[];
  /** Evidence older than this does not count: two sweep intervals. */
  readonly evidenceWindowMinutes: number;
  readonly region: string;
}

/** The evidence of unschedulable pods since an instant (the kube function's `count-unschedulable-events`). */
export type UnschedulableEvidenceReader = (since: Date) => Promise<UnschedulableEvidence>;

/**
 * Node groups at max with unschedulable pods (issue 14 sweep 1), every 5 minutes: what cluster-autoscaler's
 * "max node group size reached" event says, found directly when that event was lost. Both halves are
 * required, because the finding reads as that event and may start a scale-up:
 * - at max: EKS DescribeNodegroup of each allow-listed node group, `desiredSize` equal to `maxSize`;
 * - unschedulable pods: recent `FailedScheduling` / `NotTriggerScaleUp` Events in the workload namespaces,
 *   counted by the in-VPC kube function (counts only; no pod spec or name leaves it).
 * A group at max with no such pod is normal (a full, healthy group): no finding. The evidence is read at
 * every run, so a broken Kubernetes path fails the check (and its alarm) before it is needed.
 */
export async function nodeGroupsAtMax(
  eks: EKSClient,
  evidence: UnschedulableEvidenceReader,
  settings: NodeGroupsSweepSettings,
  now: Date,
): Promise<SweepFinding[]> {
  const since = new Date(now.getTime() - settings.evidenceWindowMinutes * 60_000);
  const seen = await evidence(since);
  const clusters = [...new Set(settings.nodeGroups.map((g) => g.cluster))].sort();
  const findings: SweepFinding[] = [];
  for (const cluster of clusters) {
    const patterns = settings.nodeGroups.filter((g) => g.cluster === cluster).map((g) => g.nodegroup);
    const names = await allPages(
      `eks:ListNodegroups ${cluster}`,
      (nextToken) =>
        eks.send(new ListNodegroupsCommand({ clusterName: cluster, ...(nextToken ? { nextToken } : {}) })),
      (p) => p.nodegroups,
      (p) => p.nextToken,
    );
    for (const nodegroup of names.filter((n) => patterns.some((p) => wildcardMatch(p, n))).sort()) {
      const described = await read(`eks:DescribeNodegroup ${cluster}/${nodegroup}`, () =>
        eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: nodegroup })),
      );
      const scaling = described.nodegroup?.scalingConfig;
      const max = scaling?.maxSize;
      const desired = scaling?.desiredSize;
      if (max === undefined || desired === undefined || desired < max) continue;
      if (seen.pods === 0) continue;
      const where = seen.namespaces.filter((n) => n.pods > 0);
      findings.push({
        check: 'node-groups',
        condition: 'node-group-at-max',
        resource: {
          type: 'node-group',
          id: `${cluster}/${nodegroup}`,
          region: settings.region,
          attributes: { cluster, nodegroup },
        },
        observedAt: now.toISOString(),
        summary:
          `node group ${cluster}/${nodegroup} is at its maximum (${desired} of ${max}) with ` +
          `${seen.pods} unschedulable pod${seen.pods === 1 ? '' : 's'} since ${since.toISOString()}`,
        facts: {
          desiredSize: desired,
          maxSize: max,
          unschedulablePods: seen.pods,
          failedSchedulingPods: where.reduce((n, w) => n + w.failedScheduling, 0),
          notTriggerScaleUpPods: where.reduce((n, w) => n + w.notTriggerScaleUp, 0),
          namespaces: where.map((w) => w.namespace),
          ...(seen.newest ? { newestEvidence: seen.newest } : {}),
        },
      });
    }
  }
  return findings;
}

/** A refusal or failure the kube function reported (its error type and message, as Lambda returns them). */
export class KubeFunctionError extends Error {
  override readonly name = 'KubeFunctionError';
}

/**
 * The evidence through the in-VPC kube function: a synchronous invoke of its `count-unschedulable-events`
 * step. An error of the function (a 403 from the API server, a refusal) fails the check with its reason.
 */
export function evidenceViaKubeFunction(
  lambda: LambdaClient,
  functionName: string,
  executionName: () => string,
): UnschedulableEvidenceReader {
  return async (since) => {
    const out = await read('lambda:Invoke kube', () =>
      lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(
            JSON.stringify({
              step: 'count-unschedulable-events',
              executionName: executionName(),
              since: since.toISOString(),
            }),
          ),
        }),
      ),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (out.FunctionError) {
      const e = (body ?? {}) as { errorType?: string; errorMessage?: string };
      throw new KubeFunctionError(
        `kube function ${out.FunctionError}: ${e.errorType ?? 'Error'}: ${(e.errorMessage ?? text).slice(0, 500)}`,
      );
    }
    const r = body as Partial<UnschedulableEvidence> | undefined;
    if (
      r?.step !== 'count-unschedulable-events' ||
      typeof r.pods !== 'number' ||
      !Array.isArray(r.namespaces)
    ) {
      throw new KubeFunctionError(
        `kube function answered something else than evidence: ${text.slice(0, 200)}`,
      );
    }
    return r as UnschedulableEvidence;
  };
}
