import { type RotateSecretCommandInput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../functions/kube/client.js';
import { type KubeSettings, runKubeStep } from '../../functions/kube/core.js';
import { eksToken } from '../../functions/kube/token.js';
import { createRotationHandler, type RotationHandler } from '../../runbooks/rotate-secret/steps/dispatch.js';
import { Database } from '../../runbooks/rotate-secret/steps/mysql.js';
import { SecretStore } from '../../runbooks/rotate-secret/steps/secrets.js';
import { parseSettings, type StrategyName } from '../../runbooks/rotate-secret/steps/settings.js';
import { STRATEGY_BY_NAME } from '../../runbooks/rotate-secret/steps/strategies.js';
import { RotateSecretWorkflow } from '../../runbooks/rotate-secret/workflow.js';
import { expectResilientJsonPath } from '../support/asl-assertions.js';
import { renameForSfn } from '../support/aws-model.js';
import { captureLogger } from '../support/capture-logger.js';
import { eksTokenAuthenticator } from '../support/eks-authenticator.js';
import { type KubeApiServer, startKubeApiServer } from '../support/kube-api-server.js';
import { synthesisedKubeRbac } from '../support/kube-rbac.js';
import {
  type AslDefinition,
  allStates,
  awsError,
  renderAsl,
  runAsl,
  type TaskHandler,
  workflowStack,
} from '../support/local-sfn.js';
import { type MariaDb, startMariaDb } from '../support/mariadb.js';
import { FakeSecretsManager } from '../support/secrets-manager-fake.js';

/**
 * The rotate-secret workflow, rendered from its CDK construct and executed locally: its SDK
 * tasks answered by the in-memory Secrets Manager, its Lambda steps by the real rotation
 * handler code (verify / recover), which reaches a real MariaDB server, and the real kube
 * function code (restart), which reaches the Kubernetes API stand-in over HTTPS (requests checked
 * against the official OpenAPI spec, RBAC as infra synthesises it).
 */

const MAX_POLLS = 4;
const APP = 'dev/rds/app-user';
const SINGLE = 'dev/rds/reporting';
const TOKEN = 'dev/api/partner-token';

function build(): AslDefinition {
  const stack = workflowStack();
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const wf = new RotateSecretWorkflow(stack, 'RotateSecret', {
    namePrefix: 'ops-test',
    hooks: { report: fn('Report'), approval: fn('Approval') },
    approvalTimeout: Duration.minutes(30),
    kubeFunction: fn('ops-test-kube'),
    polling: {
      maxPolls: MAX_POLLS,
      firstWait: Duration.seconds(5),
      backoff: 2,
      maxWait: Duration.seconds(30),
    },
    secrets: [
      {
        name: APP,
        arn: `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${APP}-??????`,
        strategy: 'mysql-alternating-users',
        rotationFunction: fn('ops-test-rotation-app-user'),
        restartWorkloads: ['app/deployment/api', 'app/statefulset/worker'],
      },
      {
        name: SINGLE,
        arn: `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${SINGLE}-??????`,
        strategy: 'mysql-single-user',
        rotationFunction: fn('ops-test-rotation-reporting'),
        restartWorkloads: [],
      },
      {
        name: TOKEN,
        arn: `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${TOKEN}-??????`,
        strategy: 'random',
        rotationFunction: fn('ops-test-rotation-partner-token'),
        restartWorkloads: [],
      },
    ],
  });
  return renderAsl(wf.stateMachine);
}

const WORKLOADS = ['app/deployment/api', 'app/statefulset/worker'];
const KUBE_SETTINGS: KubeSettings = {
  restartWorkloads: WORKLOADS,
  veleroNamespace: 'velero',
  restoreNamespacePrefix: 'restore-check-',
  autoscalerNamespace: 'kube-system',
};
const KUBE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const workload = (kind: 'Deployment' | 'StatefulSet', name: string) => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name, namespace: 'app', generation: 1 },
  spec: {
    ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name, image: `registry.example/${name}:1.0.0` }] },
    },
  },
});

let db: MariaDb;
let kubeApi: KubeApiServer;
let kube: (payload: unknown) => Promise<unknown>;
let sm: FakeSecretsManager;
let capture: ReturnType<typeof captureLogger>;
const asl = build();
const client = new SecretsManagerClient({ region: 'eu-west-1' });
let users = 0;

