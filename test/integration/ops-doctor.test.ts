import { afterEach, describe, expect, it } from 'vitest';
import { type Answers, type AwsStandIn, startAwsStandIn } from '../support/aws-standin.js';
import { ESCAPE, runOps } from '../support/ops-cli.js';

/**
 * `ops doctor --stage dev` as operators run it, against recorded AWS answers served over HTTP by a
 * stand-in that checks each request against AWS's API model (botocore). The answers' shapes and
 * error codes are those of the AWS API references (Secrets Manager DescribeSecret, EventBridge
 * ListEventSources/DescribeEventBus/ListRules, CloudFormation DescribeType, SSM GetParameter(s),
 * SNS ListSubscriptionsByTopic). The dev stage's names below are written by hand from config/stages.
 */

const BUS = 'aws.partner/datadog.com/ops-automation';
const SECRETS = [
  'ops/dev/slack/signing-secret',
  'ops/dev/slack/bot-token',
  'ops/dev/datadog/api-key',
  'ops/dev/datadog/app-key',
  'ops/dev/datadog/webhook-token',
];
const PAUSES = [
  'snapshot-volume',
  'scale-node-group',
  'update-dns',
  'rotate-secret',
  'verify-backups',
  'restore-guardrail',
].map((r) => `/ops/dev/paused/${r}`);
const ALARM_TOPIC = 'arn:aws:sns:eu-west-1:111111111111:ops-dev-alarms';

