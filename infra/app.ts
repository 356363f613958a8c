import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { allStages, loadStage, type StageConfig } from '../config/index.js';
import { PlatformChecks } from './constructs/platform/checks.js';
import { FEATURE_FLAGS } from './feature-flags.js';
import { AutomationStack } from './stacks/automation-stack.js';
import { DrStack } from './stacks/dr-stack.js';
import { GlobalEventsStack, needsGlobalForwarding } from './stacks/global-stack.js';
import { PlatformStack } from './stacks/platform-stack.js';

export interface BuildOptions {
  /** One stage name, or all stages when omitted. */
  readonly stage?: string;
  readonly appProps?: AppProps;
  /** Run the cdk-nag AwsSolutions pack (on by default). */
  readonly nag?: boolean;
}

export interface StageStacks {
  readonly stage: StageConfig;
  readonly platform: PlatformStack;
  readonly automation: AutomationStack;
  /** `<stage>-dr` in the stage's drRegion; absent when the stage has none. */
  readonly dr?: DrStack;
  /** `<stage>-global` in us-east-1, forwarding global-service events; absent for a us-east-1 stage. */
  readonly global?: GlobalEventsStack;
}

/** Builds the CDK app for one or all stages. Only this function and `bin/app.ts` know about stages. */
export function buildApp(options: BuildOptions = {}): { app: App; stacks: StageStacks[] } {
  // The feature flags first: context given by the caller (or cdk.json, through the CLI) wins.
  const app = new App({
    ...options.appProps,
    context: { ...FEATURE_FLAGS, ...options.appProps?.context },
  });
  // Every stage is validated, with the checks across stages, even when one is synthesised.
  const every = allStages();
  const stages = options.stage ? [loadStage(options.stage)] : every;
  const stacks = stages.map((stage) => {
    const env = { account: stage.account, region: stage.region };
    const platform = new PlatformStack(app, `${stage.name}-platform`, {
      env,
      stage,
      description: `Core platform (${stage.name}, ${stage.region}): network, EKS, data, DNS, audit trail`,
      terminationProtection: stage.tier === 'prod',
    });
    const automation = new AutomationStack(app, `${stage.name}-automation`, {
      env,
      stage,
      platform,
      description: `Ops automation (${stage.name}, ${stage.region}): intake, runbooks, Slack, reporting, audit`,
      terminationProtection: stage.tier === 'prod',
    });
    automation.addStackDependency(platform);
    // Replication targets must exist before the platform points at them: the DR stack deploys first.
    const dr = stage.drRegion
      ? new DrStack(app, `${stage.name}-dr`, {
          env: { account: stage.account, region: stage.drRegion },
          stage,
          drRegion: stage.drRegion,
          description: `Disaster recovery (${stage.name}, ${stage.drRegion}): DR key and replica buckets`,
          terminationProtection: stage.tier === 'prod',
        })
      : undefined;
    if (dr) platform.addStackDependency(dr);
    const global = needsGlobalForwarding(stage)
      ? new GlobalEventsStack(app, `${stage.name}-global`, {
          env: { account: stage.account, region: 'us-east-1' },
          stage,
          description: `Global-service events (${stage.name}): us-east-1 → ${stage.region} default bus, with its canary`,
          terminationProtection: stage.tier === 'prod',
        })
      : undefined;
    for (const stack of [platform, automation, ...(dr ? [dr] : []), ...(global ? [global] : [])]) {
      Tags.of(stack).add('stage', stage.name);
      Tags.of(stack).add('managed-by', 'ops-automation-cdk');
      for (const [k, v] of Object.entries(stage.tags)) Tags.of(stack).add(k, v);
    }
    return { stage, platform, automation, ...(dr ? { dr } : {}), ...(global ? { global } : {}) };
  });
  if (options.nag !== false) {
    // cdk-nag's EKS rules only see the old aws-eks construct; PlatformChecks covers aws-eks-v2.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PlatformChecks(app));
  }
  return { app, stacks };
}