beforeAll(async () => {
  db = await startMariaDb();
  await db.query('CREATE DATABASE app');
  capture = captureLogger('rotation');
  kubeApi = await startKubeApiServer({
    // The access entry: this function's credentials are the ops-automation group.
    authenticate: eksTokenAuthenticator({ region: 'eu-west-1', accessKeyId: KUBE_CREDENTIALS.accessKeyId }),
    rbac: synthesisedKubeRbac(KUBE_SETTINGS),
  });
  const client = new KubeClient({
    endpoint: kubeApi.url,
    ca: kubeApi.ca,
    token: () =>
      eksToken({ clusterName: 'dev-platform', region: 'eu-west-1', credentials: KUBE_CREDENTIALS }),
  });
  // The kube function's handler, as functions/kube/handler.ts builds it.
  kube = (payload) => runKubeStep(payload, { client, settings: KUBE_SETTINGS, logger: capture.logger });
});
afterAll(async () => {
  capture?.restore();
  await db?.stop();
  await kubeApi?.close();
});
beforeEach(() => {
  sm = new FakeSecretsManager();
  kubeApi.put(workload('Deployment', 'api'));
  kubeApi.put(workload('StatefulSet', 'worker'));
  kubeApi.requests.length = 0;
});
afterEach(() => {
  const material = [...sm.secretMaterial(), db.admin.password];
  sm.restore();
  expect(capture.lines.filter((l) => material.some((m) => l.includes(m)))).toEqual([]);
});

function rotationHandler(strategy: StrategyName, secretId: string): RotationHandler {
  const settings = parseSettings({ ROTATION_STRATEGY: strategy, SECRET_ID: secretId, DB_TLS: 'off' });
  return createRotationHandler({
    store: new SecretStore(client),
    db: new Database({ tls: 'off', connectTimeoutMs: 2000 }),
    strategy: STRATEGY_BY_NAME[strategy],
    settings,
    logger: capture.logger,
  });
}

/** Secrets in the fake + users in MariaDB; each secret's rotation function bound to the real handler. */
async function platform(options: { appRotationEnabled?: boolean } = {}) {
  users += 1;
  const app = {
    username: `app${users}`,
    password: `app-initial-${users}-${Math.random().toString(36).slice(2)}`,
  };
  const rep = {
    username: `rep${users}`,
    password: `rep-initial-${users}-${Math.random().toString(36).slice(2)}`,
  };
  for (const u of [app, rep]) {
    await db.query('CREATE USER ?@? IDENTIFIED BY ?', [u.username, '%', u.password]);
    await db.query('GRANT SELECT ON app.* TO ?@?', [u.username, '%']);
  }
  const base = { engine: 'mysql', host: '127.0.0.1', port: db.port, dbname: 'app' };
  const master = sm.create('dev/rds/master', {
    ...base,
    username: db.admin.username,
    password: db.admin.password,
  });
  sm.create(
    APP,
    { ...base, ...app, masterarn: master },
    { rotationEnabled: options.appRotationEnabled ?? true },
  );
  sm.create(SINGLE, { ...base, ...rep });
  sm.create(TOKEN, { token: 'partner-token-initial-value-000' });
  const functions: Record<string, RotationHandler> = {
    [APP]: rotationHandler('mysql-alternating-users', APP),
    [SINGLE]: rotationHandler('mysql-single-user', SINGLE),
    [TOKEN]: rotationHandler('random', TOKEN),
  };
  // Secrets Manager invokes the function of the secret being rotated.
  sm.rotator = async (event) => {
    const name = Object.keys(functions).find((n) => event.SecretId.includes(`:secret:${n}-`));
    await (functions[name as string] as RotationHandler)(event);
  };
  return { app, rep, functions };
}

/**
 * Step Functions' view of an SDK call on the fake: Java v2 member names (`Arn`, not the JavaScript
 * SDK's `ARN`), JSON dates, errors named `SecretsManager.<Exception>`.
 */
function sdk(action: string, call: (input: Record<string, unknown>) => unknown): TaskHandler {
  return async (input) => {
    try {
      const request = renameForSfn('secretsmanager', action, input, 'request') as Record<string, unknown>;
      const answer = JSON.parse(JSON.stringify(await call(request))) as unknown;
      return renameForSfn('secretsmanager', action, answer, 'response');
    } catch (err) {
      throw awsError(`SecretsManager.${(err as Error).name}`, (err as Error).message);
    }
  };
}

interface Recorded {
  reports: { phase: string; error?: { Error: string; Cause: string } }[];
}
/** The PATCH requests the Kubernetes API stand-in accepted or refused. */
const patches = () => kubeApi.requests.filter((r) => r.method === 'PATCH');

