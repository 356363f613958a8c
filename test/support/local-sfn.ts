import { appendFileSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine as LocalStateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { requestProblems, responseProblems, sdkTarget } from './aws-model.js';

/**
 * Executes a Step Functions workflow, exactly as the CDK construct renders it, on this
 * machine: Lambda tasks bound to the real handler code, SDK-integration tasks bound to
 * fakes, waits and retry intervals shortened to zero (their counts and back-off rates
 * are still those of the definition, and are asserted by the tests).
 *
 * Every `aws-sdk:` call is checked against AWS's API model of its action with Step Functions'
 * naming (test/support/aws-model.ts) before its fake runs, and the fake's answer after: a call AWS
 * would refuse, or an answer AWS could not give, makes `runAsl` throw, whatever the workflow's
 * Catch does with it, so no workflow test can pass on a misnamed parameter.
 */

export const TEST_ENV = { account: '111111111111', region: 'eu-west-1' } as const;

/** A bare stack to build one workflow construct in; bundling is skipped (no esbuild per test). */
export function workflowStack(id = 'WorkflowTest'): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, id, { env: TEST_ENV });
}

type Json = unknown;

/** Replaces CloudFormation intrinsics in a resolved definition with plain strings. */
function resolveIntrinsics(value: Json, stack: Stack): Json {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, stack));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, Json>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const key = keys[0] as string;
      const arg = obj[key];
      if (key === 'Ref') {
        const ref = arg as string;
        if (ref === 'AWS::Partition') return 'aws';
        if (ref === 'AWS::Region') return TEST_ENV.region;
        if (ref === 'AWS::AccountId') return TEST_ENV.account;
        if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
        return ref;
      }
      if (key === 'Fn::GetAtt') {
        const [logicalId, attr] = arg as [string, string];
        if (attr === 'Arn')
          return `arn:aws:lambda:${TEST_ENV.region}:${TEST_ENV.account}:function:${logicalId}`;
        return `${logicalId}.${attr}`;
      }
      if (key === 'Fn::Join') {
        const [sep, parts] = arg as [string, Json[]];
        return parts.map((p) => resolveIntrinsics(p, stack)).join(sep);
      }
      if (key === 'Fn::Select') {
        const [index, list] = arg as [number, Json[]];
        return resolveIntrinsics((resolveIntrinsics(list, stack) as Json[])[index], stack);
      }
      if (key === 'Fn::Split') {
        const [sep, source] = arg as [string, Json];
        return String(resolveIntrinsics(source, stack)).split(sep);
      }
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(v, stack)]));
  }
  return value;
}

/** The Amazon States Language definition of a CDK state machine, intrinsics resolved. */
export function renderAsl(stateMachine: sfn.StateMachine): AslDefinition {
  const stack = Stack.of(stateMachine);
  const cfn = stateMachine.node.defaultChild as CfnElement & { definitionString?: string };
  const resolved = resolveIntrinsics(stack.resolve(cfn.definitionString), stack);
  if (typeof resolved !== 'string') throw new Error('state machine has no definitionString');
  return JSON.parse(resolved) as AslDefinition;
}

export interface AslState {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Branches?: AslDefinition[];
  Iterator?: AslDefinition;
  ItemProcessor?: AslDefinition;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  [key: string]: unknown;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  [key: string]: unknown;
}

/** Every state of a definition, nested ones (Map, Parallel) included. */
export function allStates(def: AslDefinition): [string, AslState][] {
  const out: [string, AslState][] = [];
  for (const [name, state] of Object.entries(def.States)) {
    out.push([name, state]);
    for (const branch of state.Branches ?? []) out.push(...allStates(branch));
    if (state.Iterator) out.push(...allStates(state.Iterator));
    if (state.ItemProcessor) out.push(...allStates(state.ItemProcessor));
  }
  return out;
}

/**
 * A local stand-in for one Task state. Lambda tasks receive the payload the real function
 * would receive; SDK-integration tasks receive the API parameters and return the API response
 * (throw `awsError('Ec2.SomeError')` to fail it as the service would).
 */
export type TaskHandler = (input: Json) => Promise<Json> | Json;

export interface RunOptions {
  /** State name → local function; every Task state must have one (nothing reaches AWS). */
  readonly handlers: Record<string, TaskHandler>;
  /** Context object (e.g. `{ Execution: { Name } }`). */
  readonly context?: Record<string, unknown>;
}

export interface RunOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  /** State names in the order they were entered (nested states included). */
  readonly path: string[];
  /** Count of state entries: what Step Functions bills as state transitions. */
  readonly transitions: number;
  /** Task state name → how many times its handler ran (retries included). */
  readonly calls: Record<string, number>;
}

