import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import { rulesMatching } from '../../../events/index.js';
import { planEvent } from '../../../functions/intake/plan.js';

/**
 * Lambda AddPermission for `Principal: *` (issue 14): a critical data-exposure notification. Base record:
 * Stratus Red Team's real detonation of aws.persistence.lambda-backdoor-function
 * (test/fixtures/cloudtrail/SOURCE.md). The variants change one request member each, as the Lambda API
 * reference, AddPermission, describes it; the expected verdicts are written by hand.
 */
const record = (
  JSON.parse(
    readFileSync(
      join(
        import.meta.dirname,
        '../../fixtures/cloudtrail/stratus-red-team/aws.persistence.lambda-backdoor-function.json',
      ),
      'utf8',
    ),
  ) as Record<string, unknown>[]
)[0] as { requestParameters: Record<string, unknown> } & Record<string, unknown>;

const dev = loadStage('dev');
const event = (request: Record<string, unknown>, eventName = 'AddPermission20150331v2') => ({
  version: '0',
  id: '0d6f3c1e-8a2b-4c5d-9e7f-1a2b3c4d5e6f',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.lambda',
  account: '880896431042',
  time: '2024-08-01T13:47:16Z',
  region: 'eu-west-1',
  resources: [],
  detail: { ...record, eventName, requestParameters: { ...record.requestParameters, ...request } },
});
const plan = (e: unknown) => planEvent(JSON.stringify(e), dev);

describe('Lambda AddPermission: a function opened to everyone', () => {
  it('Principal * with nothing narrowing it is critical, naming the function, the action and the actor', () => {
    // Act
    const out = plan(event({}));
    // Assess
    expect(out.decision.action).toBe('notify');
    expect(out.decision.severity).toBe('critical');
    expect(out.signal.resource).toMatchObject({
      type: 'lambda-function',
      id: 'stratus-red-team-backdoor-f-func',
    });
    const text = out.decision.reasons.join(' ');
    for (const word of ['christophe', 'Principal *', 'lambda:InvokeFunction']) expect(text).toContain(word);
  });

  it('reaches the write-calls rule under both API-version names', () => {
    for (const name of ['AddPermission20150331v2', 'AddPermission20150331']) {
      expect(rulesMatching(event({}, name)).map((r) => r.name)).toEqual(['cloudtrail-write-calls']);
    }
  });

  it.each([
    ['a source account', { sourceAccount: '111111111111' }],
    ['a source ARN', { sourceArn: 'arn:aws:s3:::dev-uploads' }],
    ['an organization', { principalOrgID: 'o-a1b2c3d4e5' }],
    [
      'a function URL that needs IAM auth',
      { action: 'lambda:InvokeFunctionUrl', functionUrlAuthType: 'AWS_IAM' },
    ],
    ['a named service principal', { principal: 's3.amazonaws.com' }],
  ])('is not an exposure when narrowed to %s', (_what, request) => {
    expect(plan(event(request)).decision.action).toBe('ignore');
  });

  it('a public function URL (auth type NONE) is an exposure', () => {
    const out = plan(event({ action: 'lambda:InvokeFunctionUrl', functionUrlAuthType: 'NONE' }));
    expect(out.decision).toMatchObject({ action: 'notify', severity: 'critical' });
  });

  it('a refused attempt is a warning', () => {
    const e = event({});
    (e.detail as Record<string, unknown>).errorCode = 'AccessDeniedException';
    expect(plan(e).decision).toMatchObject({ action: 'notify', severity: 'warning' });
  });
});