const secret = (name: string) => ({
  ARN: `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${name}-AbCdEf`,
  Name: name,
  LastChangedDate: 1764590400.123,
  VersionIdsToStages: { 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111': ['AWSCURRENT'] },
});
const notFound = (message: string) => ({ status: 400, error: 'ResourceNotFoundException', message }) as const;
const parameter = (name: string, value: string) => ({
  Name: name,
  Type: 'String',
  Value: value,
  Version: 1,
  LastModifiedDate: 1764590400.5,
  ARN: `arn:aws:ssm:eu-west-1:111111111111:parameter${name}`,
  DataType: 'text',
});
const describeTypeXml = (activated: boolean) =>
  `<DescribeTypeResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeTypeResult>` +
  `<Arn>arn:aws:cloudformation:eu-west-1:111111111111:type/resource/Datadog-Monitors-Monitor</Arn>` +
  `<Type>RESOURCE</Type><TypeName>Datadog::Monitors::Monitor</TypeName><IsActivated>${activated}</IsActivated>` +
  `<DefaultVersionId>00000003</DefaultVersionId><Visibility>PRIVATE</Visibility></DescribeTypeResult>` +
  `<ResponseMetadata><RequestId>b3c1a3f2-EXAMPLE</RequestId></ResponseMetadata></DescribeTypeResponse>`;
const subscriptionsXml = (members: { arn: string; protocol: string; endpoint: string }[]) =>
  `<ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListSubscriptionsByTopicResult><Subscriptions>` +
  members
    .map(
      (m) =>
        `<member><TopicArn>${ALARM_TOPIC}</TopicArn><Protocol>${m.protocol}</Protocol><SubscriptionArn>${m.arn}</SubscriptionArn>` +
        `<Owner>111111111111</Owner><Endpoint>${m.endpoint}</Endpoint></member>`,
    )
    .join('') +
  `</Subscriptions></ListSubscriptionsByTopicResult><ResponseMetadata><RequestId>384ac68d-EXAMPLE</RequestId></ResponseMetadata></ListSubscriptionsByTopicResponse>`;

/** A dev stage with everything in place. */
const healthy: Answers = {
  'secretsmanager:DescribeSecret': (input) =>
    SECRETS.includes(input.SecretId as string)
      ? { json: secret(input.SecretId as string) }
      : notFound("Secrets Manager can't find the specified secret."),
  'events:ListEventSources': () => ({
    json: {
      EventSources: [
        {
          Arn: `arn:aws:events:eu-west-1::event-source/${BUS}`,
          CreatedBy: 'datadog.com',
          CreationTime: 1764590400,
          Name: BUS,
          State: 'ACTIVE',
        },
      ],
    },
  }),
  'events:DescribeEventBus': (input) =>
    input.Name === BUS
      ? { json: { Name: BUS, Arn: `arn:aws:events:eu-west-1:111111111111:event-bus/${BUS}` } }
      : notFound(`Event bus ${input.Name} does not exist.`),
  'events:ListRules': (input) => ({
    json: {
      Rules:
        input.EventBusName === BUS
          ? [
              {
                Name: 'ops-dev-datadog-alerts',
                Arn: `arn:aws:events:eu-west-1:111111111111:rule/${BUS}/ops-dev-datadog-alerts`,
                State: 'ENABLED',
                EventBusName: BUS,
              },
            ]
          : [],
    },
  }),
  'cloudformation:DescribeType': () => ({ xml: describeTypeXml(true) }),
  'ssm:GetParameter': (input) =>
    input.Name === '/ops/dev/kill-switch'
      ? { json: { Parameter: parameter('/ops/dev/kill-switch', 'off') } }
      : { status: 400, error: 'ParameterNotFound', message: '' },
  'ssm:GetParameters': (input) => ({
    json: { Parameters: (input.Names as string[]).map((n) => parameter(n, 'off')), InvalidParameters: [] },
  }),
  'sns:ListSubscriptionsByTopic': () => ({
    xml: subscriptionsXml([
      {
        arn: `${ALARM_TOPIC}:8a21d249-4329-4871-acc6-7be709c6ea7f`,
        protocol: 'https',
        endpoint: 'https://events.pagerduty.com/integration/abc/enqueue',
      },
      // The address dev's config routes alarms to (config/stages/dev.ts), confirmed.
      {
        arn: `${ALARM_TOPIC}:5b0c8f1e-0d7e-4a55-9a53-2f4c3e7b9d10`,
        protocol: 'email',
        endpoint: 'platform-dev-alerts@example.com',
      },
    ]),
  }),
};

/** The same stage where most things are missing, one way each. */
const broken: Answers = {
  ...healthy,
  'secretsmanager:DescribeSecret': (input) => {
    const id = input.SecretId as string;
    if (id === 'ops/dev/slack/signing-secret')
      return notFound("Secrets Manager can't find the specified secret.");
    if (id === 'ops/dev/slack/bot-token') return { json: { ...secret(id), VersionIdsToStages: undefined } };
    if (id === 'ops/dev/datadog/api-key')
      return {
        status: 400,
        error: 'AccessDeniedException',
        message: `User: arn:aws:sts::111111111111:assumed-role/ReadOnly/sam is not authorized to perform: secretsmanager:DescribeSecret on resource: ${id}`,
      };
    if (id === 'ops/dev/datadog/webhook-token') return { json: { ...secret(id), DeletedDate: 1767225600 } };
    return { json: secret(id) };
  },
  'events:ListEventSources': () => ({
    json: { EventSources: [{ Name: BUS, CreatedBy: 'datadog.com', State: 'PENDING' }] },
  }),
  'events:DescribeEventBus': (input) => notFound(`Event bus ${input.Name} does not exist.`),
  'cloudformation:DescribeType': () => ({
    status: 404,
    error: 'TypeNotFoundException',
    message: 'The type Datadog::Monitors::Monitor was not found',
  }),
  'ssm:GetParameter': () => ({ status: 400, error: 'ParameterNotFound', message: '' }),
  'ssm:GetParameters': (input) => ({
    json: {
      Parameters: (input.Names as string[])
        .filter((n) => !n.endsWith('/update-dns'))
        .map((n) => parameter(n, 'off')),
      InvalidParameters: ['/ops/dev/paused/update-dns'],
    },
  }),
  'sns:ListSubscriptionsByTopic': () => ({
    xml: subscriptionsXml([
      { arn: 'PendingConfirmation', protocol: 'email', endpoint: 'platform-dev-alerts@example.com' },
    ]),
  }),
};

let aws: AwsStandIn | undefined;
afterEach(async () => {
  await aws?.stop();
  aws = undefined;
});

async function doctor(answers: Answers, ...args: string[]) {
  aws = await startAwsStandIn(answers);
  return runOps(['doctor', '--stage', 'dev', ...args], {
    env: {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG',
      AWS_ENDPOINT_URL: aws.url,
    },
  });
}

describe('ops doctor: a deployed stage checked read-only, against recorded AWS answers', () => {
  it('says all is well for a stage that has everything, exit 0, and only reads', async () => {
    // Act
    const out = await doctor(healthy);

    // Assess
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).not.toMatch(ESCAPE);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Stage dev: account 111111111111, eu-west-1');
    expect(lines[2]).toMatch(/^CHECK\s+STATUS\s+DETAIL$/);
    expect(lines.at(-1)).toBe('All 12 checks passed.');
    const operations = new Set(aws?.requests.map((r) => `${r.service}:${r.operation}`));
    expect([...operations].sort()).toEqual(Object.keys(healthy).sort());
    for (const op of operations) expect(op).toMatch(/:(Describe|List|Get)[A-Z]/);
    // Every runbook's pause flag, in one call (their order is the registry's, which is no contract).
    const pauses = aws?.requests.find((r) => r.operation === 'GetParameters')?.input as { Names?: string[] };
    expect(Object.keys(pauses)).toEqual(['Names']);
    expect([...(pauses.Names ?? [])].sort()).toEqual([...PAUSES].sort());
    expect(aws?.requests.find((r) => r.operation === 'ListSubscriptionsByTopic')?.input).toEqual({
      TopicArn: ALARM_TOPIC,
    });
  });

  it('names everything missing, each with its fix, exit 1', async () => {
    // Act
    const out = await doctor(broken);

    // Assess
    expect(out.code).toBe(1);
    const text = out.stdout;
    expect(text).toContain('11 of 12 checks failed. To fix:');
    const fixes = text.trimEnd().slice(text.indexOf('To fix:')).split('\n').slice(1);
    expect(fixes).toEqual([
      "  secret ops/dev/slack/signing-secret: aws secretsmanager create-secret --name ops/dev/slack/signing-secret --region eu-west-1 --secret-string '<the Slack app's signing secret>'",
      "  secret ops/dev/slack/bot-token: aws secretsmanager put-secret-value --secret-id ops/dev/slack/bot-token --region eu-west-1 --secret-string '<the Slack app's bot token (xoxb-…)>'",
      "  secret ops/dev/datadog/api-key: use a role that may call secretsmanager:DescribeSecret on ops/dev/datadog/api-key (read-only), or sign in to the stage's account",
      '  secret ops/dev/datadog/webhook-token: aws secretsmanager restore-secret --secret-id ops/dev/datadog/webhook-token --region eu-west-1',
      `  datadog event source: aws events create-event-bus --name ${BUS} --event-source-name ${BUS} --region eu-west-1`,
      `  datadog partner bus: aws events create-event-bus --name ${BUS} --event-source-name ${BUS} --region eu-west-1`,
      '  datadog intake rule: after the bus exists: npx cdk deploy -c stage=dev --all',
      expect.stringMatching(
        /^ {2}registry type Datadog::Monitors::Monitor: aws cloudformation activate-type --type RESOURCE --type-name Datadog::Monitors::Monitor --publisher-id 7171b96e5d207b947eb72ca9ce05247c246de623 /,
      ),
      expect.stringMatching(
        /^ {2}kill switch: npx cdk deploy -c stage=dev --all .*put-parameter .*\/ops\/dev\/kill-switch$/,
      ),
      expect.stringMatching(/^ {2}pause flags: npx cdk deploy -c stage=dev --all/),
      expect.stringMatching(/^ {2}alarm subscribers: .*Subscription Confirmation/),
    ]);
  });

  it('--json gives every check as { name, ok, detail, fix }', async () => {
    // Act
    const out = await doctor(broken, '--json');

    // Assess
    expect(out.code).toBe(1);
    const json = JSON.parse(out.stdout) as {
      stage: string;
      ok: boolean;
      checks: { name: string; ok: boolean; detail: string; fix?: string }[];
    };
    expect(json).toMatchObject({ stage: 'dev', ok: false });
    expect(json.checks.filter((c) => c.ok).map((c) => c.name)).toEqual(['secret ops/dev/datadog/app-key']);
    expect(json.checks.find((c) => c.name === 'secret ops/dev/datadog/api-key')?.detail).toBe(
      'cannot check: AccessDeniedException on secretsmanager:DescribeSecret',
    );
    expect(json.checks.find((c) => c.name === 'pause flags')?.detail).toBe(
      'missing (their runbooks cannot start): /ops/dev/paused/update-dns',
    );
    expect(json.checks.find((c) => c.name === 'alarm subscribers')?.detail).toBe(
      'not confirmed: platform-dev-alerts@example.com',
    );
    for (const c of json.checks.filter((c) => !c.ok)) expect(c.fix).toBeTruthy();
  });
});
