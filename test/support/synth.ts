import { App, Tags, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStage, type StageConfig } from '../../config/index.js';
import { buildApp, type StageStacks } from '../../infra/app.js';
import { PlatformChecks } from '../../infra/constructs/platform/checks.js';
import { FEATURE_FLAGS } from '../../infra/feature-flags.js';
import { PlatformStack } from '../../infra/stacks/platform-stack.js';

/**
 * Synthesises the real app for one stage, cdk-nag included (a finding fails synth), with
 * asset bundling skipped so infra tests do not run esbuild for every function.
 * Cached per stage: synthesis takes seconds, call it in `beforeAll` or at describe level.
 */
export interface SynthesisedStage extends StageStacks {
  readonly platformTemplate: Template;
  readonly automationTemplate: Template;
}

const cache = new Map<string, SynthesisedStage>();

export function synthStage(stage: string): SynthesisedStage {
  const hit = cache.get(stage);
  if (hit) return hit;
  const { app, stacks } = buildApp({
    stage,
    appProps: { context: { 'aws:cdk:bundling-stacks': [] } },
  });
  app.synth();
  const s = stacks[0];
  if (!s) throw new Error(`no stacks for stage ${stage}`);
  const result: SynthesisedStage = {
    ...s,
    platformTemplate: Template.fromStack(s.platform),
    automationTemplate: Template.fromStack(s.automation),
  };
  cache.set(stage, result);
  return result;
}

export interface SynthesisedPlatform {
  readonly stage: StageConfig;
  readonly platform: PlatformStack;
  readonly platformTemplate: Template;
}

const platformCache = new Map<string, SynthesisedPlatform>();

/**
 * The platform stack of one stage alone, built as `buildApp` builds it (same id, env, tags) with the
 * same checks (cdk-nag AwsSolutions + PlatformChecks; a finding fails synth), so platform tests do
 * not depend on the automation stack's state. Cached per stage.
 */
export function synthPlatform(stageName: string): SynthesisedPlatform {
  const hit = platformCache.get(stageName);
  if (hit) return hit;
  const stage = loadStage(stageName);
  const app = new App({ context: { ...FEATURE_FLAGS } });
  const platform = new PlatformStack(app, `${stage.name}-platform`, {
    env: { account: stage.account, region: stage.region },
    stage,
    terminationProtection: stage.tier === 'prod',
  });
  Tags.of(platform).add('stage', stage.name);
  Tags.of(platform).add('managed-by', 'ops-automation-cdk');
  for (const [k, v] of Object.entries(stage.tags)) Tags.of(platform).add(k, v);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PlatformChecks(app));
  app.synth();
  const result: SynthesisedPlatform = { stage, platform, platformTemplate: Template.fromStack(platform) };
  platformCache.set(stageName, result);
  return result;
}
