import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Serving, startServe } from '../../bin/commands/serve.js';
import { loadStage } from '../../config/index.js';
import { type SlackApiServer, startSlackApiServer } from '../support/slack-api-server.js';
import { PLATFORM_1, SIGNING_SECRET, signedHeaders, silentLogger, slashCommand } from './slack-harness.js';

/** `ops serve` without AWS: the same endpoint core, answering help, list and plan, and what run would do. */

let slack: SlackApiServer;
let serving: Serving;
beforeAll(async () => {
  slack = await startSlackApiServer();
  serving = await startServe({
    stage: loadStage('dev'),
    signingSecret: SIGNING_SECRET,
    aws: false,
    slackApiUrl: slack.apiUrl,
    responseUrlOrigins: [slack.origin],
    logger: silentLogger,
  });
});
afterAll(async () => {
  await serving.server.close();
  await slack.stop();
});

async function send(text: string, responseUrl = slack.responseUrl()) {
  const body = slashCommand(text, PLATFORM_1, responseUrl);
  const res = await fetch(serving.server.url, {
    method: 'POST',
    headers: signedHeaders(body, Date.now()),
    body,
  });
  await serving.idle();
  return { status: res.status, text: ((await res.json()) as { text?: string }).text ?? '' };
}

describe('ops serve: the Slack endpoint on a developer machine, without AWS', () => {
  it('runs offline and answers help and list at once', async () => {
    const help = await send('help');
    const list = await send('list');

    expect(serving.mode).toBe('offline');
    expect(help.text).toContain('/ops plan <runbook> key=value');
    expect(list.text).toContain('`verify-backups`');
  });

  it('answers plan with the intake decision', async () => {
    const url = slack.responseUrl('serve-plan');

    await send('plan update-dns zoneName=dev.example.com recordName=app.dev.example.com', url);

    const answer = slack.calls.find((c) => c.path === '/respond/serve-plan');
    expect(String(answer?.body.text)).toMatch(/would start `update-dns-[0-9a-f]{12}-/);
  });

  it('answers run with what it would do, starting nothing', async () => {
    const url = slack.responseUrl('serve-run');

    await send('run snapshot-volume volumeId=vol-0123456789abcdef0', url);

    const answer = slack.calls.find((c) => c.path === '/respond/serve-run');
    expect(String(answer?.body.text)).toMatch(
      /Would start `snapshot-volume-[0-9a-f]{12}-.*nothing was started/,
    );
  });

  it('verifies signatures like the Lambda: a bad one gets 401', async () => {
    const body = slashCommand('help', PLATFORM_1, slack.responseUrl());

    const res = await fetch(serving.server.url, {
      method: 'POST',
      headers: signedHeaders(body, Date.now(), 'some-other-secret'),
      body,
    });

    expect(res.status).toBe(401);
  });
});

describe('ops serve: the command line', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('`ops serve --port 0 --offline` listens and answers a signed request', async () => {
    // Prepare
    child = spawn(process.execPath, ['bin/ops.mjs', 'serve', '--port', '0', '--offline'], {
      env: { ...process.env, SLACK_SIGNING_SECRET: SIGNING_SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/slack\/events)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child?.once('exit', (code) => reject(new Error(`ops serve exited with ${code}: ${out}`)));
    });
    const body = slashCommand('help', PLATFORM_1, slack.responseUrl());

    // Act
    const res = await fetch(url, { method: 'POST', headers: signedHeaders(body, Date.now()), body });

    // Assess
    expect(res.status).toBe(200);
    expect(((await res.json()) as { text: string }).text).toContain('*Ops automation* for *dev*');
  });

  it('refuses to start without SLACK_SIGNING_SECRET', async () => {
    const { SLACK_SIGNING_SECRET: _s, ...env } = process.env;
    const proc = spawn(process.execPath, ['bin/ops.mjs', 'serve', '--offline'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });

    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));

    expect(code).toBe(2);
    expect(err).toContain('set SLACK_SIGNING_SECRET');
  });
});
