import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ESCAPE, RAW_CONTROL, ROOT, runOps } from '../../support/ops-cli.js';

/**
 * `ops` as operators run it (bin/ops.mjs in a child process, no AWS credentials, not a TTY):
 * every command answers --help and --version, refuses bad arguments with exit 2, and prints
 * human output by default and JSON with --json.
 */

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const sample = (name: string) => join(ROOT, 'events/samples', name);
const SECRET_READ = sample('cloudtrail/secretsmanager-getsecretvalue-sso-user.json');
/** Written by hand from runbooks/: what `ops list` must show. */
// Registry order, which is also the order infra builds them in (the order they were first deployed).
const RUNBOOKS = [
  'snapshot-volume',
  'scale-node-group',
  'update-dns',
  'restore-guardrail',
  'rotate-secret',
  'verify-backups',
];

describe.each([
  ['plan', [SECRET_READ]],
  ['list', []],
  ['history', ['vol-0abc1234def567890']],
  ['serve', []],
  ['doctor', []],
])('ops %s: the same command line as every other', (command, args) => {
  it('--help prints usage with --stage and OPS_STAGE, exit 0; --version prints the version, exit 0', async () => {
    // Act
    const [help, version] = await Promise.all([runOps([command, '--help']), runOps([command, '--version'])]);

    // Assess
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(new RegExp(`^Usage: ops ${command} `));
    expect(help.stdout).toContain('--stage <name>');
    expect(help.stdout).toContain('env: OPS_STAGE');
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${VERSION}\n`);
  });

  it('an unknown option and an extra argument are usage errors: exit 2, one line and a hint, nothing on stdout', async () => {
    // Act
    const [unknown, extra] = await Promise.all([
      runOps([command, ...args, '--frobnicate']),
      runOps([command, ...args, 'surplus']),
    ]);

    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.split('\n').filter(Boolean)).toEqual([
      `ops ${command}: unknown option '--frobnicate'`,
      `Run "ops ${command} --help" for usage.`,
    ]);
    expect(extra.code).toBe(2);
    expect(extra.stdout).toBe('');
    expect(extra.stderr).toMatch(new RegExp(`^ops ${command}: too many arguments for '${command}'`));
  });

  it('an unknown stage is a usage error naming the known ones', async () => {
    const out = await runOps([command, ...args, '--stage', 'moon']);

    expect(out.code).toBe(2);
    expect(out.stderr.split('\n')[0]).toBe(
      `ops ${command}: Unknown stage "moon". Known stages: dev, stage, prod, prod-euc1`,
    );
  });
});

describe('ops: the program', () => {
  it('without a command prints the help on stderr with exit 2; an unknown command is exit 2 with a hint; `ops help plan` is `ops plan --help`', async () => {
    const [none, unknown, version, helpPlan, planHelp] = await Promise.all([
      runOps([]),
      runOps(['nope']),
      runOps(['--version']),
      runOps(['help', 'plan']),
      runOps(['plan', '--help']),
    ]);

    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: ops [options] [command]');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n').filter(Boolean)).toEqual([
      "ops: unknown command 'nope'",
      'Run "ops --help" for usage.',
    ]);
    expect(version.stdout).toBe(`${VERSION}\n`);
    expect(helpPlan.code).toBe(0);
    expect(helpPlan.stdout).toBe(planHelp.stdout);
  });

  it('runs the pre-built dist/ops.mjs without a notice; OPS_FROM_SOURCE runs the TypeScript, same answer', async () => {
    const [built, source] = await Promise.all([
      runOps(['list', '--json']),
      runOps(['list', '--json'], { env: { OPS_FROM_SOURCE: '1' } }),
    ]);

    expect(built.stderr).toBe('');
    expect(source.stderr).toBe('');
    expect(JSON.parse(source.stdout)).toEqual(JSON.parse(built.stdout));
  });
});

describe('ops plan: human summary and --json', () => {
  it('prints the signal, the decision and every guard verdict as an aligned table, with no escape codes', async () => {
    // Act
    const out = await runOps(['plan', SECRET_READ]);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).not.toMatch(ESCAPE);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toContain('Signal     cloudtrail.api-call from cloudtrail, severity info');
    expect(lines).toContain('Decision   START rotate-secret (auto)');
    expect(lines.find((l) => l.startsWith('Execution'))).toMatch(
      /^Execution {2}rotate-secret-[0-9a-f]{12}-\d{8}T\d{4}Z$/,
    );
    const header = lines.findIndex((l) => /^GUARD\s+VERDICT\s+DETAIL$/.test(l));
    expect(header).toBeGreaterThan(0);
    const verdictColumn = (lines[header] as string).indexOf('VERDICT');
    const guards = lines.slice(header + 1);
    expect(guards.map((l) => l.split(/\s+/)[0])).toEqual(
      expect.arrayContaining(['loop-protection', 'policy', 'allow-list', 'dry-run', 'mode']),
    );
    for (const row of guards) expect(row.slice(verdictColumn, verdictColumn + 4)).toBe('pass');
  });

  it('--json prints { signal, decision } for machines, and reads the event from stdin with -', async () => {
    // Act
    const [file, stdin] = await Promise.all([
      runOps(['plan', SECRET_READ, '--json']),
      runOps(['plan', '-', '--json'], { stdin: readFileSync(SECRET_READ, 'utf8') }),
    ]);

    // Assess
    expect(file.code).toBe(0);
    const json = JSON.parse(file.stdout);
    expect(json.decision).toMatchObject({
      action: 'start',
      runbook: 'rotate-secret',
      parameters: { secretId: 'dev/rds/app-user' },
    });
    expect(stdin.code).toBe(0);
    expect(JSON.parse(stdin.stdout)).toEqual(json);
  });

  it('OPS_STAGE chooses the stage like --stage, and --stage wins over it', async () => {
    const [env, both] = await Promise.all([
      runOps(['plan', SECRET_READ, '--json'], { env: { OPS_STAGE: 'prod' } }),
      runOps(['plan', SECRET_READ, '--json', '--stage', 'dev'], { env: { OPS_STAGE: 'prod' } }),
    ]);

    // dev/rds/app-user is one of dev's secrets, not prod's.
    expect(JSON.parse(env.stdout).decision.action).toBe('reject');
    expect(JSON.parse(both.stdout).decision.action).toBe('start');
  });

  it('echoes no raw control character from the input, in either output', async () => {
    // Prepare: a secret name carrying a terminal title change, a screen clear, a C1 CSI and a bidi override
    const event = JSON.parse(readFileSync(SECRET_READ, 'utf8'));
    const hostile = 'dev/rds/app-user\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eevil';
    event.detail.requestParameters.secretId = `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${hostile}-Xy12Ab`;
    const text = JSON.stringify(event);

    // Act
    const [human, json] = await Promise.all([
      runOps(['plan', '-'], { stdin: text }),
      runOps(['plan', '-', '--json'], { stdin: text }),
    ]);

    // Assess
    expect(human.code).toBe(0);
    expect(human.stdout).not.toMatch(RAW_CONTROL);
    expect(human.stdout).toContain('dev/rds/app-user\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eevil');
    expect(json.code).toBe(0);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    // Still the same JSON value: the escapes decode back to the original text.
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify(hostile).slice(1, -1));
  });

  it('unreadable input and an unrecognised event fail with exit 1 and one line', async () => {
    const [missing, notJson] = await Promise.all([
      runOps(['plan', '/nonexistent/event.json']),
      runOps(['plan', '-'], { stdin: '{"detail-type": ' }),
    ]);

    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^ops plan: cannot read \/nonexistent\/event\.json: ENOENT[^\n]*\n$/);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^ops plan: stdin: not JSON: [^\n]*\n$/);
  });
});

describe('ops list: table and --json', () => {
  it('prints an aligned table with a header, one row per runbook and one per further trigger', async () => {
    // Act
    const out = await runOps(['list']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stdout).not.toMatch(ESCAPE);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUNBOOK\s+MODE \(dev\)\s+CHANGES\s+TRIGGERED BY$/);
    const triggerColumn = (lines[0] as string).indexOf('TRIGGERED BY');
    const rows = lines.slice(1).filter((l) => !l.startsWith(' '));
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(RUNBOOKS);
    for (const line of lines.slice(1)) {
      expect(line.slice(0, triggerColumn)).toMatch(/ {2}$/);
      expect(line[triggerColumn]).toMatch(/\S/);
    }
    expect(rows.find((l) => l.startsWith('verify-backups'))).toMatch(/read-only/);
  });

  it('--json lists every runbook with its mode in the stage', async () => {
    const out = await runOps(['list', '--json', '--stage', 'prod']);

    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout) as { name: string; stage: string; mode: string }[];
    expect(json.map((r) => r.name)).toEqual(RUNBOOKS);
    expect(new Set(json.map((r) => r.stage))).toEqual(new Set(['prod']));
    for (const r of json) expect(['auto', 'approval']).toContain(r.mode);
  });
});

describe('ops on a real terminal', () => {
  /** `ops list` in a pseudo-terminal (util-linux `script`), as a person at a terminal runs it. */
  function inPty(env: Record<string, string>): Promise<string> {
    const command = `${process.execPath} ${join(ROOT, 'bin', 'ops.mjs')} list`;
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', TERM: 'xterm-256color', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', () => resolve(out));
    });
  }

  it('colours the table header on a TTY, and not with NO_COLOR set', async () => {
    const [tty, noColour] = await Promise.all([inPty({}), inPty({ NO_COLOR: '1' })]);

    expect(tty).toContain('\u001b[1mRUNBOOK');
    expect(noColour).toMatch(/^RUNBOOK {2}/);
    expect(noColour).not.toMatch(ESCAPE);
  });
});

describe('ops history, serve: arguments checked before any work', () => {
  it('history refuses a bad --limit and --since with exit 2, and says how to sign in without credentials (exit 1)', async () => {
    const [limit, since, noCreds] = await Promise.all([
      runOps(['history', 'vol-1', '--limit', '0']),
      runOps(['history', 'vol-1', '--since', 'last tuesday']),
      runOps(['history', 'vol-1']),
    ]);

    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('needs a whole number from 1 to 500');
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('needs an ISO-8601 time');
    expect(noCreds.code).toBe(1);
    expect(noCreds.stderr).toBe(
      'ops history: no AWS credentials found: sign in to account 111111111111 (e.g. aws sso login, AWS_PROFILE) to read ops-dev-audit\n',
    );
  });

  it('serve refuses a bad --port and a missing SLACK_SIGNING_SECRET with exit 2', async () => {
    const [port, secret] = await Promise.all([
      runOps(['serve', '--port', '70000', '--offline']),
      runOps(['serve', '--offline']),
    ]);

    expect(port.code).toBe(2);
    expect(port.stderr).toContain('needs a port number from 0 to 65535');
    expect(secret.code).toBe(2);
    expect(secret.stderr.split('\n')[0]).toBe(
      "ops serve: set SLACK_SIGNING_SECRET to the Slack app's signing secret",
    );
  });

  it('doctor without credentials says how to sign in, exit 1', async () => {
    const out = await runOps(['doctor', '--stage', 'prod']);

    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      'ops doctor: no AWS credentials found: sign in to account 333333333333 (e.g. aws sso login, AWS_PROFILE) to check stage prod\n',
    );
  });
});
