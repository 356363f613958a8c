import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorise } from '../../../functions/slack/authz.js';
import { parseCommandText, tokenize, usageOf, validateParameters } from '../../../functions/slack/command.js';
import { findRunbook } from '../../../runbooks/registry.js';
import type { RunbookSpec } from '../../../runbooks/types.js';

const spec = (name: string) => findRunbook(name) as RunbookSpec;

describe('slack command: parsing /ops text', () => {
  it('keeps quoted values together, straight or curly quotes', () => {
    expect(tokenize('run snapshot-volume reason="disk filling up" volumeId=vol-1')).toEqual([
      'run',
      'snapshot-volume',
      'reason=disk filling up',
      'volumeId=vol-1',
    ]);
    expect(tokenize('run x reason=\u201cslack made these curly\u201d')).toEqual([
      'run',
      'x',
      'reason=slack made these curly',
    ]);
  });

  it('reads run with key=value arguments and --dry-run', () => {
    expect(parseCommandText('run update-dns zoneName=dev.example.com --dry-run')).toEqual({
      ok: true,
      command: { verb: 'run', runbook: 'update-dns', args: { zoneName: 'dev.example.com' }, dryRun: true },
    });
  });

  it('treats an empty command as help, and plan as a dry run', () => {
    expect(parseCommandText('')).toEqual({ ok: true, command: { verb: 'help' } });
    expect(parseCommandText('plan verify-backups')).toMatchObject({ ok: true, command: { dryRun: true } });
  });

  it('names what is wrong: unknown verb, unknown runbook, bare word, repeated key, reserved key', () => {
    expect(parseCommandText('deploy prod')).toMatchObject({
      ok: false,
      message: expect.stringContaining('Unknown command `deploy`'),
    });
    expect(parseCommandText('run make-coffee')).toMatchObject({
      ok: false,
      message: expect.stringContaining('Unknown runbook `make-coffee`'),
    });
    expect(parseCommandText('run update-dns example.com')).toMatchObject({
      ok: false,
      message: 'Expected `key=value`, got `example.com`.',
    });
    expect(parseCommandText('run update-dns a=1 a=2')).toMatchObject({
      ok: false,
      message: '`a` is given twice.',
    });
    expect(parseCommandText('run update-dns restore=x')).toMatchObject({
      ok: false,
      message: expect.stringContaining('/ops revert'),
    });
  });

  it('accepts an execution ARN for status and keeps only its name', () => {
    const arn =
      'arn:aws:states:eu-west-1:111111111111:execution:ops-dev-update-dns:update-dns-0123456789ab-20261122T2000Z';
    expect(parseCommandText(`status ${arn}`)).toEqual({
      ok: true,
      command: { verb: 'status', execution: 'update-dns-0123456789ab-20261122T2000Z' },
    });
  });

  it('never throws, whatever is typed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const out = parseCommandText(text);
        expect(typeof out.ok).toBe('boolean');
      }),
    );
  });
});

describe('slack command: parameters through the runbook schema', () => {
  it('coerces numbers, booleans and lists to what the schema expects', () => {
    expect(
      validateParameters(spec('scale-node-group'), { cluster: 'dev-platform', increaseBy: '2' }),
    ).toMatchObject({
      ok: true,
      parameters: { cluster: 'dev-platform', increaseBy: 2 },
    });
    expect(
      validateParameters(spec('verify-backups'), { scope: 'ebs,rds', restoreTests: 'no' }),
    ).toMatchObject({
      ok: true,
      parameters: { scope: ['ebs', 'rds'], restoreTests: false },
    });
  });

  it('answers an invalid value with the field, the reason and the usage line', () => {
    const out = validateParameters(spec('scale-node-group'), { cluster: 'dev-platform', increaseBy: 'lots' });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.message).toContain('`increaseBy`');
    expect(out.message).toContain(usageOf(spec('scale-node-group')));
  });

  it('refuses parameters the runbook does not have', () => {
    const out = validateParameters(spec('rotate-secret'), {
      secretId: 'dev/api/partner-token',
      force: 'yes',
    });
    expect(out).toMatchObject({ ok: false, message: expect.stringContaining('has no parameter `force`') });
  });

  it('treats prototype names (`toString`, `__proto__`, `constructor`) as unknown parameters', () => {
    // fast-check found `toString=` crashing the parser: `k in shape` looked up Object.prototype.
    for (const key of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const out = validateParameters(spec('rotate-secret'), { [key]: 'x' });
      expect(out).toMatchObject({
        ok: false,
        message: expect.stringContaining(`has no parameter \`${key}\``),
      });
    }
  });

  it('never throws on arbitrary key=value input', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 40 })),
        (args) => {
          for (const name of [
            'snapshot-volume',
            'scale-node-group',
            'update-dns',
            'rotate-secret',
            'verify-backups',
          ]) {
            expect(typeof validateParameters(spec(name), args).ok).toBe('boolean');
          }
        },
      ),
    );
  });
});

describe('slack authorisation: users and groups per stage', () => {
  const cfg = {
    users: { U0ALICE0001: { run: ['*'], approve: ['update-dns'] } },
    userGroups: { S0ONCALL01: { run: ['snapshot-volume'], approve: [] } },
  };

  it('grants directly, or through a group the user belongs to', () => {
    expect(authorise(cfg, 'prod', 'U0ALICE0001', [], 'approve', 'update-dns')).toEqual({
      allowed: true,
      via: 'user U0ALICE0001',
    });
    expect(authorise(cfg, 'prod', 'U0BOB000001', ['S0ONCALL01'], 'run', 'snapshot-volume')).toEqual({
      allowed: true,
      via: 'user group S0ONCALL01',
    });
  });

  it('refuses what is not granted, and people it does not know', () => {
    expect(authorise(cfg, 'prod', 'U0ALICE0001', [], 'approve', 'rotate-secret')).toMatchObject({
      allowed: false,
      reason: 'not-permitted',
    });
    expect(authorise(cfg, 'prod', 'U0BOB000001', ['S0ONCALL01'], 'approve', 'snapshot-volume')).toMatchObject(
      {
        allowed: false,
        reason: 'not-permitted',
      },
    );
    expect(authorise(cfg, 'prod', 'U0EVE000001', [], 'run', 'snapshot-volume')).toMatchObject({
      allowed: false,
      reason: 'unknown-user',
      message: expect.stringContaining('is not set up for ops automation in *prod*'),
    });
  });
});
