import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { newOpsLogger, SafeLogger } from '../../../functions/shared/powertools.js';
import { REDACTED } from '../../../functions/shared/redact.js';
import { describeRejectedPayload, logRejectedPayload } from '../../../functions/shared/rejected-payload.js';

// These tests read what the logger writes: undo the suite's quiet default (vitest.config.ts) for this file.
vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');

/**
 * The shared logger (the real Powertools Logger, configured as every function configures it) never
 * throws and never writes an unbounded line, whatever it is handed. Lines are captured where
 * Powertools writes them in Lambda (its own Console on process.stdout / process.stderr), only for the
 * duration of the call, so nothing reaches the test output.
 */
function capture(act: () => void): string[] {
  const lines: string[] = [];
  const record = (chunk: unknown): boolean => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  try {
    act();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines;
}

/** A fixed bound, written here by hand: no line may be longer, whatever was logged. */
const LINE_BOUND = 128 * 1024;

function nested(levels: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = wrap(value);
  return value;
}

function logOne(extra: unknown, logger = newOpsLogger({ serviceName: 'test' })): Record<string, unknown> {
  const lines = capture(() => logger.info('probe', extra as Record<string, unknown>));
  expect(lines).toHaveLength(1);
  const line = lines[0] ?? '';
  expect(line.length).toBeLessThan(LINE_BOUND);
  return JSON.parse(line) as Record<string, unknown>;
}

describe('shared logger: pathological input never throws', () => {
  it('logs an object nested 3,000 levels deep (it overflowed the stack before), cut with a marker', () => {
    // Prepare
    const payload = nested(3000, (inner) => ({ a: inner }));

    // Act
    const line = logOne({ payload });

    // Assess
    expect(line.message).toBe('probe');
    expect(JSON.stringify(line.payload)).toMatch(/\[Truncated: nested deeper than \d+ levels\]/);
  });

  it('logs arrays nested 100,000 levels deep, also as an error argument and in appended keys', () => {
    const deep = nested(100_000, (inner) => [inner]);
    const logger = newOpsLogger({ serviceName: 'test' });
    const err = Object.assign(new Error('boom'), { detail: deep });

    const lines = capture(() => {
      logger.appendKeys({ context: deep });
      logger.error('with error', err);
      logger.warn('as extra', { deep });
    });

    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.length).toBeLessThan(LINE_BOUND);
      expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(JSON.parse(lines[0] ?? '').error).toMatchObject({ name: 'Error', message: 'boom' });
  });

  it('logs circular references, an error that is its own cause, BigInt, symbols and functions', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    const err = new Error('cause loop');
    (err as Error & { cause: unknown }).cause = err;

    const line = logOne({
      loop,
      err,
      big: 12345678901234567890123n,
      sym: Symbol('s'),
      fn: function named() {},
    });

    expect(line.loop).toEqual({ name: 'loop', self: '[Circular]' });
    expect(line.err).toMatchObject({ name: 'Error', message: 'cause loop', cause: '[Circular]' });
    expect(line.big).toBe('12345678901234567890123');
    expect(line.sym).toBe('Symbol(s)');
    expect(line.fn).toBe('[Function named]');
  });

  it('logs objects whose getters or proxies throw', () => {
    const getter = Object.defineProperty({}, 'bad', {
      enumerable: true,
      get() {
        throw new Error('getter exploded');
      },
    });
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys exploded');
        },
      },
    );

    const line = logOne({ getter, proxy });

    expect(line.getter).toEqual({ bad: '[Unreadable: Error: getter exploded]' });
    expect(line.proxy).toBe('[Unserialisable: Error: ownKeys exploded]');
  });

  it('cuts a 10 MB string, a 10 MB key, a 10 MB message, a million-item array and a 10 MB buffer', () => {
    const ten = 'x'.repeat(10 * 1024 * 1024);
    const logger = newOpsLogger({ serviceName: 'test' });
    const lines = capture(() => {
      logger.info('string', { payload: ten });
      logger.info('key', { [ten]: 1 });
      logger.info(ten);
      logger.info('array', { items: Array.from({ length: 1_000_000 }, (_, i) => i) });
      logger.info('buffer', { data: Buffer.alloc(10 * 1024 * 1024) });
      logger.info(
        'wide',
        Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, ten.slice(0, 5000)])),
      );
    });

    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line.length).toBeLessThan(LINE_BOUND);
    const [string, , , array, buffer] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(string?.payload).toMatch(/…\[Truncated: 10485760 characters\]$/);
    expect(array?.items).toHaveLength(201);
    expect(buffer?.data).toBe('[Buffer: 10485760 bytes]');
  });

  it('still redacts secrets (the bound runs before the redacting replacer, not instead of it)', () => {
    const line = logOne({ password: 'hunter2-hunter2', nested: { deeper: { token: 'abc123456789' } } });

    expect(line.password).toBe(REDACTED);
    expect(line.nested).toEqual({ deeper: { token: REDACTED } });
  });

  it('writes one line for anything fast-check can build, never throwing', () => {
    const logger = newOpsLogger({ serviceName: 'test' });
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withSparseArray: true,
          withNullPrototype: true,
          withObjectString: true,
          withBoxedValues: true,
          maxDepth: 6,
        }),
        (value) => {
          const lines = capture(() => logger.info('any', { value }));
          expect(lines).toHaveLength(1);
          expect(() => JSON.parse(lines[0] ?? '')).not.toThrow();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('replaces a line that cannot be serialised by one saying so, instead of throwing', () => {
    const logger = new SafeLogger({
      serviceName: 'test',
      jsonReplacerFn: () => {
        throw new Error('replacer exploded');
      },
    });
    // The last resort writes one line through the global console.
    const errSpy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(() => logger.info('probe')).not.toThrow();
      expect(errSpy).toHaveBeenCalledOnce();
      expect(JSON.parse(String(errSpy.mock.calls[0]?.[0]))).toMatchObject({
        level: 'ERROR',
        message: 'a log line could not be serialised and was dropped',
        error: 'Error: replacer exploded',
      });
    } finally {
      errSpy.mockRestore();
    }
  });
});

