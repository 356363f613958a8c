import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type StageStacks } from '../../infra/app.js';

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
