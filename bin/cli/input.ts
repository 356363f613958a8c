import { readFileSync } from 'node:fs';
import { CommandFailedError, type Io } from './io.js';

/** The text of an input argument: a file path, or `-` for stdin. Unreadable input is a failure (exit 1). */
export async function readInput(io: Io, path: string): Promise<{ text: string; label: string }> {
  if (path === '-') return { text: await io.readStdin(), label: 'stdin' };
  try {
    // Read at once: a command reads one file, and node:fs/promises would load streams and readline first.
    return { text: readFileSync(path, 'utf8'), label: path };
  } catch (err) {
    throw new CommandFailedError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
