import { randomUUID } from 'node:crypto';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deployedStage } from '../../config/deployed.js';
import { sweepEvent } from '../../events/sources/sweep/normalise.js';
import { resourceHistory } from '../audit/history.js';
import { logger, metrics, requiredEnv, withLogContext } from '../shared/powertools.js';
import { type AuditHistory, driftedDnsRecords } from './checks/dns.js';
import { missingFlowLogs } from './checks/flow-logs.js';
import { evidenceViaKubeFunction, nodeGroupsAtMax } from './checks/node-groups.js';
import { overdueSecrets } from './checks/secrets.js';
import { sharedDbSnapshots, sharedEbsSnapshots } from './checks/sharing.js';
import { trailsNotLogging } from './checks/trails.js';
import { staleVolumes } from './checks/volumes.js';
import { read, runSweeps, type SweepCheck, SweepFailedError } from './core.js';
import { type ImplementedSweepCheck, SweepInput, SweepTargets, sweepSettings } from './settings.js';

/**
 * The sweep function: thin. Settings once at cold start; each schedule names its checks, and each
 * check's client is made when a check first needs it (one schedule runs one check: the others'
 * clients would only cost the cold start their configuration).
 */
const stage = deployedStage(requiredEnv('STAGE'));
const settings = sweepSettings(stage, SweepTargets.parse(JSON.parse(requiredEnv('SWEEP_TARGETS'))));
const region = stage.region;
/** `make()` once, on the first call. */
const once = <T>(make: () => T): (() => T) => {
  let made: T | undefined;
  return () => {
    made ??= make();
    return made;
  };
};
const ec2 = once(() => new EC2Client({}));
const rds = once(() => new RDSClient({}));
const sm = once(() => new SecretsManagerClient({}));
const lambda = once(() => new LambdaClient({}));
const cloudtrail = once(() => new CloudTrailClient({}));
const route53 = once(() => new Route53Client({}));
const eks = once(() => new EKSClient({}));
/** The node-groups check counts unschedulable pods through the in-VPC kube function (synchronous invoke). */
const kubeFunction = settings.targets.kubeFunction;
const evidence = kubeFunction
  ? once(() => evidenceViaKubeFunction(lambda(), kubeFunction, () => `sweep-node-groups-${randomUUID()}`))
  : undefined;
/** The dns check reads the audit table's by-resource index only: no audit store, no S3 client. */
const auditTable = settings.targets.auditTable;
const auditDoc = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({})));
const audit: AuditHistory | undefined = auditTable
  ? { history: (query) => resourceHistory(auditDoc(), auditTable, query) }
  : undefined;

/** The backup verification's EBS collector calls EC2 directly: give it the sweep's throttling retry. */
const retryingEc2 = {
  send: (command: Parameters<EC2Client['send']>[0]) =>
    read(`ec2:${command.constructor.name}`, () => ec2().send(command)),
} as unknown as EC2Client;

/** Every check infra schedules has its entry here (the type says so). */
const checks: Record<ImplementedSweepCheck, SweepCheck> = {
  'node-groups': (now: Date) => {
    if (!evidence)
      throw new Error('the node-groups check needs the kube function (SWEEP_TARGETS.kubeFunction)');
    return nodeGroupsAtMax(eks(), evidence(), settings.nodeGroups, now);
  },
  trails: (now: Date) => trailsNotLogging(cloudtrail(), settings.targets.trailArns, now),
  'flow-logs': (now: Date) => missingFlowLogs(ec2(), settings.targets.vpcIds, now),
  secrets: (now: Date) => overdueSecrets(sm(), settings.secrets, now),
  sharing: async (now: Date) => [
    ...(await sharedEbsSnapshots(ec2(), now)),
    ...(await sharedDbSnapshots(rds(), now)),
  ],
  volumes: (now: Date) => staleVolumes(retryingEc2, settings.volumes, now),
  dns: async (now: Date) => {
    if (!audit) throw new Error('the dns check needs the audit table (SWEEP_TARGETS.auditTable)');
    return driftedDnsRecords(route53(), audit, settings.dns, now);
  },
};

export const handler = withLogContext(async (event: unknown) => {
  const input = SweepInput.parse(event);
  const report = await runSweeps(input.checks, {
    checks,
    logger,
    metrics,
    now: () => new Date(),
    send: async (finding) => {
      const payload = sweepEvent(finding, { id: randomUUID(), region });
      await read('lambda:Invoke', () =>
        lambda().send(
          new InvokeCommand({
            FunctionName: settings.targets.intakeFunction,
            InvocationType: 'Event',
            Payload: new TextEncoder().encode(JSON.stringify(payload)),
          }),
        ),
      );
    },
  });
  logger.info('sweep finished', { ...report });
  if (report.failed.length > 0) {
    throw new SweepFailedError(
      `sweep checks failed: ${report.failed.map((f) => `${f.check} (${f.error})`).join('; ')}; ` +
        `the others ran: ${report.ran.join(', ') || 'none'}`,
    );
  }
  return report;
});