function handlers(
  functions: Record<string, RotationHandler>,
  overrides: Partial<Record<string, TaskHandler>> = {},
): { handlers: Record<string, TaskHandler>; recorded: Recorded } {
  const recorded: Recorded = { reports: [] };
  const report: TaskHandler = (i) => void recorded.reports.push(i as Recorded['reports'][number]);
  const invoke: TaskHandler = (payload) => {
    const secretId = (payload as { secretId: string }).secretId;
    const fn = functions[secretId];
    if (!fn) throw new Error(`no rotation function for ${secretId}`);
    return fn(payload);
  };
  let polls = 0;
  const all: Record<string, TaskHandler> = {
    'Announce start': report,
    'Report result': report,
    'Report failure': report,
    'Report rejection': report,
    'Request approval': () => ({ approved: true }),
    'Read secret': sdk('describeSecret', (i) => sm.describeSecret(i.SecretId as string)),
    'Rotate secret': sdk('rotateSecret', (i) => sm.rotateSecret(i as unknown as RotateSecretCommandInput)),
    'Rotate secret again': sdk('rotateSecret', (i) =>
      sm.rotateSecret(i as unknown as RotateSecretCommandInput),
    ),
    'Recover unfinished rotation': invoke,
    // First poll sees the rotation in flight; later ones after it ended (success or not).
    'Read rotation state': sdk('describeSecret', async (i) => {
      polls += 1;
      if (polls > 1) await sm.settled();
      return sm.describeSecret(i.SecretId as string);
    }),
    'Verify new secret': invoke,
    'Check AWSCURRENT still works': invoke,
    // The real kube function code, reaching the stand-in over HTTPS.
    'Restart workload': (payload) => kube(payload),
  };
  for (const [k, v] of Object.entries(overrides)) if (v) all[k] = v;
  return { handlers: all, recorded };
}

function input(secretId: string, extra: { dryRun?: boolean; restartConsumers?: boolean } = {}) {
  return {
    runbook: 'rotate-secret',
    stage: 'dev',
    mode: 'auto',
    dryRun: extra.dryRun ?? false,
    executionName: `rotate-secret-${Math.random().toString(36).slice(2)}`,
    resourceKey: secretId,
    parameters: { secretId, restartConsumers: extra.restartConsumers ?? true, reason: 'test' },
    trigger: {
      source: 'slack',
      kind: 'slack.command',
      correlationId: 'c1',
      occurredAt: '2026-11-22T20:00:00Z',
      summary: 'test',
      requestedBy: 'U0PLATFORM1',
    },
    reasons: [],
  };
}

type Parsed = { username: string; password: string };

