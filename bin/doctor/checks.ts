import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { StageConfig } from '../../config/schema.js';
import { EVENT_RULES } from '../../events/patterns.js';
import { killSwitchParameter, pauseParameter } from '../../functions/intake/guard-store.js';
import { runbookNames } from '../../runbooks/registry.js';

/**
 * `ops doctor`'s core: read-only checks of what a deployed stage needs from outside its stacks
 * (secrets people create, the Datadog partner bus, the CloudFormation registry type, the kill
 * switch, alarm subscribers). It takes its AWS clients as arguments and never mutates: each
 * finding says what is missing and the command that fixes it.
 */

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** What to do when not ok. */
  readonly fix?: string;
}

/** The EventBridge calls the doctor makes (shapes of the AWS API; an SDK client fits behind it). */
export interface EventBridgePort {
  describeEventBus(input: { Name: string }): Promise<{ Name?: string; Arn?: string }>;
  listEventSources(input: {
    NamePrefix: string;
  }): Promise<{ EventSources?: { Name?: string; State?: string }[] }>;
  listRules(input: {
    EventBusName: string;
    NamePrefix: string;
  }): Promise<{ Rules?: { Name?: string; State?: string }[] }>;
}

export interface CloudFormationPort {
  describeType(input: {
    Type: 'RESOURCE';
    TypeName: string;
  }): Promise<{ Arn?: string; IsActivated?: boolean; DefaultVersionId?: string }>;
}

export interface SnsPort {
  listSubscriptionsByTopic(input: {
    TopicArn: string;
  }): Promise<{ Subscriptions?: { SubscriptionArn?: string; Protocol?: string; Endpoint?: string }[] }>;
}

export interface DoctorClients {
  readonly secretsManager: SecretsManagerClient;
  readonly ssm: SSMClient;
  readonly eventBridge: EventBridgePort;
  readonly cloudFormation: CloudFormationPort;
  readonly sns: SnsPort;
}

export const DATADOG_MONITOR_TYPE = 'Datadog::Monitors::Monitor';
/** Datadog's publisher id in the CloudFormation public registry (see the README's Datadog set-up). */
export const DATADOG_PUBLISHER_ID = '7171b96e5d207b947eb72ca9ce05247c246de623';

const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationErrorException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
]);

const nameOf = (err: unknown) => (err as { name?: string }).name ?? 'Error';
const messageOf = (err: unknown) => `${(err as { message?: string }).message ?? err}`.split('\n')[0] ?? '';

/** A call that failed for a reason other than "not there": the check cannot say yes. */
function cannotCheck(name: string, action: string, resource: string, err: unknown): Check {
  if (DENIED.has(nameOf(err))) {
    return {
      name,
      ok: false,
      detail: `cannot check: ${nameOf(err)} on ${action}`,
      fix: `use a role that may call ${action} on ${resource} (read-only), or sign in to the stage's account`,
    };
  }
  if (nameOf(err) === 'CredentialsProviderError') {
    return {
      name,
      ok: false,
      detail: 'cannot check: no AWS credentials',
      fix: "sign in to the stage's account (aws sso login, AWS_PROFILE)",
    };
  }
  return {
    name,
    ok: false,
    detail: `cannot check: ${nameOf(err)}: ${messageOf(err)}`,
    fix: 'run it again; if it persists, check the service health and your network',
  };
}

function secretsOf(stage: StageConfig): { name: string; what: string }[] {
  const { slack, datadog } = stage.automation;
  return [
    { name: slack.signingSecretName, what: "the Slack app's signing secret" },
    { name: slack.botTokenSecretName, what: "the Slack app's bot token (xoxb-…)" },
    { name: datadog.apiKeySecretName, what: 'a Datadog API key' },
    { name: datadog.appKeySecretName, what: 'a Datadog application key' },
    {
      name: datadog.webhookTokenSecretName,
      what: 'a long random token, also set as the Datadog webhook header X-Ops-Webhook-Token',
    },
  ];
}

