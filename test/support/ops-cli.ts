import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The repository root, where operators run `npx ops` (bin/ops.mjs). */
export const ROOT = join(import.meta.dirname, '..', '..');

export interface OpsResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `ops …` as operators run it: `node bin/ops.mjs` in a child process (the pre-built dist/ops.mjs,
 * which the vitest global set-up builds), with a clean environment: no AWS credentials or
 * configuration unless the test gives them, no colour settings, not a TTY.
 */
export function runOps(
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<OpsResult> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ops.mjs'), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // A command that does not read its stdin may exit before this write lands (`ops list` now starts
  // and ends within a few milliseconds): the pipe is then closed, as with a shell, and that is no error.
  child.stdin.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The lines a test asserts on: the Node runtime's own deprecation/version warnings are not ours. */
export function ownLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter(
      (l) =>
        !/^\(node:\d+\)|NodeVersionSupportWarning|^(versions published|will require|To continue|and security|More information|\(Use `node)/.test(
          l,
        ),
    );
}

/** Any ANSI/VT escape (CSI, OSC, or a bare ESC): what must never reach a pipe. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape sequences is the point
export const ESCAPE = /[\u001b\u009b]/;

/** Any control character but newline (C0, DEL, C1) and the bidi overrides: what input must never put on a terminal. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
