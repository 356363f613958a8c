import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { buildApp, type StageStacks } from '../../infra/app.js';
import { type AslDefinition, renderAsl } from './local-sfn.js';

/**
 * Every stage of the real app, synthesised once per test file without cdk-nag and without asset
 * bundling (the contract tests read templates and definitions, not bundles).
 */
let cached: readonly StageStacks[] | undefined;
export function allStageStacks(): readonly StageStacks[] {
  if (cached) return cached;
  const { app, stacks } = buildApp({ appProps: { context: { 'aws:cdk:bundling-stacks': [] } }, nag: false });
  app.synth();
  cached = stacks;
  return stacks;
}

/** One stage alone (cheaper when a test needs only that one). */
export function stageStacks(stage: string): StageStacks {
  const hit = cached?.find((s) => s.stage.name === stage);
  if (hit) return hit;
  const { app, stacks } = buildApp({
    stage,
    appProps: { context: { 'aws:cdk:bundling-stacks': [] } },
    nag: false,
  });
  app.synth();
  const s = stacks[0];
  if (!s) throw new Error(`no stacks for stage ${stage}`);
  return s;
}

export interface RenderedMachine {
  readonly stage: string;
  /** Construct path, e.g. `dev-automation/Runbooks/UpdateDns/Frame/StateMachine`. */
  readonly path: string;
  readonly asl: AslDefinition;
}

/** The ASL of every state machine of every stage, intrinsics resolved. */
export function allStateMachines(): RenderedMachine[] {
  return allStageStacks().flatMap((s) =>
    s.automation.node
      .findAll()
      .filter((c): c is sfn.StateMachine => c instanceof sfn.StateMachine)
      .map((m) => ({ stage: s.stage.name, path: m.node.path, asl: renderAsl(m) })),
  );
}
