import { readFileSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStage } from '../../config/index.js';
import { normaliseDatadogWebhook } from '../../events/index.js';
import { manualSignal } from '../../events/sources/manual/normalise.js';
import { normaliseScheduledRule } from '../../events/sources/schedule/normalise.js';
import { decide } from '../../functions/intake/decide.js';
import { Hooks } from '../../infra/constructs/automation/hooks.js';
import { loadRunbooks, RUNBOOKS_ROOT } from '../../infra/constructs/automation/runbook-loader.js';
import { RunbookWorkflows } from '../../infra/constructs/automation/runbooks.js';
import { PlatformStack } from '../../infra/stacks/platform-stack.js';
import { RUNBOOK_PLUGINS } from '../../runbooks/registry.js';
import { sayHelloPlugin } from '../fixtures/runbooks/say-hello/plugin.js';
import { handler as greet } from '../fixtures/runbooks/say-hello/steps/handler.js';
import { type AslDefinition, renderAsl, runAsl } from '../support/local-sfn.js';

/**
 * Issue 20: a new runbook is one folder plus one registry line. The fixture runbook
 * test/fixtures/runbooks/say-hello/ is added to the shipped registry here, at test time, by the one
 * line a real runbook adds to runbooks/registry.ts (`runbooks` below), and nothing else changes:
 * the intake starts it from its own rule and from a Datadog tag, the one allow-list guard calls its
 * check, infra finds its CDK side in its folder by the same convention as for the shipped runbooks
 * (runbook-loader.ts; only the folder it lives in differs: test/fixtures/runbooks instead of
 * runbooks) and builds it beside them with cdk-nag on, and its workflow, rendered from that
 * synthesis, runs locally with its real step handler. Nothing here imports its workflow.ts.
 */

const stage = loadStage('dev');
const runbooks = [...RUNBOOK_PLUGINS, sayHelloPlugin];
const at = '2026-11-20T16:53:06Z';

describe('fixture runbook say-hello: the intake decides with it', () => {
  const ctx = { stage: stage.name, automation: stage.automation, runbooks };

  it('starts it from its own policy rule (a scheduled rule with no target input)', () => {
    // Prepare: the real sample of a Scheduled Event, for the fixture's rule name.
    const sample = JSON.parse(readFileSync('events/samples/schedule/scheduled-event-rule.json', 'utf8'));
    sample.resources = ['arn:aws:events:eu-west-1:111111111111:rule/say-hello-hourly'];
    // Act
    const [decision] = decide(normaliseScheduledRule(sample), ctx);
    // Assess
    expect(decision).toMatchObject({
      action: 'start',
      runbook: 'say-hello',
      rule: 'hello-hourly',
      parameters: { name: 'Oncall' },
      resourceKey: 'oncall',
    });
    expect(decision?.guards).toContainEqual({
      name: 'allow-list',
      outcome: 'pass',
      detail: 'Oncall may be greeted',
    });
  });

  it('starts it from a Datadog monitor tagged runbook:say-hello, its parameter read from a tag', () => {
    const body = JSON.parse(readFileSync('events/samples/datadog/webhook-triggered.json', 'utf8'));
    const signal = normaliseDatadogWebhook(
      JSON.stringify({ ...body, tags: 'runbook:say-hello,name:Ada', alert_scope: '*' }),
    );
    const [decision] = decide(signal, ctx);
    expect(decision).toMatchObject({ action: 'start', runbook: 'say-hello', parameters: { name: 'Ada' } });
  });

  it('refuses what its allow-list refuses, through the one central guard', () => {
    const signal = manualSignal({
      runbook: 'say-hello',
      parameters: { name: 'Mallory' },
      requestedBy: 'U0123ABCD',
      at,
    });
    const [decision] = decide(signal, ctx);
    expect(decision).toMatchObject({ action: 'reject', runbook: 'say-hello' });
    expect(decision?.guards).toContainEqual({
      name: 'allow-list',
      outcome: 'block',
      detail: 'Mallory is not on the guest list',
    });
  });

  it('is unknown to the shipped registry: the registry line is what adds it', () => {
    const signal = manualSignal({
      runbook: 'say-hello',
      parameters: { name: 'Ada' },
      requestedBy: 'U0123ABCD',
      at,
    });
    const [decision] = decide(signal, { stage: stage.name, automation: stage.automation });
    expect(decision).toMatchObject({
      action: 'reject',
      reasons: expect.arrayContaining(['unknown runbook "say-hello"']),
    });
  });
});

