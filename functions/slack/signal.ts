import type { Resource, Signal } from '../../events/signal.js';
import { findRunbook } from '../../runbooks/registry.js';

/**
 * A Slack request as the one normalised `Signal` the intake speaks: source `slack`, the person as
 * a human actor, and `request` naming the runbook and its (already validated) parameters, so
 * the intake's manual-request rule, guards and execution naming treat it like any other trigger.
 */

const RESOURCE_TYPES: Record<string, Resource['type']> = {
  'snapshot-volume': 'ebs-volume',
  'scale-node-group': 'node-group',
  'update-dns': 'dns-record',
  'rotate-secret': 'secret',
  'verify-backups': 'backup',
};

export interface SlackRunRequest {
  readonly kind: 'run-requested' | 'revert-requested';
  readonly runbook: string;
  readonly parameters: Record<string, unknown>;
  readonly dryRun: boolean;
  readonly user: { readonly id: string; readonly name?: string };
  readonly channel: string;
  /** The thread the run reports into (the message announcing the command). */
  readonly threadTs?: string;
  readonly receivedAt: string;
  readonly correlationId: string;
  readonly text: string;
}

export function slackRequestSignal(r: SlackRunRequest): Signal {
  const spec = findRunbook(r.runbook);
  const resourceId = spec ? spec.resourceKey(r.parameters) : r.runbook;
  const who = r.user.name ? `@${r.user.name}` : r.user.id;
  return {
    source: 'slack',
    kind: `slack.${r.kind}`,
    resource: { type: RESOURCE_TYPES[r.runbook] ?? 'unknown', id: resourceId, attributes: {} },
    severity: 'info',
    occurredAt: r.receivedAt,
    correlationId: r.correlationId,
    actor: { type: 'human', id: r.user.id, ...(r.user.name ? { name: r.user.name } : {}) },
    details: { runbook: r.runbook, dryRun: r.dryRun, channel: r.channel },
    summary: `${r.text} (by ${who})`.slice(0, 300),
    request: {
      runbook: r.runbook,
      parameters: r.parameters,
      requestedBy: r.user.id,
      // response_url stays out of the run's input: it is a credential for 30 minutes.
      slack: { channel: r.channel, ...(r.threadTs ? { threadTs: r.threadTs } : {}) },
    },
    raw: { text: r.text, user: r.user.id, channel: r.channel },
  };
}