async function checkSecret(
  stage: StageConfig,
  c: DoctorClients,
  s: { name: string; what: string },
): Promise<Check> {
  const name = `secret ${s.name}`;
  const region = stage.region;
  try {
    const out = await c.secretsManager.send(new DescribeSecretCommand({ SecretId: s.name }));
    if (out.DeletedDate) {
      return {
        name,
        ok: false,
        detail: `scheduled for deletion on ${out.DeletedDate.toISOString()}`,
        fix: `aws secretsmanager restore-secret --secret-id ${s.name} --region ${region}`,
      };
    }
    const current = Object.values(out.VersionIdsToStages ?? {}).some((stages) =>
      stages.includes('AWSCURRENT'),
    );
    if (!current) {
      return {
        name,
        ok: false,
        detail: 'exists but has no current value (no AWSCURRENT version)',
        fix: `aws secretsmanager put-secret-value --secret-id ${s.name} --region ${region} --secret-string '<${s.what}>'`,
      };
    }
    return {
      name,
      ok: true,
      detail: `present${out.LastChangedDate ? `, last changed ${out.LastChangedDate.toISOString().slice(0, 10)}` : ''}`,
    };
  } catch (err) {
    if (nameOf(err) === 'ResourceNotFoundException') {
      return {
        name,
        ok: false,
        detail: 'missing',
        fix: `aws secretsmanager create-secret --name ${s.name} --region ${region} --secret-string '<${s.what}>'`,
      };
    }
    return cannotCheck(name, 'secretsmanager:DescribeSecret', s.name, err);
  }
}

async function checkDatadogBus(stage: StageConfig, c: DoctorClients): Promise<Check[]> {
  const bus = stage.automation.datadog.partnerEventBusName;
  const region = stage.region;
  const checks: Check[] = [];
  const associate = `aws events create-event-bus --name ${bus} --event-source-name ${bus} --region ${region}`;
  const createSource = `in Datadog: Integrations → Amazon Web Services → Events → add an EventBridge event source named ${bus.split('/').pop()} for account ${stage.account} in ${region}`;
  const sourceName = 'datadog event source';
  try {
    const out = await c.eventBridge.listEventSources({ NamePrefix: 'aws.partner/datadog.com' });
    const source = (out.EventSources ?? []).find((s) => s.Name === bus);
    if (!source)
      checks.push({
        name: sourceName,
        ok: false,
        detail: `no partner event source ${bus}`,
        fix: createSource,
      });
    else if (source.State === 'ACTIVE')
      checks.push({ name: sourceName, ok: true, detail: `${bus} is ACTIVE` });
    else if (source.State === 'PENDING')
      checks.push({
        name: sourceName,
        ok: false,
        detail: `${bus} is PENDING: not associated with an event bus`,
        fix: associate,
      });
    else
      checks.push({
        name: sourceName,
        ok: false,
        detail: `${bus} is ${source.State ?? 'in an unknown state'}`,
        fix: createSource,
      });
  } catch (err) {
    checks.push(cannotCheck(sourceName, 'events:ListEventSources', '*', err));
  }
  const busName = 'datadog partner bus';
  let busExists = false;
  try {
    const out = await c.eventBridge.describeEventBus({ Name: bus });
    busExists = true;
    checks.push({ name: busName, ok: true, detail: out.Arn ?? bus });
  } catch (err) {
    if (nameOf(err) === 'ResourceNotFoundException')
      checks.push({ name: busName, ok: false, detail: `no event bus ${bus}`, fix: associate });
    else checks.push(cannotCheck(busName, 'events:DescribeEventBus', bus, err));
  }
  const expected = EVENT_RULES.filter((r) => r.eventBus === 'datadog-partner').map(
    (r) => `ops-${stage.name}-${r.name}`,
  );
  const ruleName = 'datadog intake rule';
  if (!busExists) {
    checks.push({
      name: ruleName,
      ok: false,
      detail: 'not checked: the partner bus is missing',
      fix: `after the bus exists: npx cdk deploy -c stage=${stage.name} --all`,
    });
    return checks;
  }
  try {
    const out = await c.eventBridge.listRules({ EventBusName: bus, NamePrefix: `ops-${stage.name}-` });
    const rules = new Map((out.Rules ?? []).map((r) => [r.Name, r.State]));
    const missing = expected.filter((n) => !rules.has(n));
    const disabled = expected.filter((n) => rules.has(n) && rules.get(n) !== 'ENABLED');
    if (missing.length > 0)
      checks.push({
        name: ruleName,
        ok: false,
        detail: `missing on ${bus}: ${missing.join(', ')}`,
        fix: `npx cdk deploy -c stage=${stage.name} --all`,
      });
    else if (disabled.length > 0)
      checks.push({
        name: ruleName,
        ok: false,
        detail: `disabled: ${disabled.join(', ')}`,
        fix: disabled
          .map((n) => `aws events enable-rule --name ${n} --event-bus-name ${bus} --region ${region}`)
          .join('; '),
      });
    else checks.push({ name: ruleName, ok: true, detail: `${expected.join(', ')} ENABLED` });
  } catch (err) {
    checks.push(cannotCheck(ruleName, 'events:ListRules', bus, err));
  }
  return checks;
}

