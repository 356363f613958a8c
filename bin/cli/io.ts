import { sanitise } from './sanitise.js';

/**
 * Where a command writes, and how: the real process in `bin/ops.ts`, a recorder in tests.
 * Colour only when stdout is a terminal and `NO_COLOR` is unset (https://no-color.org).
 */
export interface Io {
  /** Writes one chunk of text to stdout (a trailing newline is added). */
  out(text: string): void;
  /** Writes one chunk of text to stderr (a trailing newline is added). */
  err(text: string): void;
  readonly colour: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** All of stdin as text (for `-` as the input file). */
  readStdin(): Promise<string>;
  /** Stdin as it arrives (`ops replay -`, which may read more than fits in memory). */
  stdinStream?(): AsyncIterable<Uint8Array>;
  /** Is stderr a terminal? (progress is shown only there, unless asked for) */
  readonly stderrIsTTY?: boolean;
  /**
   * A progress line on stderr: on a terminal it rewrites one line in place (undefined clears it); into a
   * pipe or file each call is one line. Never on stdout.
   */
  progress?(line: string | undefined): void;
}

/**
 * Writes to fd 1 or 2 straight away, without `process.stdout`/`stderr`: creating one of those streams
 * loads Node's stream, net or tty modules, which cost a command's start about 0.1x of `node -e 0`
 * (measured interleaved). Should a write fail (a non-blocking pipe that is full, a closed reader), this
 * and every later write go through the stream as before, so behaviour and order are the stream's.
 */
function descriptorWriter(fd: 1 | 2, stream: () => NodeJS.WriteStream): (text: string) => void {
  const { writeSync } = process.getBuiltinModule('node:fs');
  let streaming = false;
  return (text) => {
    let rest = Buffer.from(text, 'utf8');
    if (!streaming) {
      try {
        while (rest.length > 0) rest = rest.subarray(writeSync(fd, rest));
        return;
      } catch {
        streaming = true;
      }
    }
    stream().write(rest);
  };
}

/**
 * Is this descriptor a terminal? Asked of node:tty only for a character device other than /dev/null:
 * loading node:tty loads net and streams (as much as the stream above), and a pipe, a file or /dev/null
 * is never a terminal.
 */
function isatty(fd: 1 | 2): boolean {
  const fs = process.getBuiltinModule('node:fs');
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isCharacterDevice()) return false;
    if (stat.rdev === fs.statSync('/dev/null').rdev) return false;
  } catch {
    // No /dev/null here (Windows), or fd not open: node:tty answers.
  }
  return process.getBuiltinModule('node:tty').isatty(fd);
}

export function processIo(): Io {
  const out = descriptorWriter(1, () => process.stdout);
  const err = descriptorWriter(2, () => process.stderr);
  return {
    out: (text) => out(`${text}\n`),
    err: (text) => err(`${text}\n`),
    colour: wantsColour(isatty(1), process.env),
    env: process.env,
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stdinStream: () => process.stdin,
    stderrIsTTY: isatty(2),
    progress(line) {
      if (process.stderr.isTTY) process.stderr.write(`\r\u001b[K${line ?? ''}`);
      else if (line !== undefined) process.stderr.write(`${line}\n`);
    },
  };
}

/** Colour is for people at a terminal: never into a pipe or file, never when NO_COLOR is set (any value). */
export function wantsColour(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTTY && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
}

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
export type Style = keyof typeof CODES;

export function paint(io: Pick<Io, 'colour'>, style: Style | undefined, text: string): string {
  return io.colour && style ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

export interface Cell {
  readonly text: string;
  readonly style?: Style;
}
type CellLike = string | Cell;

/**
 * An aligned table with a header row. Cell text is sanitised (it may come from events or the audit
 * table) and padded before colour is applied, so escape codes never skew the columns.
 */
export function table(
  io: Pick<Io, 'colour'>,
  headers: readonly string[],
  rows: readonly CellLike[][],
): string {
  const cells = rows.map((row) =>
    headers.map((_, i) => {
      const c = row[i] ?? '';
      return typeof c === 'string' ? { text: sanitise(c) } : { ...c, text: sanitise(c.text) };
    }),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as Cell).text.length)));
  const render = (row: readonly Cell[]) =>
    row
      .map((c, i) => {
        const last = i === row.length - 1;
        const padded = last ? c.text : c.text.padEnd(widths[i] as number);
        return paint(io, c.style, padded);
      })
      .join('  ')
      .trimEnd();
  return [render(headers.map((h) => ({ text: h, style: 'bold' as const }))), ...cells.map(render)].join('\n');
}

/** Exit codes: 0 ok, 1 failure, 2 usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A failure the command has explained in one message (exit 1). */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  readonly exitCode: number = EXIT.failure;
}

/** The command was called wrongly (exit 2): the message says how, and the CLI adds the help hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode: number = EXIT.usage;
}
