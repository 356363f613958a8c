import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../functions/approval/messages.js';
import { UserGroupResolver } from '../../functions/slack/authz.js';
import { startEndpointServer } from '../../functions/slack/local-server.js';
import { SlackAuthError, verifySignedRequest } from '../../functions/slack/verify.js';
import {
  buttonClick,
  CHANNEL,
  type Harness,
  killSwitchParameter,
  ONCALL,
  PLATFORM_1,
  PLATFORM_2,
  STRANGER,
  signedHeaders,
  silentLogger,
  slashCommand,
  startHarness,
} from './slack-harness.js';

/** A volume no earlier test touched: the intake's lock and de-duplication are per resource. */
const freshVolume = () => `vol-0${randomBytes(8).toString('hex')}`;
const runSnapshot = (volume = freshVolume()) =>
  `run snapshot-volume volumeId=${volume} reason="disk filling up"`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});
beforeEach(() => {
  h.now = Date.now();
  h.sfn.reset();
  h.sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  h.flags.clear();
  h.jobs.length = 0;
  h.slack.calls.length = 0;
});
afterEach(async () => {
  await h.settled();
});

/** The input the worker gave Step Functions for its one StartExecution. */
function startedInput(): Record<string, unknown> {
  const calls = h.sfn.commandCalls(StartExecutionCommand);
  expect(calls).toHaveLength(1);
  return JSON.parse(calls[0]?.args[0].input.input ?? '{}') as Record<string, unknown>;
}

