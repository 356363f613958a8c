import { createHash } from 'node:crypto';
import type { Resource, Signal } from '../../signal.js';
import { compactDetails, compactStrings, finalise, oneLine, parseOrThrow, requireIso } from '../shared.js';
import { type ManualRequest, ManualRequestSchema } from './schema.js';

/** JSON with object keys sorted, so the same request always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function text(parameters: Record<string, unknown>, key: string): string | undefined {
  const value = parameters[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The target a request names, by the parameter names the runbooks share. */
function resourceOf(runbook: string, parameters: Record<string, unknown>): Pick<Resource, 'type' | 'id'> {
  const volumeId = text(parameters, 'volumeId');
  const cluster = text(parameters, 'cluster');
  const namespace = text(parameters, 'namespace');
  const pvc = text(parameters, 'pvc');
  const nodegroup = text(parameters, 'nodegroup');
  const secretId = text(parameters, 'secretId');
  const zoneName = text(parameters, 'zoneName');
  const recordName = text(parameters, 'recordName');
  if (volumeId) return { type: 'ebs-volume', id: volumeId };
  if (cluster && namespace && pvc) return { type: 'pvc', id: `${cluster}/${namespace}/${pvc}` };
  // A cluster named with nothing narrower (no PVC, secret or record) means the cluster's node groups.
  if (cluster && (nodegroup || (!namespace && !pvc && !secretId && !zoneName && !recordName))) {
    return { type: 'node-group', id: `${cluster}/${nodegroup ?? '*'}` };
  }
  if (secretId) return { type: 'secret', id: secretId };
  if (zoneName && recordName) {
    return { type: 'dns-record', id: `${zoneName}/${recordName}/${text(parameters, 'recordType') ?? 'A'}` };
  }
  return { type: 'unknown', id: runbook };
}

function describeParameter(key: string, value: unknown): string {
  return `${key}=${typeof value === 'string' ? value : canonicalJson(value)}`;
}

/**
 * A manual request (Slack `/ops …` or the `ops` CLI) → Signal with `request` set. The intake validates the
 * parameters against the runbook and applies the same guards as for any other signal.
 */
export function manualSignal(input: ManualRequest): Signal {
  const r = parseOrThrow(
    ManualRequestSchema,
    input,
    input?.via === 'cli' ? 'cli' : 'slack',
    'manual request',
  );
  const at = requireIso(r.at instanceof Date ? r.at.getTime() : r.at, r.via, 'at');
  const source = r.via;
  const correlationId =
    r.requestId ??
    `${source}-${createHash('sha256')
      .update(
        canonicalJson({
          runbook: r.runbook,
          parameters: r.parameters,
          requestedBy: r.requestedBy,
          at,
          dryRun: r.dryRun === true,
        }),
      )
      .digest('hex')
      .slice(0, 32)}`;
  const target = resourceOf(r.runbook, r.parameters);
  const described = Object.entries(r.parameters).map(([k, v]) => describeParameter(k, v));
  const who = r.requestedByName ?? r.requestedBy;
  return finalise(
    {
      source,
      kind: source === 'cli' ? 'cli.command' : 'slack.command',
      resource: {
        ...target,
        attributes: compactStrings({
          runbook: r.runbook,
          volumeId: text(r.parameters, 'volumeId'),
          cluster: text(r.parameters, 'cluster'),
          nodegroup: text(r.parameters, 'nodegroup'),
          namespace: text(r.parameters, 'namespace'),
          pvc: text(r.parameters, 'pvc'),
          secretName: text(r.parameters, 'secretId'),
          zone: text(r.parameters, 'zoneName'),
          record: text(r.parameters, 'recordName'),
        }),
      },
      severity: 'info',
      occurredAt: at,
      correlationId,
      actor: { type: 'human', id: r.requestedBy, name: r.requestedByName },
      details: compactDetails({
        runbook: r.runbook,
        via: r.via,
        channel: r.channel,
        threadTs: r.threadTs,
        parameters: described,
      }),
      summary: oneLine(
        `${who} asked for ${r.runbook}${described.length > 0 ? ` ${described.join(' ')}` : ''}`,
      ),
      request: {
        runbook: r.runbook,
        parameters: r.parameters,
        requestedBy: r.requestedBy,
        ...(r.dryRun ? { dryRun: true } : {}),
        slack: r.channel
          ? { channel: r.channel, threadTs: r.threadTs, responseUrl: r.responseUrl }
          : undefined,
      },
      raw: input,
    },
    source,
  );
}