/** Runs a definition locally. Missing task handlers fail before anything runs. */
export async function runAsl(def: AslDefinition, input: Json, options: RunOptions): Promise<RunOutcome> {
  const states = allStates(def);
  const tasks = states.filter(([, s]) => s.Type === 'Task').map(([n]) => n);
  const missing = tasks.filter((n) => !(n in options.handlers));
  if (missing.length > 0) throw new Error(`no local handler for task state(s): ${missing.join(', ')}`);
  const unknown = Object.keys(options.handlers).filter((n) => !tasks.includes(n));
  if (unknown.length > 0)
    throw new Error(`handlers given for states that are not tasks: ${unknown.join(', ')}`);

  const calls: Record<string, number> = {};
  const refused: string[] = [];
  const resources = new Map(states.map(([n, s]) => [n, s.Resource ?? '']));
  const handlers = Object.fromEntries(
    Object.entries(options.handlers).map(([name, fn]) => [
      name,
      // The library types task results as its own JSONValue; ours are plain JSON too.
      async (i: Json) => {
        calls[name] = (calls[name] ?? 0) + 1;
        const resource = resources.get(name) ?? '';
        // Lambda tasks: the handler sees the Payload, as the real function would; a plain
        // invoke returns Step Functions' envelope, a waitForTaskToken invoke the callback output.
        if (resource.startsWith('arn:aws:states:::lambda:invoke')) {
          const payload = (i as { Payload?: Json }).Payload;
          const result = await fn(payload);
          if (resource.endsWith('.waitForTaskToken')) return result as never;
          return { Payload: result ?? null, StatusCode: 200, ExecutedVersion: '$LATEST' } as never;
        }
        const target = sdkTarget(resource);
        if (target) {
          const problems = requestProblems(target.service, target.action, i);
          if (problems.length > 0) {
            refused.push(`${name}: ${problems.join('; ')}`);
            throw awsError('States.Runtime', `AWS would refuse this call: ${problems.join('; ')}`);
          }
          const result = await fn(i);
          const wrong = responseProblems(target.service, target.action, result);
          if (wrong.length > 0) {
            refused.push(`${name} (fake's answer): ${wrong.join('; ')}`);
            throw awsError('States.Runtime', `AWS could not answer this: ${wrong.join('; ')}`);
          }
          return result as never;
        }
        return (await fn(i)) as never;
      },
    ]),
  );
  const executionName = (input as { executionName?: string } | null)?.executionName ?? 'local-test-execution';
  const context = {
    Execution: {
      Id: `arn:aws:states:${TEST_ENV.region}:${TEST_ENV.account}:execution:local:${executionName}`,
      Name: executionName,
      StartTime: new Date().toISOString(),
      Input: input as never,
      RoleArn: `arn:aws:iam::${TEST_ENV.account}:role/local`,
    },
    StateMachine: {
      Id: `arn:aws:states:${TEST_ENV.region}:${TEST_ENV.account}:stateMachine:local`,
      Name: 'local',
    },
    Task: { Token: 'local-task-token' },
    ...options.context,
  };
  const waitTimeOverrides = Object.fromEntries(
    states.filter(([, s]) => s.Type === 'Wait').map(([n]) => [n, 0]),
  );
  const retryIntervalOverrides = Object.fromEntries(states.filter(([, s]) => s.Retry).map(([n]) => [n, 0]));

  const machine = new LocalStateMachine(def as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false, checkPaths: false },
  });
  const execution = machine.run(input as Parameters<typeof machine.run>[0], {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides, retryIntervalOverrides },
    context,
  });
  const path: string[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) {
      const e = event as { type: string; state?: { name: string } };
      if (e.type === 'StateEntered' && e.state) path.push(e.state.name);
    }
  })();
  const checked = <T extends RunOutcome>(outcome: T): T => {
    traceRun(def, input, outcome);
    if (refused.length > 0)
      throw new Error(`SDK calls checked against AWS's API models failed:\n${refused.join('\n')}`);
    return outcome;
  };
  try {
    const output = await execution.result;
    await logging.catch(() => undefined);
    return checked({ status: 'SUCCEEDED', output, path, transitions: path.length, calls });
  } catch (err) {
    await logging.catch(() => undefined);
    const cause = (err as Error & { cause?: Error & { cause?: unknown } }).cause;
    return checked({
      status: 'FAILED',
      error: cause?.name ?? (err as Error).name,
      cause: cause?.message ?? (err as Error).message,
      path,
      transitions: path.length,
      calls,
    });
  }
}

/**
 * With `RUN_ASL_TRACE=<file>` set, every run appends one JSON line `{ definition, input,
 * status, path }` to that file: the transitions bench (test/bench/sections/transitions.ts) runs
 * the workflow tests' own happy-path cases (one test each, `vitest -t`) this way and counts what they entered.
 */
function traceRun(def: AslDefinition, input: Json, outcome: RunOutcome): void {
  const file = process.env.RUN_ASL_TRACE;
  if (!file) return;
  const line = { definition: def, input, status: outcome.status, path: outcome.path };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** An error as a Step Functions SDK integration raises it (`Ec2.SomethingException`). */
export function awsError(name: string, message = name): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}