describe('Slack endpoint: request verification', () => {
  it('accepts a validly signed slash command and starts the run through the intake', async () => {
    // Prepare
    const volume = freshVolume();
    const body = slashCommand(runSnapshot(volume), PLATFORM_1, h.slack.responseUrl());

    // Act
    const res = await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    // Assess
    expect(res.status).toBe(200);
    expect(String(res.body.text)).toContain('Checking and starting `snapshot-volume`');
    const input = startedInput();
    expect(input).toMatchObject({
      runbook: 'snapshot-volume',
      stage: 'dev',
      parameters: { volumeId: volume, reason: 'disk filling up' },
      dryRun: false,
      trigger: { source: 'slack', requestedBy: PLATFORM_1, slack: { channel: CHANNEL } },
    });
    expect(JSON.stringify(input)).not.toContain('/respond/');
  });

  const cases: [string, (body: string) => { body: string; headers: Record<string, string> }][] = [
    [
      'a tampered body',
      (body) => ({
        body: body.replace(`user_id=${PLATFORM_1}`, `user_id=${PLATFORM_2}`),
        headers: signedHeaders(body, h.now),
      }),
    ],
    [
      'a signature made with the wrong secret',
      (body) => ({ body, headers: signedHeaders(body, h.now, 'not-the-signing-secret') }),
    ],
    [
      'a missing signature header',
      (body) => {
        const { 'x-slack-signature': _s, ...headers } = signedHeaders(body, h.now);
        return { body, headers };
      },
    ],
    [
      'a missing timestamp header',
      (body) => {
        const { 'x-slack-request-timestamp': _t, ...headers } = signedHeaders(body, h.now);
        return { body, headers };
      },
    ],
    [
      'a timestamp older than five minutes',
      (body) => ({ body, headers: signedHeaders(body, h.now - 301_000) }),
    ],
    [
      'a timestamp more than five minutes ahead',
      (body) => ({ body, headers: signedHeaders(body, h.now + 301_000) }),
    ],
  ];

  it.each(cases)('refuses %s with 401 and starts nothing', async (_name, make) => {
    // Prepare
    const { body, headers } = make(slashCommand(runSnapshot(), PLATFORM_1, h.slack.responseUrl()));

    // Act
    const res = await h.post(body, headers);
    await h.settled();

    // Assess
    expect(res.status).toBe(401);
    expect(h.jobs).toEqual([]);
    expect(h.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(h.slack.calls).toEqual([]);
  });

  it('refuses a replayed request (same signature, still inside the window) with 401 and starts nothing more', async () => {
    // Prepare
    const body = slashCommand(runSnapshot(), PLATFORM_1, h.slack.responseUrl());
    const headers = signedHeaders(body, h.now);
    const first = await h.post(body, headers);
    await h.settled();
    h.now += 60_000;

    // Act
    const replay = await h.post(body, headers);
    await h.settled();

    // Assess
    expect(first.status).toBe(200);
    expect(replay.status).toBe(401);
    expect(h.jobs).toHaveLength(1);
    expect(h.sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it("verifies Slack's published signing example with the clock pinned to its timestamp", async () => {
    // Prepare
    const sample = JSON.parse(readFileSync('events/samples/slack/signing-example.json', 'utf8')) as {
      signingSecret: string;
      timestamp: string;
      body: string;
      signature: string;
    };
    const pinned = Number(sample.timestamp) * 1000 + 30_000;
    const server = await startEndpointServer({
      ...h.endpointDeps,
      signingSecret: async () => sample.signingSecret,
      nowMs: () => pinned,
    });
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': sample.timestamp,
      'x-slack-signature': sample.signature,
    };

    try {
      // Act
      const direct = verifySignedRequest(
        { rawBody: sample.body, signature: sample.signature, timestamp: sample.timestamp },
        sample.signingSecret,
        pinned,
      );
      const overHttp = await fetch(server.url, { method: 'POST', headers, body: sample.body });
      const tampered = await fetch(server.url, { method: 'POST', headers, body: `${sample.body}&x=1` });

      // Assess
      expect(direct).toEqual({ signature: sample.signature, timestampSeconds: 1531420618 });
      // Its text is empty, so the verified request is answered with help.
      expect(overHttp.status).toBe(200);
      expect(((await overHttp.json()) as { text: string }).text).toContain('/ops run');
      expect(tampered.status).toBe(401);
      expect(() =>
        verifySignedRequest(
          { rawBody: sample.body, signature: sample.signature, timestamp: sample.timestamp },
          sample.signingSecret,
          pinned + 10 * 60_000,
        ),
      ).toThrow(SlackAuthError);
    } finally {
      await server.close();
    }
  });
});

describe("Slack endpoint: Slack's own sample payloads", () => {
  it('parses the documented slash command body; its user is not configured here, so it is refused clearly', async () => {
    const body = readFileSync('events/samples/slack/slash-command-body.txt', 'utf8').trim();

    const res = await h.post(body, signedHeaders(body, h.now));

    expect(res.status).toBe(200);
    expect(res.body.text).toBe(
      '<@U2147483697> is not set up for ops automation in *dev*. Ask the platform team to add you (automation.slack.users or a user group).',
    );
    expect(h.jobs).toEqual([]);
  });

  it('acknowledges the documented block_actions payload and ignores its unknown button', async () => {
    const payload = readFileSync('events/samples/slack/block-actions-payload.json', 'utf8');
    const body = new URLSearchParams({ payload }).toString();

    const res = await h.post(body, signedHeaders(body, h.now));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(h.jobs).toEqual([]);
  });
});

describe('Slack endpoint: authorisation', () => {
  it('lets a configured user run any runbook and records them as the requester', async () => {
    const body = slashCommand(
      'run rotate-secret secretId=dev/api/partner-token',
      PLATFORM_1,
      h.slack.responseUrl(),
    );

    const res = await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(res.status).toBe(200);
    expect(startedInput()).toMatchObject({ runbook: 'rotate-secret', trigger: { requestedBy: PLATFORM_1 } });
  });

  it('lets a member of a configured user group run what the group may run', async () => {
    const body = slashCommand(runSnapshot(), ONCALL, h.slack.responseUrl());

    const res = await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(res.status).toBe(200);
    expect(h.stage.automation.slack.users).not.toHaveProperty(ONCALL);
    expect(startedInput()).toMatchObject({ runbook: 'snapshot-volume', trigger: { requestedBy: ONCALL } });
  });

  it('reads group membership from Slack (usergroups.users.list), cached, and fails closed when Slack errs', async () => {
    let clock = 0;
    const resolver = new UserGroupResolver(h.slackApi, silentLogger, 60_000, () => clock);

    const first = await resolver.groupsOf(ONCALL, ['S0ONCALL01']);
    const cached = await resolver.groupsOf(ONCALL, ['S0ONCALL01']);
    clock += 60_001;
    h.slack.failNext('usergroups.users.list', 'missing_scope');
    const failed = await resolver.groupsOf(ONCALL, ['S0ONCALL01']);

    expect(first).toEqual(['S0ONCALL01']);
    expect(cached).toEqual(['S0ONCALL01']);
    expect(failed).toEqual([]);
    expect(h.slack.callsOf('usergroups.users.list').map((c) => c.body.usergroup)).toEqual([
      'S0ONCALL01',
      'S0ONCALL01',
    ]);
    expect(h.slack.callsOf('usergroups.users.list')[0]?.authorization).toBe('Bearer xoxb-test-bot-token');
  });

  it('refuses a group member a runbook their group may not run, saying so, and starts nothing', async () => {
    const body = slashCommand(
      'run rotate-secret secretId=dev/api/partner-token',
      ONCALL,
      h.slack.responseUrl(),
    );

    const res = await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(res.status).toBe(200);
    expect(res.body.text).toBe(`<@${ONCALL}> may not run \`rotate-secret\` in *dev*.`);
    expect(h.jobs).toEqual([]);
    expect(h.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('refuses an unknown user clearly, for every command but help', async () => {
    const run = slashCommand(runSnapshot(), STRANGER, h.slack.responseUrl());
    const list = slashCommand('list', STRANGER, h.slack.responseUrl());

    const ran = await h.post(run, signedHeaders(run, h.now));
    const listed = await h.post(list, signedHeaders(list, h.now));
    await h.settled();

    for (const res of [ran, listed]) {
      expect(res.status).toBe(200);
      expect(String(res.body.text)).toContain(`<@${STRANGER}> is not set up for ops automation in *dev*`);
    }
    expect(h.jobs).toEqual([]);
    expect(h.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('Slack endpoint: commands', () => {
  it('answers bad parameters with the field, the reason and the usage, and starts nothing', async () => {
    const body = slashCommand('run snapshot-volume volumeId=disk-1', PLATFORM_1, h.slack.responseUrl());

    const res = await h.post(body, signedHeaders(body, h.now));

    const text = String(res.body.text);
    expect(text).toContain('Invalid parameters for `snapshot-volume`');
    expect(text).toContain('`volumeId`: an EBS volume id looks like vol-0123456789abcdef0');
    expect(text).toContain('Usage: `/ops run snapshot-volume');
    expect(h.jobs).toEqual([]);
  });

  it('coerces typed values (numbers) before the schema sees them', async () => {
    const body = slashCommand(
      'run scale-node-group cluster=dev-platform nodegroup=dev-platform-a increaseBy=2',
      PLATFORM_1,
      h.slack.responseUrl(),
    );

    await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(startedInput()).toMatchObject({
      parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-a', increaseBy: 2 },
    });
  });

  it('lists the runbooks with their mode and usage', async () => {
    const body = slashCommand('list', PLATFORM_1, h.slack.responseUrl());

    const res = await h.post(body, signedHeaders(body, h.now));

    const text = String(res.body.text);
    for (const name of [
      'snapshot-volume',
      'scale-node-group',
      'update-dns',
      'rotate-secret',
      'verify-backups',
    ])
      expect(text).toContain(`\`${name}\``);
    expect(text).toContain('Usage: `/ops run update-dns zoneName=<string> recordName=<string>');
  });

  it('plans without changing anything: the plan arrives through response_url', async () => {
    const responseUrl = h.slack.responseUrl('plan');
    const body = slashCommand(`plan snapshot-volume volumeId=${freshVolume()}`, PLATFORM_1, responseUrl);

    const res = await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(res.body.text).toContain('Planning `snapshot-volume`');
    const [answer] = h.slack.callsOf('response_url');
    expect(answer?.path).toBe('/respond/plan');
    expect(String(answer?.body.text)).toMatch(/would start `snapshot-volume-[0-9a-f]{12}-/);
    expect(h.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('runs with --dry-run as a dry run', async () => {
    const body = slashCommand(`${runSnapshot()} --dry-run`, PLATFORM_2, h.slack.responseUrl());

    await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(startedInput()).toMatchObject({ runbook: 'snapshot-volume', dryRun: true });
  });

  it('goes through the intake guards: with the kill switch on, nothing starts and the thread says why', async () => {
    h.flags.set(killSwitchParameter('dev'), 'on');
    const body = slashCommand('run verify-backups', PLATFORM_1, h.slack.responseUrl());

    await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(h.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    const [announce, reply] = h.slack.callsOf('chat.postMessage');
    expect(announce?.body).toMatchObject({
      channel: CHANNEL,
      text: `<@${PLATFORM_1}> ran \`/ops run verify-backups\``,
    });
    expect(reply?.body.thread_ts).toBeDefined();
    expect(String(reply?.body.text)).toMatch(/Not started .*kill switch/i);
  });
});

describe('Slack endpoint: acknowledgement within three seconds', () => {
  it('answers before the work is done: the run starts only after the acknowledgement', async () => {
    // Prepare: the worker is held before it begins, as a slow Step Functions call would hold it.
    const release = h.holdWorker();
    const body = slashCommand(runSnapshot(), PLATFORM_1, h.slack.responseUrl());

    // Act
    const res = await h.post(body, signedHeaders(body, h.now));
    const startedAtAck = h.sfn.commandCalls(StartExecutionCommand).length;
    release();
    await h.settled();

    // Assess
    expect(res.status).toBe(200);
    expect(h.jobs).toHaveLength(1);
    expect(startedAtAck).toBe(0);
    expect(h.sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(h.slack.callsOf('chat.postMessage').map((c) => c.body.channel)).toEqual([CHANNEL, CHANNEL]);
  });
});

describe('Slack endpoint: status and revert', () => {
  const execution = 'scale-node-group-0123456789ab-20261122T2000Z';
  const executionArn = `arn:aws:states:eu-west-1:111111111111:execution:ops-dev-scale-node-group:${execution}`;
  const finished = {
    executionArn,
    status: 'SUCCEEDED' as const,
    startDate: new Date('2026-11-22T20:00:05Z'),
    stopDate: new Date('2026-11-22T20:03:00Z'),
    input: JSON.stringify({
      runbook: 'scale-node-group',
      parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-c', reason: 'at max' },
    }),
    output: JSON.stringify({
      outcome: 'succeeded',
      summary: 'dev-platform-a max 4 → 6',
      changes: [
        { action: 'UpdateNodegroupConfig', resource: 'dev-platform/dev-platform-a', before: { maxSize: 4 } },
      ],
      revert: { maxSize: 4, desiredSize: 3 },
    }),
  };

  it('reports where a run is', async () => {
    h.sfn.on(DescribeExecutionCommand, { executionArn }).resolves(finished);
    const url = h.slack.responseUrl('status');
    const body = slashCommand(`status ${execution}`, ONCALL, url);

    const res = await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(res.body.text).toContain(`Looking up \`${execution}\``);
    const text = String(h.slack.callsOf('response_url')[0]?.body.text);
    expect(text).toContain('SUCCEEDED');
    expect(text).toContain('dev-platform-a max 4 → 6');
  });

  it('reverts a finished run through the intake with the state the run recorded, requested by the user', async () => {
    h.sfn.on(DescribeExecutionCommand, { executionArn }).resolves(finished);
    const body = slashCommand(`revert ${execution}`, PLATFORM_1, h.slack.responseUrl());

    await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(startedInput()).toMatchObject({
      runbook: 'scale-node-group',
      parameters: {
        cluster: 'dev-platform',
        nodegroup: 'dev-platform-c',
        revertOf: execution,
        restore: { maxSize: 4, desiredSize: 3 },
      },
      trigger: { kind: 'slack.command', requestedBy: PLATFORM_1 },
    });
  });

  it('takes `/ops run <runbook> revertOf=<execution>` (as run reports suggest) as the same revert', async () => {
    // Another node group than the revert above: that revert holds its resource's lock and window.
    const input = finished.input.replace('dev-platform-c', 'dev-platform-d');
    h.sfn.on(DescribeExecutionCommand, { executionArn }).resolves({ ...finished, input });
    const body = slashCommand(
      `run scale-node-group revertOf=${execution}`,
      PLATFORM_1,
      h.slack.responseUrl(),
    );

    const res = await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(res.body.text).toContain(`Preparing the revert of \`${execution}\``);
    expect(startedInput()).toMatchObject({
      parameters: {
        nodegroup: 'dev-platform-d',
        revertOf: execution,
        restore: { maxSize: 4, desiredSize: 3 },
      },
    });
  });

  it('refuses a revert by someone who may not run that runbook, and starts nothing', async () => {
    h.sfn.on(DescribeExecutionCommand).resolves({
      ...finished,
      executionArn: executionArn.replace(/scale-node-group/g, 'update-dns'),
    });
    const url = h.slack.responseUrl('revert-refused');
    const body = slashCommand(`revert ${execution.replace('scale-node-group', 'update-dns')}`, ONCALL, url);

    await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(h.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(h.slack.callsOf('response_url')[0]?.body.text).toBe(
      `<@${ONCALL}> may not run \`update-dns\` in *dev*.`,
    );
  });

  it("reverts from the run report's Revert button (action ops-revert, value = execution name)", async () => {
    const input = finished.input.replace('dev-platform-c', 'dev-platform-e');
    h.sfn.on(DescribeExecutionCommand, { executionArn }).resolves({ ...finished, input });
    const body = buttonClick(
      ACTION.revert,
      execution,
      PLATFORM_2,
      h.slack.responseUrl(),
      '1700000000.000200',
    );

    const res = await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(res.status).toBe(200);
    expect(startedInput()).toMatchObject({
      parameters: { nodegroup: 'dev-platform-e', revertOf: execution },
      trigger: { requestedBy: PLATFORM_2 },
    });
  });

  it('says when an execution does not exist', async () => {
    h.sfn
      .on(DescribeExecutionCommand)
      .rejects(Object.assign(new Error('nope'), { name: 'ExecutionDoesNotExist' }));
    const body = slashCommand(`status ${execution}`, PLATFORM_1, h.slack.responseUrl());

    await h.post(body, signedHeaders(body, h.now));
    await h.settled();

    expect(h.slack.callsOf('response_url')[0]?.body.text).toBe(
      `:grey_question: No execution \`${execution}\` in *dev*.`,
    );
  });
});

describe('Slack endpoint: signed requests that are not what Slack sends', () => {
  /** A slash command form as Slack documents it, with some fields changed or removed. */
  const form = (changes: Record<string, string | undefined>) => {
    const fields = new URLSearchParams(slashCommand('help', PLATFORM_1, h.slack.responseUrl()));
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) fields.delete(key);
      else fields.set(key, value);
    }
    return fields.toString();
  };
  /** A block_actions payload (an approve button) with some fields changed. */
  const click = (changes: Record<string, unknown>) => {
    const payload = JSON.parse(
      new URLSearchParams(buttonClick(ACTION.approve, 'approval-1', PLATFORM_1, h.slack.responseUrl())).get(
        'payload',
      ) as string,
    ) as Record<string, unknown>;
    return new URLSearchParams({ payload: JSON.stringify({ ...payload, ...changes }) }).toString();
  };

  it.each([
    ['without a user', { user_id: undefined }],
    ['with a user id Slack never issues', { user_id: 'u0platform1' }],
    ['without a channel', { channel_id: '' }],
    ['with a response_url that is not a URL', { response_url: 'not a url' }],
    ['without a trigger id', { trigger_id: '' }],
    ['without a command', { command: undefined }],
  ])('refuses a slash command %s with 400, and starts nothing', async (_what, changes) => {
    const body = form(changes);

    const res = await h.post(body, signedHeaders(body, h.now));

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'not a slash command or interaction payload' });
    expect(h.jobs).toEqual([]);
  });

  it('reads a slash command without text as an empty one (Slack omits it when nothing was typed)', async () => {
    const body = form({ text: undefined });

    const res = await h.post(body, signedHeaders(body, h.now));

    expect(res.status).toBe(200);
    expect(h.jobs).toEqual([]);
  });

  it.each([
    ['no action', { actions: [] }],
    ['a user id Slack never issues', { user: { id: 'someone' } }],
    ['a response_url that is not a URL', { response_url: 'hooks' }],
    ['another interaction type', { type: 'view_submission' }],
  ])('acknowledges and ignores a button payload with %s', async (_what, changes) => {
    const body = click(changes);

    const res = await h.post(body, signedHeaders(body, h.now));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(h.jobs).toEqual([]);
  });

  it('hands the same button, as Slack sends it, to the worker', async () => {
    const body = click({});

    const res = await h.post(body, signedHeaders(body, h.now));

    expect(res.status).toBe(200);
    expect(h.jobs).toHaveLength(1);
  });
});
