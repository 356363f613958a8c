import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDatadogWiring, datadogWiring } from '../../../config/datadog-wiring.js';
import { loadStage } from '../../../config/index.js';

/** The pure comparison `ops doctor` runs: observed Datadog / AWS state against `datadogWiring(stage)`. */
const wiring = datadogWiring(loadStage('dev'));
const TEMPLATE = readFileSync(
  join(import.meta.dirname, '../../../events/samples/datadog/webhook-payload-template.json'),
  'utf8',
);
const URL = 'https://abc.lambda-url.eu-west-1.on.aws/';

/** Monitor names and runbook tags, written by hand. */
const MONITORS: [string, string][] = [
  ['[platform-dev] Pods unschedulable on dev-platform', 'runbook:scale-node-group'],
  ['[platform-dev] Node group at its maximum on dev-platform', 'runbook:scale-node-group'],
  ['[platform-dev] Node not ready on dev-platform', 'runbook:notify-only'],
  ['[platform-dev] Persistent volume nearly full on dev-platform', 'runbook:snapshot-volume'],
  ['[platform-dev] RDS dev-platform free storage low', 'runbook:notify-only'],
  ['[platform-dev] RDS dev-platform CPU high', 'runbook:notify-only'],
  ['[platform-dev] RDS replica lag in dev', 'runbook:notify-only'],
  ['[platform-dev] Ingress 5xx rate high on dev-platform', 'runbook:notify-only'],
  ['[platform-dev] Certificate expiring in dev', 'runbook:notify-only'],
];
const healthy = {
  webhookUrl: URL,
  webhook: { url: URL, payload: TEMPLATE, customHeaders: '{"X-Ops-Webhook-Token":"t0k3n-value"}' },
  eventSources: [wiring.partnerEventBusName],
  monitors: MONITORS.map(([name, tag]) => ({ name, tags: [tag, 'env:dev'] })),
};

describe('datadog wiring check (for ops doctor)', () => {
  it('finds nothing wrong in a fully wired stage', () => {
    const findings = checkDatadogWiring(wiring, healthy);
    expect(findings.filter((f) => !f.ok)).toEqual([]);
    expect(findings).toHaveLength(5 + MONITORS.length);
  });

  it('says what is missing, and the command that fixes it, first', () => {
    const findings = checkDatadogWiring(wiring, {
      ...healthy,
      webhook: null,
      monitors: healthy.monitors.map((m) =>
        m.name.includes('Persistent volume') ? { ...m, tags: ['env:dev'] } : m,
      ),
    });
    const failing = findings.filter((f) => !f.ok);
    expect(failing.map((f) => f.check)).toEqual(['webhook', 'monitor pvc-nearly-full']);
    expect(findings[0]?.fix).toBe('npx tsx bin/datadog-wire.ts --stage dev');
    expect(failing[1]?.detail).toContain('no runbook tag');
  });

  it('flags a webhook pointing elsewhere, without the token header, or with another payload', () => {
    const findings = checkDatadogWiring(wiring, {
      ...healthy,
      webhook: { url: 'https://old.example.com/', payload: '{"text":"$EVENT_MSG"}', customHeaders: '{}' },
    });
    expect(findings.filter((f) => !f.ok).map((f) => f.check)).toEqual([
      'webhook url',
      'webhook payload',
      'webhook token header',
    ]);
  });

  it('flags a partner bus name the config does not match', () => {
    const findings = checkDatadogWiring(wiring, {
      ...healthy,
      eventSources: ['aws.partner/datadog.com/ops-automation-dev-x7k2p9'],
    });
    expect(findings[0]).toMatchObject({ check: 'partner event source', ok: false });
  });
});
