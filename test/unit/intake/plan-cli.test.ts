import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** `ops plan` as operators run it (`npx ops plan …` runs bin/ops.mjs), in a child process with no AWS credentials. */
const ROOT = join(import.meta.dirname, '../../..');
const sample = (name: string) => join(ROOT, 'events/samples', name);

function ops(...args: string[]) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const out = spawnSync(process.execPath, [join(ROOT, 'bin/ops.mjs'), ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr.trim() };
}

describe('ops plan: the command line', () => {
  it('prints the signal and the decision for a recorded CloudTrail event as JSON with --json, exit 0', () => {
    // Act
    const out = ops('plan', sample('cloudtrail/secretsmanager-getsecretvalue-sso-user.json'), '--json');
    // Assess
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(Object.keys(json.signal).sort()).toEqual(
      ['correlationId', 'kind', 'occurredAt', 'resource', 'severity', 'source'].sort(),
    );
    expect(json.decision).toMatchObject({
      action: 'start',
      runbook: 'rotate-secret',
      parameters: { secretId: 'dev/rds/app-user' },
      mode: 'auto',
    });
    expect(json.decision.executionName).toMatch(/^rotate-secret-[0-9a-f]{12}-\d{8}T\d{4}Z$/);
    expect(json.decision.reasons.length).toBeGreaterThan(0);
  });

  it('plans a Datadog webhook body file, and honours --stage', () => {
    const dev = ops('plan', sample('datadog/webhook-warn.json'), '--json');
    expect(dev.code).toBe(0);
    expect(JSON.parse(dev.stdout).decision.action).toBe('notify');
    const prodSecret = ops(
      'plan',
      sample('cloudtrail/secretsmanager-getsecretvalue-sso-user.json'),
      '--stage',
      'prod',
      '--json',
    );
    expect(prodSecret.code).toBe(0);
    // dev/rds/app-user is not one of prod's secrets.
    expect(JSON.parse(prodSecret.stdout).decision).toMatchObject({ action: 'reject', mode: null });
  });

  it('fails with one clear line for a file that does not exist', () => {
    const out = ops('plan', '/nonexistent/event.json');
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr.split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/^ops plan: cannot read \/nonexistent\/event\.json: ENOENT/);
  });

  it('fails with one clear line for text that is not JSON, and for an unrecognised event', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ops-plan-'));
    writeFileSync(join(dir, 'bad.json'), '{"detail-type": ');
    writeFileSync(
      join(dir, 'other.json'),
      JSON.stringify({
        source: 'aws.s3',
        'detail-type': 'Object Created',
        id: '1',
        time: '2026-01-01T00:00:00Z',
        detail: {},
      }),
    );
    const bad = ops('plan', join(dir, 'bad.json'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ops plan: .*bad\.json: not JSON: /);
    expect(bad.stderr.split('\n')).toHaveLength(1);
    const other = ops('plan', join(dir, 'other.json'));
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /^ops plan: .*other\.json: unrecognised event: no normaliser for source "aws\.s3"/,
    );
    expect(other.stderr.split('\n')).toHaveLength(1);
  });

  it('refuses an unknown stage and a missing file argument as usage errors', () => {
    const stage = ops('plan', sample('datadog/webhook-warn.json'), '--stage', 'moon');
    expect(stage.code).toBe(2);
    expect(stage.stderr.split('\n')).toEqual([
      'ops plan: Unknown stage "moon". Known stages: dev, stage, prod, prod-euc1',
      'Run "ops plan --help" for usage.',
    ]);
    const none = ops('plan');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing required argument 'event'");
  });
});