describe('rejected payloads: size, sha256 and a bounded head, never the whole payload', () => {
  it('keeps a 10 MB webhook body as one bounded line with the body size and its sha256', () => {
    // Prepare: 10 MiB of text, hashed here with node:crypto as the oracle.
    const body = `{"alert_transition":"Triggered","filler":"${'y'.repeat(10 * 1024 * 1024 - 40)}"}`;
    const expected = createHash('sha256').update(body, 'utf8').digest('hex');
    const logger = newOpsLogger({ serviceName: 'test' });

    // Act
    const lines = capture(() => logRejectedPayload(logger, 'rejected webhook', body, { reason: 'too big' }));

    // Assess: 2 KiB of head plus the fields, far under 8 KiB.
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line.length).toBeLessThan(8 * 1024);
    const parsed = JSON.parse(line) as { payload: Record<string, unknown>; reason: string };
    expect(parsed.reason).toBe('too big');
    expect(parsed.payload).toMatchObject({
      bytes: Buffer.byteLength(body),
      sha256: expected,
      truncated: true,
      head: body.slice(0, 2048),
    });
  });

  it('hashes an event object as its JSON, and one JSON cannot express as its bounded copy', () => {
    const event = { source: 'aws.s3', 'detail-type': 'Object Created', detail: { big: 'z'.repeat(5000) } };
    const kept = describeRejectedPayload(event);
    expect(kept.sha256).toBe(createHash('sha256').update(JSON.stringify(event)).digest('hex'));
    expect(kept.bytes).toBe(Buffer.byteLength(JSON.stringify(event)));
    expect(kept.serialisation).toBe('json');

    const odd = { n: 1n, deep: nested(100_000, (inner) => ({ a: inner })) };
    const bounded = describeRejectedPayload(odd);
    expect(bounded.serialisation).toBe('bounded-json');
    expect(bounded.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never splits a character at the cut, and redacts a secret that straddles it', () => {
    const euros = '€'.repeat(5000); // 3 bytes each
    const head = describeRejectedPayload(euros).head;
    expect(Buffer.byteLength(head)).toBeLessThanOrEqual(2048);
    expect(head).toBe('€'.repeat(682));

    const token = `xoxb-${'1234567890'.repeat(4)}`;
    const straddling = `${'a'.repeat(2039)} ${token}`;
    const kept = describeRejectedPayload(straddling);
    expect(kept.head).not.toContain('xoxb-123');
    expect(kept.head.startsWith(`${'a'.repeat(2039)} [REDA`)).toBe(true);
    // Without the margin the cut would leave 'xoxb-123' unrecognised: it is too short to match.
    expect(describeRejectedPayload(straddling.slice(0, 2048)).head).toContain('xoxb-123');
  });

  it('logs nothing of an unauthenticated body but its size and hash when asked for no head', () => {
    const kept = describeRejectedPayload('secret-ish body', 0);
    expect(kept).toMatchObject({ head: '', bytes: 15, truncated: true });
  });
});
