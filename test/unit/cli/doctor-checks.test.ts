import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type Check, type DoctorClients, runDoctor, type SnsPort } from '../../../bin/doctor/checks.js';
import { loadStage, type StageConfig } from '../../../config/index.js';

/**
 * The doctor's core with its clients faked at the AWS boundary (aws-sdk-client-mock for the SDK
 * clients, the API's answer shapes for the others): the branches the recorded end-to-end answers
 * (test/integration/ops-doctor.test.ts) do not reach.
 */

const BUS = 'aws.partner/datadog.com/ops-automation';
const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
afterEach(() => {
  sm.reset();
  ssm.reset();
});

function clients(overrides: Partial<Pick<DoctorClients, 'eventBridge' | 'sns'>> = {}): DoctorClients {
  sm.on(DescribeSecretCommand).resolves({ Name: 'x', VersionIdsToStages: { v1: ['AWSCURRENT'] } });
  ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
    Parameters: input.Names.map((Name) => ({ Name, Value: 'off' })),
    InvalidParameters: [],
  }));
  return {
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    ssm: new SSMClient({ region: 'eu-west-1' }),
    eventBridge: overrides.eventBridge ?? {
      listEventSources: async () => ({ EventSources: [{ Name: BUS, State: 'ACTIVE' }] }),
      describeEventBus: async () => ({
        Name: BUS,
        Arn: `arn:aws:events:eu-west-1:111111111111:event-bus/${BUS}`,
      }),
      listRules: async () => ({ Rules: [{ Name: 'ops-dev-datadog-alerts', State: 'ENABLED' }] }),
    },
    cloudFormation: { describeType: async () => ({ IsActivated: true }) },
    sns: overrides.sns ?? {
      listSubscriptionsByTopic: async () => ({
        Subscriptions: [
          {
            SubscriptionArn: 'arn:aws:sns:eu-west-1:111111111111:ops-dev-alarms:1',
            Protocol: 'sqs',
            Endpoint: 'arn:aws:sqs:eu-west-1:111111111111:q',
          },
        ],
      }),
    },
  };
}

const find = (checks: Check[], name: string) => checks.find((c) => c.name === name) as Check;

describe('ops doctor: the checks', () => {
  it('a kill switch that is on is readable (ok) but said loudly; any other value is a failure with a fix', async () => {
    // Prepare
    const stage = loadStage('dev');
    const c = clients();
    ssm
      .on(GetParameterCommand)
      .resolvesOnce({ Parameter: { Name: '/ops/dev/kill-switch', Value: 'on' } })
      .resolvesOnce({ Parameter: { Name: '/ops/dev/kill-switch', Value: 'yes' } });

    // Act
    const on = find(await runDoctor(stage, c), 'kill switch');
    const garbage = find(await runDoctor(stage, c), 'kill switch');

    // Assess
    expect(on).toMatchObject({
      ok: true,
      detail: '/ops/dev/kill-switch = on: ALL automation is stopped (intended?)',
    });
    expect(garbage.ok).toBe(false);
    expect(garbage.fix).toBe(
      'aws ssm put-parameter --overwrite --name /ops/dev/kill-switch --value off --region eu-west-1',
    );
  });

  it('a disabled intake rule on the partner bus is named with the command that enables it', async () => {
    const c = clients({
      eventBridge: {
        listEventSources: async () => ({ EventSources: [{ Name: BUS, State: 'ACTIVE' }] }),
        describeEventBus: async () => ({ Name: BUS }),
        listRules: async () => ({ Rules: [{ Name: 'ops-dev-datadog-alerts', State: 'DISABLED' }] }),
      },
    });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });

    const rule = find(await runDoctor(loadStage('dev'), c), 'datadog intake rule');

    expect(rule).toMatchObject({
      ok: false,
      detail: 'disabled: ops-dev-datadog-alerts',
      fix: `aws events enable-rule --name ops-dev-datadog-alerts --event-bus-name ${BUS} --region eu-west-1`,
    });
  });

  it('configured alarm e-mails must be subscribed and confirmed; SNS refusing the read cannot pass', async () => {
    // Prepare: a stage with two configured addresses
    const dev = loadStage('dev');
    const stage: StageConfig = {
      ...dev,
      automation: {
        ...dev.automation,
        alerting: { ...dev.automation.alerting, emails: ['oncall@example.com', 'lead@example.com'] },
      },
    };
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
    const only = (subs: { SubscriptionArn: string; Endpoint: string }[]): SnsPort => ({
      listSubscriptionsByTopic: async () => ({
        Subscriptions: subs.map((s) => ({ ...s, Protocol: 'email' })),
      }),
    });
    const denied: SnsPort = {
      listSubscriptionsByTopic: async () => {
        throw Object.assign(new Error('User is not authorized to perform: SNS:ListSubscriptionsByTopic'), {
          name: 'AuthorizationErrorException',
        });
      },
    };

    // Act
    const absent = find(
      await runDoctor(
        stage,
        clients({ sns: only([{ SubscriptionArn: 'arn:1', Endpoint: 'oncall@example.com' }]) }),
      ),
      'alarm subscribers',
    );
    const pending = find(
      await runDoctor(
        stage,
        clients({
          sns: only([
            { SubscriptionArn: 'arn:1', Endpoint: 'oncall@example.com' },
            { SubscriptionArn: 'PendingConfirmation', Endpoint: 'lead@example.com' },
          ]),
        }),
      ),
      'alarm subscribers',
    );
    const refused = find(await runDoctor(stage, clients({ sns: denied })), 'alarm subscribers');

    // Assess
    expect(absent).toMatchObject({ ok: false, detail: 'configured but not subscribed: lead@example.com' });
    expect(pending).toMatchObject({ ok: false, detail: 'not confirmed: lead@example.com' });
    expect(refused).toMatchObject({
      ok: false,
      detail: 'cannot check: AuthorizationErrorException on sns:ListSubscriptionsByTopic',
    });
  });

  it('makes no mutating call: only Describe/Get on the SDK clients', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });

    await runDoctor(loadStage('dev'), clients());

    const names = [...sm.calls(), ...ssm.calls()].map((call) => call.args[0].constructor.name);
    expect(new Set(names)).toEqual(
      new Set(['DescribeSecretCommand', 'GetParameterCommand', 'GetParametersCommand']),
    );
  });
});
