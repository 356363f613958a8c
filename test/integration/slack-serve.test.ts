import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Serving, startServe } from '../../bin/commands/serve.js';
import { loadStage } from '../../config/index.js';
import { ESCAPE } from '../support/ops-cli.js';
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
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGTERM');
  });

  /** Starts `ops serve --port 0 --offline …`; resolves once `ready` matches what it printed so far. */
  function startCli(extra: string[], ready: RegExp) {
    const child = spawn(process.execPath, ['bin/ops.mjs', 'serve', '--port', '0', '--offline', ...extra], {
      env: { ...process.env, SLACK_SIGNING_SECRET: SIGNING_SECRET, NO_COLOR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const output = { text: '' };
    const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
    child.stdout?.on('data', (d: Buffer) => {
      output.text += d.toString();
      for (const w of [...waiters]) {
        const m = w.re.exec(output.text);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    const waitFor = (re: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const m = re.exec(output.text);
        if (m) return resolve(m);
        waiters.push({ re, resolve });
        child.once('exit', (code) => reject(new Error(`ops serve exited with ${code}: ${output.text}`)));
      });
    return { output, waitFor, url: waitFor(ready).then((m) => m[1] as string) };
  }

  it('`ops serve --port 0 --offline` answers a signed request and prints it, its answer and each run', async () => {
    // Prepare
    const cli = startCli([], /at (http:\/\/127\.0\.0\.1:\d+\/slack\/events)/);
    const url = await cli.url;
    const help = slashCommand('help', PLATFORM_1, slack.responseUrl());
    const run = slashCommand(
      'run snapshot-volume volumeId=vol-0123456789abcdef0',
      PLATFORM_1,
      slack.responseUrl('cli-run'),
    );

    // Act
    const res = await fetch(url, { method: 'POST', headers: signedHeaders(help, Date.now()), body: help });
    await fetch(url, { method: 'POST', headers: signedHeaders(run, Date.now()), body: run });
    await cli.waitFor(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d  ${PLATFORM_1}  /ops run snapshot-volume volumeId=vol-0123456789abcdef0  done in \\d+ ms$`,
        'm',
      ),
    );

    // Assess
    expect(res.status).toBe(200);
    expect(((await res.json()) as { text: string }).text).toContain('*Ops automation* for *dev*');
    const lines = cli.output.text.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${PLATFORM_1}  /ops help  HTTP 200$`)),
        expect.stringMatching(/^ {4}\*Ops automation\* for \*dev\*/),
        expect.stringMatching(/^\d\d:\d\d:\d\d {2}→ response_url$/),
        expect.stringMatching(/^ {4}.*Would start `snapshot-volume-[0-9a-f]{12}-.*nothing was started/),
      ]),
    );
    expect(cli.output.text).not.toMatch(ESCAPE);
  });

  it('--json prints one JSON object per line: listening, each request, message and run', async () => {
    // Prepare
    const cli = startCli(['--json'], /"url":"(http:\/\/127\.0\.0\.1:\d+\/slack\/events)"/);
    const url = await cli.url;
    const body = slashCommand(
      'run snapshot-volume volumeId=vol-0123456789abcdef0',
      PLATFORM_1,
      slack.responseUrl(),
    );

    // Act
    await fetch(url, { method: 'POST', headers: signedHeaders(body, Date.now()), body });
    await cli.waitFor(/"type":"run"/);

    // Assess
    const events = cli.output.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    expect(events[0]).toMatchObject({ type: 'listening', stage: 'dev', mode: 'offline' });
    expect(events.find((e) => e.type === 'request')).toMatchObject({
      user: PLATFORM_1,
      command: '/ops run snapshot-volume volumeId=vol-0123456789abcdef0',
      status: 200,
    });
    expect(events.filter((e) => e.type === 'message').map((e) => e.via)).toContain('response_url');
    expect(events.find((e) => e.type === 'run')).toMatchObject({
      job: '/ops run snapshot-volume volumeId=vol-0123456789abcdef0',
      result: 'ok',
    });
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
