import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import { rulesMatching } from '../../../events/index.js';
import { planEvent } from '../../../functions/intake/plan.js';

/**
 * BatchGetSecretValue (issue 14): the secret-read rule must receive it, and the policy must name
 * each secret from `secretIdList` (the call has no `secretId`). The sample is the SSO human's
 * GetSecretValue record with the BatchGetSecretValue request shape of the Secrets Manager API
 * reference (events/samples/SOURCES.md). Expected answers below are written by hand from the
 * dev stage's allow-list (config/stages/dev.ts: dev/rds/app-user and dev/api/partner-token).
 */
const SAMPLE = join(
  import.meta.dirname,
  '../../../events/samples/cloudtrail/secretsmanager-batchgetsecretvalue-sso-user.json',
);
const dev = loadStage('dev');
const text = readFileSync(SAMPLE, 'utf8');

describe('secret-read: BatchGetSecretValue', () => {
  it('reaches the secret-read rule', () => {
    expect(rulesMatching(JSON.parse(text)).map((r) => r.name)).toEqual(['cloudtrail-secret-reads']);
  });

  it('rotates every named secret a human read, one start each', () => {
    // Act
    const out = planEvent(text, dev);
    // Assess
    const all = out.decisions ?? [out.decision];
    expect(all.map((d) => [d.action, d.runbook, d.parameters?.secretId])).toEqual([
      ['start', 'rotate-secret', 'dev/rds/app-user'],
      ['start', 'rotate-secret', 'dev/api/partner-token'],
    ]);
  });

  it('warns, naming the filter, when the secrets were selected by filter', () => {
    // Prepare
    const event = JSON.parse(text) as { detail: { requestParameters: unknown } };
    event.detail.requestParameters = { filters: [{ key: 'tag-key', values: ['team'] }] };
    // Act
    const out = planEvent(JSON.stringify(event), dev);
    // Assess
    expect(out.decision.action).toBe('notify');
    expect(out.decision.severity).toBe('warning');
    expect(out.decision.reasons.join(' ')).toContain('tag-key=team');
    expect(out.decisions).toBeUndefined();
  });

  it('ignores a refused batch read: nothing was disclosed', () => {
    // Prepare
    const event = JSON.parse(text) as { detail: Record<string, unknown> };
    event.detail.errorCode = 'AccessDenied';
    // Act
    const out = planEvent(JSON.stringify(event), dev);
    // Assess
    expect(out.decision.action).toBe('ignore');
  });
});
