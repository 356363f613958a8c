import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStage, STAGE_INPUTS } from '../../config/index.js';
import { PlatformMonitors } from '../../infra/constructs/platform/monitors.js';
import { runbookNames } from '../../runbooks/registry.js';
import { synthPlatform } from '../support/synth.js';

/**
 * The platform's Datadog monitors as the platform stack emits them. Oracles: Datadog's own published
 * CloudFormation schema for Datadog::Monitors::Monitor (test/support/datadog/monitor-schema.json, source
 * in its $comment), the runbook registry, and tables written here by hand.
 */
interface Monitor {
  Type: string;
  Properties: {
    Name: string;
    Type: string;
    Query: string;
    Message: string;
    Tags: string[];
    Options: { Thresholds: { Critical: number; Warning?: number } };
  };
}

const schema = JSON.parse(
  readFileSync(join(import.meta.dirname, '../support/datadog/monitor-schema.json'), 'utf8'),
) as object;

function monitorsOf(template: Template): Monitor[] {
  const resources = template.toJSON().Resources as Record<string, Monitor>;
  return Object.values(resources).filter((r) => r.Type === 'Datadog::Monitors::Monitor');
}

/** What the issue asks for, by the metric (or event text) each monitor must watch, and what it drives. */
const EXPECTED: Readonly<Record<string, string>> = {
  'kubernetes_state.pod.unschedulable': 'scale-node-group',
  'max node group size reached': 'scale-node-group',
  'kubernetes_state.node.by_condition': 'notify-only',
  'kubernetes.kubelet.volume.stats.used_bytes': 'snapshot-volume',
  'aws.rds.free_storage_space': 'notify-only',
  'aws.rds.cpuutilization': 'notify-only',
  'aws.rds.replica_lag': 'notify-only',
  'nginx_ingress.controller.requests': 'notify-only',
  'aws.certificatemanager.days_to_expiry': 'notify-only',
};

const runbookTags = (m: Monitor) => m.Properties.Tags.filter((t) => t.startsWith('runbook:'));

describe('platform monitors: the dev platform stack', () => {
  let monitors: Monitor[];
  beforeAll(() => {
    monitors = monitorsOf(synthPlatform('dev').platformTemplate);
  });

  it('ships one monitor per platform condition the issue names, each driving the runbook written here', () => {
    expect(monitors).toHaveLength(Object.keys(EXPECTED).length);
    for (const [watched, runbook] of Object.entries(EXPECTED)) {
      const matching = monitors.filter((m) => m.Properties.Query.includes(watched));
      expect(matching, watched).toHaveLength(1);
      expect(runbookTags(matching[0] as Monitor), watched).toEqual([`runbook:${runbook}`]);
    }
  });

  it('tags every monitor with exactly one runbook tag, naming a registered runbook or notify-only', () => {
    const allowed = new Set([...runbookNames(), 'notify-only']);
    for (const m of monitors) {
      const tags = runbookTags(m);
      expect(tags, m.Properties.Name).toHaveLength(1);
      expect(allowed.has(String(tags[0]).slice('runbook:'.length)), m.Properties.Name).toBe(true);
    }
  });

  it("matches Datadog's published Datadog::Monitors::Monitor schema", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    for (const m of monitors) {
      expect(validate(m.Properties), `${m.Properties.Name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('sets the critical threshold to the value the query compares against (Datadog refuses otherwise)', () => {
    for (const m of monitors) {
      const compared = /([<>]=?)\s*(-?[\d.]+)\s*$/.exec(m.Properties.Query);
      expect(compared, m.Properties.Query).not.toBeNull();
      expect(m.Properties.Options.Thresholds.Critical, m.Properties.Name).toBe(Number(compared?.[2]));
      const warning = m.Properties.Options.Thresholds.Warning;
      if (warning !== undefined) {
        // A warning fires before the alert: below it for `>` queries, above it for `<` queries.
        if (compared?.[1]?.startsWith('>')) expect(warning).toBeLessThan(Number(compared[2]));
        else expect(warning).toBeGreaterThan(Number(compared?.[2]));
      }
    }
  });

  it("notifies the stage's webhook, and is scoped and tagged to the stage", () => {
    for (const m of monitors) {
      expect(m.Properties.Message, m.Properties.Name).toContain('@webhook-ops-automation-dev');
      expect(m.Properties.Tags).toEqual(expect.arrayContaining(['env:dev', 'stage:dev', 'managed-by:cdk']));
      expect(m.Properties.Query, m.Properties.Name).toMatch(
        /kube_cluster_name:dev-platform\b|dbinstanceidentifier:dev-platform\b|stage:dev\b/,
      );
      expect(m.Properties.Name).toMatch(/^\[platform-dev\] /);
    }
  });
});

describe('platform monitors: every stage', () => {
  it.each(Object.keys(STAGE_INPUTS))('%s: one runbook tag each, its own scope and alert handles', (name) => {
    const stage = loadStage(name);
    const stack = new Stack(new App(), 'Monitors');
    new PlatformMonitors(stack, 'Monitors', { stage });
    const monitors = monitorsOf(Template.fromStack(stack));
    expect(monitors).toHaveLength(Object.keys(EXPECTED).length);
    for (const m of monitors) {
      expect(runbookTags(m)).toHaveLength(1);
      expect(m.Properties.Tags).toContain(`env:${name}`);
      expect(m.Properties.Message).toContain(`@webhook-ops-automation-${name}`);
      for (const handle of stage.automation.alerting.datadogHandles)
        expect(m.Properties.Message).toContain(handle);
      if (name !== 'dev') expect(m.Properties.Query).not.toMatch(/dev-platform|stage:dev\b/);
    }
  });
});