describe('fixture runbook say-hello: infra builds it and its workflow runs', () => {
  let template: Template;
  let asl: AslDefinition;
  let machines: string[];

  beforeAll(async () => {
    // The shipped runbooks' folders, then the fixtures' folder (where this one's lives).
    const loaded = await loadRunbooks(runbooks, { roots: [RUNBOOKS_ROOT, 'test/fixtures/runbooks'] });
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const env = { account: stage.account, region: stage.region };
    const platform = new PlatformStack(app, 'dev-platform', { env, stage });
    const automation = new Stack(app, 'dev-automation', { env });
    automation.addStackDependency(platform);
    const hooks = new Hooks(automation, 'Hooks', { namePrefix: 'ops-dev', stage });
    const built = new RunbookWorkflows(automation, 'Runbooks', {
      stage,
      namePrefix: 'ops-dev',
      hooks,
      platform,
      runbooks: loaded,
    });
    // cdk-nag on: an unexplained finding fails the synthesis.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    template = Template.fromStack(automation);
    machines = Object.keys(built.stateMachines);
    const machine = built.stateMachines['say-hello'];
    if (!machine) throw new Error('say-hello was not built');
    asl = renderAsl(machine);
  }, 240_000);

  it('builds it beside every shipped runbook, with its own step function and role under the prefix', () => {
    expect(machines).toEqual(expect.arrayContaining(['snapshot-volume', 'verify-backups', 'say-hello']));
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'ops-dev-say-hello',
    });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'ops-dev-say-hello-steps' });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'ops-dev-say-hello-steps' });
  });

  it('gives the kube function the union of what the runbooks declare, the fixture declaring nothing', () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'ops-dev-kube' },
    });
    const [fn] = Object.values(fns) as {
      Properties: { Environment: { Variables: { KUBE_SETTINGS: string } } };
    }[];
    const settings = JSON.parse(fn?.Properties.Environment.Variables.KUBE_SETTINGS ?? '{}');
    // By hand from config/stages/dev.ts: the one secret allow-listed with a consumer to restart
    // (rotate-secret's declaration); dev configures no Velero restore test (no scratch namespaces).
    expect(settings.restartWorkloads).toEqual(['app/deployment/api']);
    expect(settings.scratchNamespaces).toBeUndefined();
  });

  const input = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    runbook: 'say-hello',
    stage: 'dev',
    parameters,
    dryRun: false,
    mode: 'auto',
    executionName: 'say-hello-0a1b2c3d4e5f-20261120T1650Z',
    resourceKey: 'ada',
    trigger: {
      source: 'cli',
      kind: 'manual.request',
      correlationId: 'c1',
      occurredAt: at,
      summary: 'greet Ada',
      requestedBy: 'U0123ABCD',
    },
    reasons: ['requested'],
    ...extra,
  });
  const reports: { phase: string }[] = [];
  const handlers = {
    'Announce start': (p: unknown) => void reports.push(p as { phase: string }),
    'Report result': (p: unknown) => void reports.push(p as { phase: string }),
    'Report failure': (p: unknown) => void reports.push(p as { phase: string }),
    'Report rejection': (p: unknown) => void reports.push(p as { phase: string }),
    'Request approval': () => ({ approved: true, approver: 'U0456EFGH', at }),
    Greet: (p: unknown) => greet(p),
  };

  it('runs locally from its synthesised definition, its step bound to the real handler', async () => {
    reports.length = 0;
    const run = await runAsl(asl, input({ name: 'Ada', reason: 'requested' }), { handlers });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toEqual({ outcome: 'succeeded', summary: 'Hello, Ada!', changes: [] });
    expect(reports.map((r) => r.phase)).toEqual(['started', 'succeeded']);
  });

  it('waits for approval in approval mode and reports a dry run as one', async () => {
    const run = await runAsl(
      asl,
      input({ name: 'Ada', reason: 'requested' }, { mode: 'approval', dryRun: true }),
      {
        handlers,
      },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toContain('Request approval');
    expect(run.output).toMatchObject({ outcome: 'dry-run', summary: 'would say: Hello, Ada!' });
  });

  it('ends in the shared failure path when its step fails', async () => {
    const run = await runAsl(asl, input({ name: 42 }), { handlers });
    expect(run.status).toBe('FAILED');
    expect(run.path).toEqual(expect.arrayContaining(['Greeting failed', 'Report failure', 'Failed']));
  });
});
