import { createReadStream } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { StageConfig } from '../../config/schema.js';
import {
  cloudTrailRecordToEvent,
  isCloudTrailRecord,
  MalformedEventError,
  rulesMatching,
  UnrecognisedEventError,
} from '../../events/index.js';
import {
  normaliseOptions,
  PlanInputError,
  planSignal,
  signalFromValue,
} from '../../functions/intake/plan.js';
import { EventSplitter, type Piece } from './split.js';
import { type ReplaySummary, ReplayTally } from './tally.js';

/**
 * `ops replay`'s core: files (CloudTrail logs, EventBridge events, gzipped or not; directories walked in
 * name order) → events, one at a time → `ops plan`'s pipeline (normalise, policy, static guards) → a
 * `ReplayTally`. Memory: one chunk of input, one event's text, and the tally (whose lists are bounded).
 */

export interface ReplayProgress {
  readonly events: number;
  readonly files: number;
  readonly bytesRead: number;
  readonly current: string;
  /** The last report: everything has been read. */
  readonly final: boolean;
}

export interface ReplayOptions {
  /** Called every `PROGRESS_EVERY` events and at each new file; the caller throttles what it prints. */
  readonly onProgress?: (progress: ReplayProgress) => void;
}

const PROGRESS_EVERY = 1024;
const CHUNK_BYTES = 256 * 1024;

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

/** Replays one event's text into the tally. Exported for the benchmark, which times exactly this. */
export class Replayer {
  readonly tally: ReplayTally;
  private readonly options: ReturnType<typeof normaliseOptions>;

  constructor(
    private readonly stage: StageConfig,
    private readonly progress?: ReplayOptions['onProgress'],
  ) {
    this.tally = new ReplayTally(stage.name);
    this.options = normaliseOptions(stage);
  }

  current = '';

  piece(label: string, piece: Piece): void {
    const where = `${label}: ${piece.where}`;
    if (piece.kind === 'error') {
      this.tally.notDecided(where, 'unreadable', piece.reason);
    } else {
      this.event(where, piece.text);
    }
    if (this.progress && this.tally.events % PROGRESS_EVERY === 0) this.report();
  }

  report(final = false): void {
    this.progress?.({
      events: this.tally.events,
      files: this.tally.files,
      bytesRead: this.tally.bytesRead,
      current: this.current,
      final,
    });
  }

  private event(where: string, text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.tally.notDecided(where, 'unreadable', `not JSON: ${message(err)}`);
      return;
    }
    try {
      // A bare CloudTrail record is wrapped once, here: the signal and the rule matching both use the
      // event as EventBridge would deliver it.
      const delivered =
        typeof value === 'object' && value !== null && isCloudTrailRecord(value as Record<string, unknown>)
          ? cloudTrailRecordToEvent(value as Record<string, unknown>)
          : value;
      const signal = signalFromValue(delivered, text, this.options);
      const eventRules = rulesMatching(delivered).map((r) => r.name);
      this.tally.decided(where, planSignal(signal, this.stage), eventRules);
    } catch (err) {
      if (err instanceof UnrecognisedEventError) {
        // A JSON object that is neither an EventBridge event nor a CloudTrail record is not an event at all.
        const record = value as Record<string, unknown>;
        if (typeof record['detail-type'] === 'string' || isCloudTrailRecord(record))
          this.tally.notDecided(where, 'unhandled');
        else this.tally.notDecided(where, 'unreadable', `not an event: ${message(err).slice(0, 200)}`);
      } else if (err instanceof MalformedEventError) {
        this.tally.notDecided(
          where,
          'malformed',
          `malformed ${err.source} event: ${message(err).slice(0, 300)}`,
        );
      } else if (err instanceof PlanInputError) {
        this.tally.notDecided(where, 'unreadable', message(err));
      } else throw err;
    }
  }
}

/**
 * Files under `path` (itself when it is a file), in name order, recursively; hidden entries skipped. A
 * directory reached twice through symbolic links is walked once (no loop).
 */
async function* filesOf(path: string, seen = new Set<string>()): AsyncGenerator<string> {
  const info = await stat(path);
  if (!info.isDirectory()) {
    yield path;
    return;
  }
  const real = await realpath(path);
  if (seen.has(real)) return;
  seen.add(real);
  const entries = (await readdir(path)).filter((name) => !name.startsWith('.')).sort();
  for (const name of entries) yield* filesOf(join(path, name), seen);
}

/** Is this file gzip (magic bytes 1f 8b), whatever its name? */
async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** Streams text chunks through a splitter into the replayer; an error mid-way ends this input, listed. */
export async function replayChunks(
  replayer: Replayer,
  label: string,
  chunks: AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void = () => {},
): Promise<void> {
  const splitter = new EventSplitter();
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of chunks) {
      onBytes(chunk.byteLength);
      for (const piece of splitter.push(decoder.decode(chunk, { stream: true })))
        replayer.piece(label, piece);
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const what =
      typeof code === 'string' && code.startsWith('Z_') ? 'gzip data is broken' : 'reading stopped';
    replayer.tally.brokenInput(`${label}`, `${what} (${message(err)}); the events before it were replayed`);
    return;
  }
  for (const piece of splitter.push(decoder.decode())) replayer.piece(label, piece);
  for (const piece of splitter.end()) replayer.piece(label, piece);
}

async function replayFile(replayer: Replayer, path: string): Promise<void> {
  const gz = await isGzip(path);
  const file = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const tally = replayer.tally;
  const before = tally.bytesRead;
  const source = gz ? pipeline(file, createGunzip({ chunkSize: CHUNK_BYTES }), () => {}) : file;
  // Bytes read from disk (compressed, for a gzip file), for progress and the summary.
  await replayChunks(replayer, path, source, () => {
    tally.bytesRead = before + file.bytesRead;
  });
}

/**
 * Replays every path: `-` is stdin (given as `stdin`); a directory is walked. A path that cannot be opened
 * is listed in `failed` and the others are still read.
 */
export async function replayPaths(
  paths: readonly string[],
  stage: StageConfig,
  options: ReplayOptions & { stdin?: () => AsyncIterable<Uint8Array> } = {},
): Promise<ReplaySummary> {
  const replayer = new Replayer(stage, options.onProgress);
  for (const path of paths) {
    if (path === '-') {
      if (!options.stdin) throw new Error('stdin is not available');
      replayer.tally.files++;
      replayer.current = 'stdin';
      replayer.report();
      await replayChunks(replayer, 'stdin', options.stdin(), (n) => {
        replayer.tally.bytesRead += n;
      });
      continue;
    }
    try {
      for await (const file of filesOf(path)) {
        replayer.tally.files++;
        replayer.current = file;
        replayer.report();
        try {
          await replayFile(replayer, file);
        } catch (err) {
          replayer.tally.failedPath(file, message(err));
        }
      }
    } catch (err) {
      replayer.tally.failedPath(path, message(err));
    }
  }
  replayer.report(true);
  return replayer.tally.summary();
}
