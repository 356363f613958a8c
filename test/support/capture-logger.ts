import { Logger } from '@aws-lambda-powertools/logger';
import { vi } from 'vitest';

/**
 * A real Powertools logger whose output is captured instead of printed: the logger runs in
 * dev mode (POWERTOOLS_DEV), which writes through the global console, and the console methods
 * are replaced for the life of the test file. `lines` holds every line written.
 */
export function captureLogger(serviceName = 'test'): {
  logger: Logger;
  lines: string[];
  restore: () => void;
} {
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  const lines: string[] = [];
  const record = (...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
  const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(record),
  );
  const logger = new Logger({ serviceName, logLevel: 'DEBUG' });
  return {
    logger,
    lines,
    restore: () => {
      for (const s of spies) s.mockRestore();
      vi.unstubAllEnvs();
    },
  };
}
