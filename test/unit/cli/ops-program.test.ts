import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Io, wantsColour } from '../../../bin/cli/io.js';
import { safeJson, sanitise } from '../../../bin/cli/sanitise.js';
import { runCli } from '../../../bin/ops.js';
import { parseStage } from '../../../config/index.js';
import { dev } from '../../../config/stages/dev.js';
import { ESCAPE, RAW_CONTROL, ROOT } from '../../support/ops-cli.js';

/** The `ops` program in-process, where a test needs what a child process cannot be given: a broken stage, a TTY. */

function recorder(colour: boolean): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    colour,
    env: {},
    readStdin: async () => '',
  };
}

const SECRET_READ = join(ROOT, 'events/samples/cloudtrail/secretsmanager-getsecretvalue-sso-user.json');

describe('ops: a broken stage configuration', () => {
  it('prints every bad field, as synth does, and exits 1', async () => {
    // Prepare: three fields broken by hand
    const broken = {
      ...dev,
      account: '12345',
      region: 'mars-1',
      platform: { ...dev.platform, vpc: { ...dev.platform.vpc, cidr: '10.10.0.0/99' } },
    };
    const io = recorder(false);

    // Act
    const code = await runCli(['plan', SECRET_READ], { io, loadStage: (name) => parseStage(broken, name) });

    // Assess
    expect(code).toBe(1);
    expect(io.stdout).toEqual([]);
    const lines = io.stderr.join('\n').split('\n');
    expect(lines[0]).toBe('ops plan: Stage configuration "dev" is invalid:');
    expect(lines.filter((l) => l.startsWith('  - dev.')).map((l) => l.split(':')[0])).toEqual(
      expect.arrayContaining(['  - dev.account', '  - dev.region', '  - dev.platform.vpc.cidr']),
    );
  });
});

describe('ops: colour only for a terminal', () => {
  it('colours on a TTY, never with NO_COLOR set, never into a pipe, never for TERM=dumb', () => {
    expect(wantsColour(true, {})).toBe(true);
    expect(wantsColour(true, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(true, { NO_COLOR: 'anything' })).toBe(false);
    expect(wantsColour(false, {})).toBe(false);
    expect(wantsColour(true, { TERM: 'dumb' })).toBe(false);
  });

  it('a coloured table keeps its columns aligned (padding before colour)', async () => {
    // Act
    const coloured = recorder(true);
    const plain = recorder(false);
    await runCli(['list'], { io: coloured });
    await runCli(['list'], { io: plain });

    // Assess
    const text = coloured.stdout.join('\n');
    expect(text).toMatch(ESCAPE);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing SGR sequences
    expect(text.replace(/\u001b\[\d+m/g, '')).toBe(plain.stdout.join('\n'));
  });
});

describe('sanitise: input text made safe for a terminal (shared by ops plan and, later, ops replay)', () => {
  it.each([
    ['plain text stays', 'vol-0abc/app-user', 'vol-0abc/app-user'],
    ['ESC sequences become visible', '\u001b[2J\u001b]0;title\u0007', '\\x1b[2J\\x1b]0;title\\x07'],
    ['carriage return and backspace', 'ok\rFAIL\b', 'ok\\x0dFAIL\\x08'],
    ['newline and tab', 'a\nb\tc', 'a\\x0ab\\x09c'],
    ['DEL and the C1 CSI', 'a\u007fb\u009b31m', 'a\\x7fb\\x9b31m'],
    ['bidi override and isolate', 'abc\u202eevil\u2066x', 'abc\\u202eevil\\u2066x'],
    ['non-ASCII letters stay', 'Zürich – ok…', 'Zürich – ok…'],
  ])('%s', (_, input, expected) => {
    expect(sanitise(input)).toBe(expected);
    expect(sanitise(input)).not.toMatch(RAW_CONTROL);
  });

  it('safeJson is the same JSON value with no raw DEL, C1 or bidi character', () => {
    const value = { a: 'x\u009b\u007f\u202e\u2028y', b: ['\u001b'] };

    const text = safeJson(value);

    expect(text).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(text)).toEqual(value);
  });
});
