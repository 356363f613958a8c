import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import { normaliseDatadogWebhook } from '../../../events/index.js';
import { decide } from '../../../functions/intake/decide.js';
import { PlatformMonitors } from '../../../infra/constructs/platform/monitors.js';

/**
 * From monitor to decision: for each platform monitor the dev platform stack emits, a Datadog webhook
 * body shaped like a real alert of that monitor (the recorded sample events/samples/datadog/
 * webhook-triggered.json with the monitor's name, query and tags, and a group scope written here) goes
 * through the Datadog normaliser and the intake's decide. The expected decision of every monitor is
 * written here by hand.
 */
const dev = loadStage('dev');
const sample = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../events/samples/datadog/webhook-triggered.json'), 'utf8'),
) as Record<string, string>;

interface MonitorProps {
  Name: string;
  Query: string;
  Tags: string[];
}

function devMonitors(): MonitorProps[] {
  const stack = new Stack(new App(), 'Monitors');
  new PlatformMonitors(stack, 'Monitors', { stage: dev });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Type: string; Properties: MonitorProps }
  >;
  return Object.values(resources)
    .filter((r) => r.Type === 'Datadog::Monitors::Monitor')
    .map((r) => r.Properties);
}

/** A rendered webhook body for a Triggered alert of `monitor` on the group `scope`. */
function alertBody(monitor: MonitorProps, scope: string, id: number): string {
  // $TAGS is the monitor's tags and the alerting group's tags, comma-separated.
  const tags = [...monitor.Tags, ...scope.split(',')].join(',');
  return JSON.stringify({
    ...sample,
    alert_id: String(160000000 + id),
    title: `[P2] [Triggered on {${scope}}] ${monitor.Name}`,
    alert_title: `[Triggered on {${scope}}] ${monitor.Name}`,
    alert_scope: scope,
    alert_query: monitor.Query,
    tags,
  });
}

/** By hand: the group each alert fires for, and what the intake must decide. */
const TABLE: Readonly<
  Record<string, { scope: string; action: string; runbook?: string; parameters?: Record<string, unknown> }>
> = {
  'kubernetes_state.pod.unschedulable': {
    scope: 'kube_cluster_name:dev-platform',
    action: 'start',
    runbook: 'scale-node-group',
    parameters: { cluster: 'dev-platform' },
  },
  'max node group size reached': {
    scope: 'kube_cluster_name:dev-platform',
    action: 'start',
    runbook: 'scale-node-group',
    parameters: { cluster: 'dev-platform' },
  },
  'kubernetes_state.node.by_condition': {
    scope: 'kube_cluster_name:dev-platform,node:ip-10-10-1-23.eu-west-1.compute.internal',
    action: 'notify',
  },
  'kubernetes.kubelet.volume.stats.used_bytes': {
    scope: 'kube_cluster_name:dev-platform,kube_namespace:data,persistentvolumeclaim:data-orders-db-0',
    action: 'start',
    runbook: 'snapshot-volume',
    parameters: { cluster: 'dev-platform', namespace: 'data', pvc: 'data-orders-db-0' },
  },
  'aws.rds.free_storage_space': { scope: 'dbinstanceidentifier:dev-platform', action: 'notify' },
  'aws.rds.cpuutilization': { scope: 'dbinstanceidentifier:dev-platform', action: 'notify' },
  'aws.rds.replica_lag': { scope: 'dbinstanceidentifier:dev-platform-replica-1', action: 'notify' },
  'nginx_ingress.controller.requests': { scope: 'kube_cluster_name:dev-platform', action: 'notify' },
  'aws.certificatemanager.days_to_expiry': {
    scope:
      'certificatearn:arn:aws:acm:eu-west-1:111111111111:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
    action: 'notify',
  },
};

describe('Datadog platform monitors → intake decision', () => {
  const monitors = devMonitors();

  it('has a row in the table for every monitor the platform ships', () => {
    for (const m of monitors) {
      expect(
        Object.keys(TABLE).filter((watched) => m.Query.includes(watched)),
        m.Name,
      ).toHaveLength(1);
    }
  });

  it.each(Object.entries(TABLE))('%s: an alert reaches the decision written here', (watched, row) => {
    // Prepare
    const index = monitors.findIndex((m) => m.Query.includes(watched));
    const monitor = monitors[index] as MonitorProps;
    const body = alertBody(monitor, row.scope, index);

    // Act
    const signal = normaliseDatadogWebhook(body, {
      automationRolePrefix: dev.automation.automationRolePrefix,
    });
    const decisions = decide(signal, { stage: dev.name, automation: dev.automation });

    // Assess
    expect(decisions).toHaveLength(1);
    const [d] = decisions;
    expect(d?.action, JSON.stringify(d?.reasons)).toBe(row.action);
    if (row.runbook) {
      expect(d?.runbook).toBe(row.runbook);
      expect(d?.parameters).toMatchObject(row.parameters ?? {});
    } else {
      expect(d?.runbook).toBeUndefined();
    }
  });

  it('reads runbook:notify-only as notify, not as an unknown runbook', () => {
    const nodeNotReady = monitors.find((m) => m.Query.includes('kubernetes_state.node.by_condition'));
    const signal = normaliseDatadogWebhook(
      alertBody(nodeNotReady as MonitorProps, 'kube_cluster_name:dev-platform', 99),
    );
    const [d] = decide(signal, { stage: dev.name, automation: dev.automation });
    expect(d?.action).toBe('notify');
    expect(d?.reasons.join(' ')).toContain('runbook:notify-only');
  });
});