async function checkMonitorType(stage: StageConfig, c: DoctorClients): Promise<Check> {
  const name = `registry type ${DATADOG_MONITOR_TYPE}`;
  const activate = `aws cloudformation activate-type --type RESOURCE --type-name ${DATADOG_MONITOR_TYPE} --publisher-id ${DATADOG_PUBLISHER_ID} --execution-role-arn <role> --region ${stage.region}, then set-type-configuration with the DatadogCredentials (README, Reporting)`;
  try {
    const out = await c.cloudFormation.describeType({ Type: 'RESOURCE', TypeName: DATADOG_MONITOR_TYPE });
    if (out.IsActivated === false)
      return { name, ok: false, detail: 'known but not activated', fix: activate };
    return {
      name,
      ok: true,
      detail: `activated${out.DefaultVersionId ? ` (version ${out.DefaultVersionId})` : ''}`,
    };
  } catch (err) {
    if (nameOf(err) === 'TypeNotFoundException')
      return { name, ok: false, detail: 'not activated in this account and region', fix: activate };
    return cannotCheck(name, 'cloudformation:DescribeType', DATADOG_MONITOR_TYPE, err);
  }
}

async function checkFlags(stage: StageConfig, c: DoctorClients): Promise<Check[]> {
  const region = stage.region;
  const kill = killSwitchParameter(stage.name);
  const deploy = `npx cdk deploy -c stage=${stage.name} --all (it creates the flags), or aws ssm put-parameter --type String --value off --region ${region} --name`;
  const checks: Check[] = [];
  try {
    const out = await c.ssm.send(new GetParameterCommand({ Name: kill }));
    const value = out.Parameter?.Value;
    if (value === 'off')
      checks.push({ name: 'kill switch', ok: true, detail: `${kill} = off: automation runs` });
    else if (value === 'on')
      checks.push({
        name: 'kill switch',
        ok: true,
        detail: `${kill} = on: ALL automation is stopped (intended?)`,
      });
    else
      checks.push({
        name: 'kill switch',
        ok: false,
        detail: `${kill} = "${value}": neither on nor off, so the intake refuses every start`,
        fix: `aws ssm put-parameter --overwrite --name ${kill} --value off --region ${region}`,
      });
  } catch (err) {
    if (nameOf(err) === 'ParameterNotFound')
      checks.push({
        name: 'kill switch',
        ok: false,
        detail: `${kill} is missing: the intake refuses every start`,
        fix: `${deploy} ${kill}`,
      });
    else checks.push(cannotCheck('kill switch', 'ssm:GetParameter', kill, err));
  }
  const pauses = runbookNames().map((r) => pauseParameter(stage.name, r));
  try {
    const out = await c.ssm.send(new GetParametersCommand({ Names: pauses }));
    const missing = out.InvalidParameters ?? [];
    const bad = (out.Parameters ?? []).filter((p) => p.Value !== 'on' && p.Value !== 'off');
    const paused = (out.Parameters ?? []).filter((p) => p.Value === 'on').map((p) => p.Name);
    if (missing.length > 0)
      checks.push({
        name: 'pause flags',
        ok: false,
        detail: `missing (their runbooks cannot start): ${missing.join(', ')}`,
        fix: `${deploy} <each missing name>`,
      });
    else if (bad.length > 0)
      checks.push({
        name: 'pause flags',
        ok: false,
        detail: `neither on nor off: ${bad.map((p) => `${p.Name}="${p.Value}"`).join(', ')}`,
        fix: `aws ssm put-parameter --overwrite --value off --region ${region} --name <each name>`,
      });
    else
      checks.push({
        name: 'pause flags',
        ok: true,
        detail: paused.length
          ? `readable; paused: ${paused.join(', ')}`
          : `readable, none paused (${pauses.length})`,
      });
  } catch (err) {
    checks.push(cannotCheck('pause flags', 'ssm:GetParameters', `/ops/${stage.name}/paused/*`, err));
  }
  return checks;
}