describe('rotate-secret workflow: rotate, wait, verify, restart consumers, report', () => {
  it('rotates an alternating-users database secret, verifies it against the database and restarts its workloads', async () => {
    // Prepare
    const { app, functions } = await platform();
    sm.deferRotation = true;
    const { handlers: h, recorded } = handlers(functions);

    // Act
    const out = await runAsl(asl, input(APP), { handlers: h });

    // Assess
    expect(out.status).toBe('SUCCEEDED');
    const current = sm.parsedAt<Parsed>(APP, 'AWSCURRENT');
    expect(current.username).toBe(`${app.username}_clone`);
    expect(await db.canLogin(current.username, current.password)).toBe(true);
    expect(await db.canLogin(app.username, app.password)).toBe(true);
    expect(out.calls['Read rotation state']).toBe(2);
    expect(out.output).toMatchObject({
      outcome: 'succeeded',
      summary: expect.stringMatching(
        /^Rotated dev\/rds\/app-user: version [0-9a-f-]{36} is AWSCURRENT and works; consumers restarted: yes\.$/,
      ),
      changes: [
        { action: 'rotate-secret', resource: APP },
        { action: 'restart-workload', resource: 'app/deployment/api' },
        { action: 'restart-workload', resource: 'app/statefulset/worker' },
      ],
    });
    expect(
      patches()
        .map((p) => [p.method, p.path, p.contentType, p.status])
        .sort(),
    ).toEqual([
      [
        'PATCH',
        '/apis/apps/v1/namespaces/app/deployments/api?fieldValidation=Strict',
        'application/strategic-merge-patch+json',
        200,
      ],
      [
        'PATCH',
        '/apis/apps/v1/namespaces/app/statefulsets/worker?fieldValidation=Strict',
        'application/strategic-merge-patch+json',
        200,
      ],
    ]);
    for (const path of [
      '/apis/apps/v1/namespaces/app/deployments/api',
      '/apis/apps/v1/namespaces/app/statefulsets/worker',
    ]) {
      const stored = kubeApi.get(path) as {
        spec: { template: { metadata: { annotations?: Record<string, string> } } };
      };
      expect(stored.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
    }
    expect(recorded.reports.map((r) => r.phase)).toEqual(['started', 'succeeded']);
  });

  it('skips the restart when asked to, and for a secret without workloads', async () => {
    const { functions } = await platform();
    const { handlers: h } = handlers(functions);

    const noRestart = await runAsl(asl, input(APP, { restartConsumers: false }), { handlers: h });
    const token = await runAsl(asl, input(TOKEN), { handlers: h });

    expect(noRestart.status).toBe('SUCCEEDED');
    expect(token.status).toBe('SUCCEEDED');
    expect(noRestart.output).toMatchObject({
      summary: expect.stringContaining('consumers restarted: no (not requested'),
    });
    expect(token.output).toMatchObject({
      summary: expect.stringContaining('consumers restarted: no (not requested, or no workloads configured)'),
    });
    expect(kubeApi.requests).toEqual([]);
  });

  it('dry run: reports what would rotate and restart, and calls nothing', async () => {
    // Prepare
    const { functions } = await platform();
    const { handlers: h } = handlers(functions);

    // Act
    const out = await runAsl(asl, input(APP, { dryRun: true }), { handlers: h });

    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output).toMatchObject({
      outcome: 'dry-run',
      summary:
        'Dry run: would rotate dev/rds/app-user through its mysql-alternating-users rotation function, verify AWSCURRENT, then restart 2 workload(s).',
    });
    expect(Object.keys(out.calls).sort()).toEqual(['Announce start', 'Report result']);
    expect(Object.values(sm.stages(APP)).flat()).toEqual(['AWSCURRENT']);
  });

  it('refuses a secret that is not allow-listed before any AWS call', async () => {
    const { functions } = await platform();
    const { handlers: h, recorded } = handlers(functions);

    const out = await runAsl(asl, input('prod/rds/master'), { handlers: h });

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('SecretNotAllowListed');
    expect(out.cause).toBe('prod/rds/master is not in the rotate-secret allow-list of this stage');
    expect(Object.keys(out.calls).sort()).toEqual(['Announce start', 'Report failure']);
    expect(recorded.reports.map((r) => r.phase)).toEqual(['started', 'failed']);
  });

  it('says how to turn rotation on when the secret has none, and changes nothing', async () => {
    const { functions } = await platform({ appRotationEnabled: false });
    const { handlers: h } = handlers(functions);

    const out = await runAsl(asl, input(APP), { handlers: h });

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RotationNotEnabled');
    expect(out.cause).toContain('Turn rotation on (runbooks/rotate-secret/README.md)');
    expect(out.calls['Rotate secret']).toBeUndefined();
  });

  it('finishes a rotation an earlier failure left unfinished, then rotates again', async () => {
    // Prepare: an earlier rotation died after setSecret (the clone already has the pending password)
    const { functions } = await platform();
    const rotator = sm.rotator;
    sm.rotator = async (event) => {
      await rotator?.(event);
      if (event.Step === 'setSecret') throw new Error('injected crash');
    };
    await sm.rotateSecret({ SecretId: APP });
    sm.rotator = rotator;
    const { handlers: h } = handlers(functions);

    // Act
    const out = await runAsl(asl, input(APP), { handlers: h });

    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.path).toEqual(expect.arrayContaining(['Recover unfinished rotation', 'Rotate secret again']));
    const current = sm.parsedAt<Parsed>(APP, 'AWSCURRENT');
    const previous = sm.parsedAt<Parsed>(APP, 'AWSPREVIOUS');
    expect(await db.canLogin(current.username, current.password)).toBe(true);
    expect(await db.canLogin(previous.username, previous.password)).toBe(true);
  });

  it('times out after the bounded polls when the rotation never finishes, and reports that AWSCURRENT still works', async () => {
    // Prepare: the rotation function fails in setSecret every time (master secret rejected)
    const { app, functions } = await platform();
    sm.rotator = async () => {
      throw new Error('setSecret failed: the database rejected the master credentials');
    };
    const { handlers: h, recorded } = handlers(functions);

    // Act
    const out = await runAsl(asl, input(APP), { handlers: h });

    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RotationTimedOut');
    expect(out.calls['Read rotation state']).toBe(MAX_POLLS);
    expect(out.cause).toMatch(
      /^Step Wait for rotation failed \(RotationTimedOut: .*still unfinished after 4 polls/,
    );
    expect(out.cause).toContain('AWSCURRENT still works (checked just now), consumers are unaffected.');
    expect(out.cause).toContain('run rotate-secret again');
    expect(recorded.reports.at(-1)).toMatchObject({ phase: 'failed', error: { Error: 'RotationTimedOut' } });
    expect(sm.parsedAt<Parsed>(APP, 'AWSCURRENT')).toMatchObject(app);
    expect(await db.canLogin(app.username, app.password)).toBe(true);
  });

  it('reports truthfully when AWSCURRENT no longer works (single user, crash between setSecret and finishSecret)', async () => {
    // Prepare: the database already has the pending password; the function dies before finishing
    const { functions } = await platform();
    const rotator = sm.rotator;
    sm.rotator = async (event) => {
      if (event.Step === 'testSecret') throw new Error('function timed out');
      await rotator?.(event);
    };
    const { handlers: h } = handlers(functions);

    // Act
    const out = await runAsl(asl, input(SINGLE), { handlers: h });

    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RotationTimedOut');
    expect(out.cause).toContain('AWSCURRENT DOES NOT WORK');
    expect(out.cause).toContain('follow Recovery in runbooks/rotate-secret/README.md');
  });

  it('a RotateSecret the service refuses fails at "Rotate secret" and says AWSCURRENT still works', async () => {
    const { functions } = await platform();
    const { handlers: h } = handlers(functions, {
      'Rotate secret': () => {
        throw awsError(
          'SecretsManager.AccessDeniedException',
          'not authorised to perform secretsmanager:RotateSecret',
        );
      },
    });

    const out = await runAsl(asl, input(TOKEN), { handlers: h });

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('SecretsManager.AccessDeniedException');
    expect(out.cause).toMatch(
      /^Step Rotate secret failed \(SecretsManager.AccessDeniedException: not authorised/,
    );
    expect(out.cause).toContain('AWSCURRENT still works');
  });

  it('a Kubernetes API answering 503 is retried, and the restart then succeeds', async () => {
    const { functions } = await platform();
    const { handlers: h } = handlers(functions);
    kubeApi.failNext(1, 503);

    const out = await runAsl(asl, input(APP), { handlers: h });

    expect(out.status).toBe('SUCCEEDED');
    expect(out.calls['Restart workload']).toBe(3);
    expect(patches().filter((p) => p.status === 200)).toHaveLength(2);
  });

  it('a failed workload restart is reported at "Restart consumers" with the new AWSCURRENT working', async () => {
    // Prepare: someone deleted the workloads; the API answers 404 (a refusal, not retried)
    const { functions } = await platform();
    const { handlers: h } = handlers(functions);
    kubeApi.remove('/apis/apps/v1/namespaces/app/deployments/api');
    kubeApi.remove('/apis/apps/v1/namespaces/app/statefulsets/worker');

    const out = await runAsl(asl, input(APP), { handlers: h });

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('KubeApiRefused');
    expect(patches()).toEqual([]);
    expect(out.cause).toMatch(
      /^Step Restart consumers failed \(KubeApiRefused: GET \/apis\/apps\/v1\/namespaces\/app\/(deployments\/api|statefulsets\/worker) → 404 NotFound: (deployments.apps "api"|statefulsets.apps "worker") not found\)/,
    );
    expect(out.cause).toMatch(/The rotation itself succeeded: AWSCURRENT is version [0-9a-f-]{36} and works/);
    expect(out.cause).toContain('kubectl -n <namespace> rollout restart <kind>/<name>');
    expect(out.cause).toContain('app/deployment/api');
    expect(sm.parsedAt<Parsed>(APP, 'AWSCURRENT').username).toMatch(/_clone$/);
  });
});

describe('rotate-secret workflow: definition', () => {
  it('restarts through the in-VPC kube function, never eks:call (the clusters have private endpoints)', () => {
    const states = allStates(asl);
    expect(states.filter(([, st]) => (st.Resource ?? '').includes(':eks:'))).toEqual([]);
    const restart = states.find(([n]) => n === 'Restart workload')?.[1] as
      | { Resource?: string; Parameters?: { FunctionName?: string; Payload?: Record<string, unknown> } }
      | undefined;
    expect(restart?.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(restart?.Parameters?.FunctionName).toBe(
      'arn:aws:lambda:eu-west-1:111111111111:function:ops-test-kube',
    );
    expect(restart?.Parameters?.Payload).toMatchObject({
      step: 'restart-workload',
      'workload.$': '$.workload',
    });
  });

  it('retries and catches every task (inside the restart Map, the Map catches)', () => {
    expectResilientJsonPath(asl, { caughtByParent: ['Restart workload'] });
    expect(asl.States['Restart each workload']?.Catch?.length ?? 0).toBeGreaterThan(0);
  });
});
