import type * as z from 'zod';
import { type StageConfig, type StageConfigInput, StageConfigSchema } from './schema.js';
import { dev } from './stages/dev.js';
import { prod } from './stages/prod.js';
import { prodEuc1 } from './stages/prod-euc1.js';
import { stage } from './stages/stage.js';

export * from './schema.js';

/** Every configured stage. A new stage or region is one more entry here and one file in `stages/`. */
export const STAGE_INPUTS: Readonly<Record<string, StageConfigInput>> = {
  dev,
  stage,
  prod,
  // prod's second region (eu-central-1): same code, its own CIDR, zones and DR region.
  'prod-euc1': prodEuc1,
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function formatIssues(stageName: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => `  - ${stageName}.${i.path.join('.') || '(root)'}: ${i.message}`);
  return `Stage configuration "${stageName}" is invalid:\n${lines.join('\n')}`;
}

/** Validates one stage's raw config; throws a `ConfigError` naming every bad field. */
export function parseStage(input: unknown, label = 'stage'): StageConfig {
  // Parsed once per process (a Lambda's cold start, an `ops` command): zod's compiled fast path costs
  // more to generate than one parse saves (config import 214 → 165 ms in a fresh process, measured
  // interleaved), so this parse skips it. Only this call: event schemas keep their compiled parsers.
  const result = StageConfigSchema.safeParse(input, { jitless: true });
  if (!result.success) throw new ConfigError(formatIssues(label, result.error));
  const cfg = result.data;
  const problems: string[] = [];
  for (const az of cfg.availabilityZones) {
    if (!az.startsWith(cfg.region)) problems.push(`availability zone ${az} is not in region ${cfg.region}`);
  }
  if (new Set(cfg.availabilityZones).size !== cfg.availabilityZones.length)
    problems.push('availability zones repeat');
  if (cfg.drRegion === cfg.region) problems.push(`drRegion must differ from region (${cfg.region})`);
  // verify-backups requires what the platform must then make: the platform replicates only its own
  // Velero bucket (infra/constructs/platform/storage.ts), so a DR copy of backups kept elsewhere is never made.
  const bv = cfg.automation.backupVerification;
  if (cfg.drRegion && bv.classes.velero.drCopyRequired && bv.velero.bucketName) {
    problems.push(
      `automation.backupVerification.classes.velero.drCopyRequired needs a copy in ${cfg.drRegion}, but ` +
        `velero.bucketName "${bv.velero.bucketName}" is not the platform's Velero bucket, which is the only one ` +
        'replicated there: replicate that bucket yourself and say so by setting drCopyRequired: false, or drop bucketName',
    );
  }
  const ng = cfg.platform.eks.nodeGroup;
  if (!(ng.minSize <= ng.desiredSize && ng.desiredSize <= ng.maxSize)) {
    problems.push(
      `node group sizes must satisfy min ≤ desired ≤ max (got ${ng.minSize}/${ng.desiredSize}/${ng.maxSize})`,
    );
  }
  for (const allowed of cfg.automation.allowLists.nodeGroups) {
    if (allowed.ceiling < ng.minSize)
      problems.push(`node group ceiling ${allowed.ceiling} is below minSize ${ng.minSize}`);
  }
  const apps = cfg.platform.appParameters.map((a) => a.app);
  for (const dup of new Set(apps.filter((a, i) => apps.indexOf(a) !== i)))
    problems.push(
      `platform.appParameters lists "${dup}" twice: one path /app/${cfg.name}/${dup}/ has one reader role`,
    );
  if (cfg.tier === 'prod' && !cfg.platform.rds.deletionProtection)
    problems.push('prod databases need deletionProtection');
  if (cfg.tier === 'prod' && cfg.platform.eks.nodeGroup.capacityType === 'SPOT')
    problems.push('prod node groups are ON_DEMAND');
  // The platform's RDS secrets are never left unrotated (README "Secret rotation"): the master
  // changes its own password (single user); the app user alternates, logging in as the master.
  for (const [secret, label, strategy] of [
    [`${cfg.name}/rds/master`, 'the RDS master secret', 'mysql-single-user'],
    [`${cfg.name}/rds/app-user`, 'the RDS app-user secret', 'mysql-alternating-users'],
  ] as const) {
    const found = cfg.automation.allowLists.secrets.find((s) => s.name === secret);
    if (found?.strategy !== strategy) {
      problems.push(
        `automation.allowLists.secrets must rotate ${label}: add { name: '${secret}', strategy: '${strategy}' }${found ? ` (it has strategy ${found.strategy})` : ''}`,
      );
    }
  }
  // Every alarm and monitor ends at a person: prod does not synthesise without a destination for
  // each path (CloudWatch alarms → SNS topic; Datadog monitors → @-handles).
  const alerting = cfg.automation.alerting;
  if (cfg.tier === 'prod' && alerting.emails.length === 0 && !alerting.slackChannel) {
    problems.push(
      'automation.alerting: CloudWatch alarms would reach no one; a prod stage needs automation.alerting.emails or automation.alerting.slackChannel',
    );
  }
  if (cfg.tier === 'prod' && alerting.datadogHandles.length === 0) {
    problems.push(
      'automation.alerting: Datadog monitors would notify no one; a prod stage needs automation.alerting.datadogHandles (e.g. @pagerduty-ops, @slack-ops-alerts, @oncall@example.com)',
    );
  }
  if (!cfg.automation.automationRolePrefix.startsWith(`ops-${cfg.name}`)) {
    problems.push(
      `automationRolePrefix must start with "ops-${cfg.name}" so loop protection matches the roles infra creates`,
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `Stage configuration "${label}" is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return cfg;
}

/** IPv4 CIDR → [first, last] address as numbers. */
export function cidrRange(cidr: string): [number, number] {
  const [ip, bitsText] = cidr.split('/') as [string, string];
  const bits = Number(bitsText);
  const base = ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - bits);
  const first = base - (base % size);
  return [first, first + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [a1, a2] = cidrRange(a);
  const [b1, b2] = cidrRange(b);
  return a1 <= b2 && b1 <= a2;
}

/** Cross-stage rules: VPC CIDRs disjoint across every stage and region, and from the office networks. */
export function checkStages(stages: readonly StageConfig[]): void {
  const problems: string[] = [];
  for (let i = 0; i < stages.length; i++) {
    const a = stages[i] as StageConfig;
    for (let j = i + 1; j < stages.length; j++) {
      const b = stages[j] as StageConfig;
      if (a.name === b.name) problems.push(`stage name "${a.name}" is used twice`);
      if (cidrsOverlap(a.platform.vpc.cidr, b.platform.vpc.cidr)) {
        problems.push(
          `VPC CIDRs overlap: ${a.name} (${a.platform.vpc.cidr}) and ${b.name} (${b.platform.vpc.cidr}); every stage and region needs its own range`,
        );
      }
    }
    for (const office of a.platform.vpn?.officeCidrs ?? []) {
      if (cidrsOverlap(office, a.platform.vpc.cidr)) {
        problems.push(`${a.name}: office CIDR ${office} overlaps the VPC CIDR ${a.platform.vpc.cidr}`);
      }
    }
  }
  // Datadog has one AWS integration per account: registering it as code from two stages of one
  // account would make the second registration fail (and replace the first one's external id).
  const registering = new Map<string, string[]>();
  for (const s of stages) {
    if (!s.platform.datadog.registerIntegration) continue;
    registering.set(s.account, [...(registering.get(s.account) ?? []), s.name]);
  }
  for (const [account, names] of registering) {
    if (names.length > 1)
      problems.push(
        `platform.datadog.registerIntegration is on in ${names.join(' and ')}, all in account ${account}: Datadog has one AWS integration per account, register it from one stage only`,
      );
  }
  if (problems.length > 0)
    throw new ConfigError(`Stage configurations conflict:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

let cache: Map<string, StageConfig> | undefined;

/** All stages, validated one by one and against each other. */
export function allStages(): StageConfig[] {
  if (!cache) {
    const parsed = Object.entries(STAGE_INPUTS).map(([name, input]) => parseStage(input, name));
    checkStages(parsed);
    cache = new Map(parsed.map((s) => [s.name, s]));
  }
  return [...cache.values()];
}

export function stageNames(): string[] {
  return Object.keys(STAGE_INPUTS);
}

const single = new Map<string, StageConfig>();

/** One stage by name, with a clear error listing the known ones. */
export function loadStage(name: string | undefined): StageConfig {
  if (!name) throw new ConfigError(`No stage given. Known stages: ${stageNames().join(', ')}`);
  if (!(name in STAGE_INPUTS)) {
    throw new ConfigError(`Unknown stage "${name}". Known stages: ${stageNames().join(', ')}`);
  }
  // Only the named stage is validated: a Lambda at cold start and an `ops` command need their own stage,
  // and validating every stage cost each of them the others' parse. The cross-stage checks (disjoint
  // CIDRs…) run where stages are built together: `allStages()`, which synth always calls (infra/app.ts).
  const found = cache?.get(name) ?? single.get(name) ?? parseStage(STAGE_INPUTS[name], name);
  single.set(name, found);
  return found;
}