async function checkAlarmDestinations(stage: StageConfig, c: DoctorClients): Promise<Check> {
  const name = 'alarm subscribers';
  const topic = `arn:aws:sns:${stage.region}:${stage.account}:ops-${stage.name}-alarms`;
  const emails = stage.automation.alerting.emails;
  try {
    const out = await c.sns.listSubscriptionsByTopic({ TopicArn: topic });
    const subs = out.Subscriptions ?? [];
    const confirmed = subs.filter((s) => s.SubscriptionArn && s.SubscriptionArn !== 'PendingConfirmation');
    const pending = subs
      .filter((s) => s.SubscriptionArn === 'PendingConfirmation')
      .map((s) => s.Endpoint ?? '?');
    const absent = emails.filter((e) => !subs.some((s) => s.Endpoint === e));
    const confirm =
      'each address opens the "AWS Notification - Subscription Confirmation" e-mail and confirms';
    if (absent.length > 0)
      return {
        name,
        ok: false,
        detail: `configured but not subscribed: ${absent.join(', ')}`,
        fix: `npx cdk deploy -c stage=${stage.name} --all`,
      };
    const unconfirmedConfigured = emails.filter((e) => pending.includes(e));
    if (unconfirmedConfigured.length > 0)
      return { name, ok: false, detail: `not confirmed: ${unconfirmedConfigured.join(', ')}`, fix: confirm };
    if (confirmed.length === 0)
      return pending.length > 0
        ? { name, ok: false, detail: `only unconfirmed subscribers: ${pending.join(', ')}`, fix: confirm }
        : {
            name,
            ok: false,
            detail: `nobody receives ops-${stage.name}-alarms`,
            fix: `add automation.alerting.emails in config/stages/${stage.name}.ts, deploy, and confirm the e-mails`,
          };
    return {
      name,
      ok: true,
      detail: `${confirmed.length} confirmed: ${confirmed.map((s) => `${s.Protocol} ${s.Endpoint}`).join(', ')}`,
    };
  } catch (err) {
    if (nameOf(err) === 'NotFoundException')
      return {
        name,
        ok: false,
        detail: `topic ops-${stage.name}-alarms does not exist`,
        fix: `npx cdk deploy -c stage=${stage.name} --all`,
      };
    return cannotCheck(name, 'sns:ListSubscriptionsByTopic', topic, err);
  }
}

/** Every check, in a fixed order (the calls run concurrently). */
export async function runDoctor(stage: StageConfig, clients: DoctorClients): Promise<Check[]> {
  const [secrets, bus, type, flags, alarms] = await Promise.all([
    Promise.all(secretsOf(stage).map((s) => checkSecret(stage, clients, s))),
    checkDatadogBus(stage, clients),
    checkMonitorType(stage, clients),
    checkFlags(stage, clients),
    checkAlarmDestinations(stage, clients),
  ]);
  return [...secrets, ...bus, type, ...flags, alarms];
}
