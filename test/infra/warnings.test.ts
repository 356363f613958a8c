import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../infra/app.js';

/**
 * Zero warnings in `npm run synth`: the whole app (every stage, cdk-nag on, bundling skipped: the
 * bundle test builds the functions) synthesises with no annotation of any level, no use of a
 * deprecated CDK API (JSII_DEPRECATED=fail turns one into an error that names the calling line),
 * nothing on the console, and no feature flag the CDK CLI would report as "not configured".
 */

interface FlagReport {
  module: string;
  flags: Record<
    string,
    { userValue?: unknown; recommendedValue?: unknown; unconfiguredBehavesLike?: { v2?: unknown } }
  >;
}

const work = mkdtempSync(join(tmpdir(), 'synth-warnings-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('synth: zero warnings', () => {
  const printed: string[] = [];
  const deprecated = process.env.JSII_DEPRECATED;
  const spies = [
    vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void printed.push(a.join(' '))),
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void printed.push(a.join(' '))),
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void printed.push(a.join(' '))),
  ];
  const onWarning = (w: Error) => void printed.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  process.env.JSII_DEPRECATED = 'fail';
  let assembly: ReturnType<ReturnType<typeof buildApp>['app']['synth']>;
  try {
    assembly = buildApp({
      appProps: { outdir: join(work, 'cdk.out'), context: { 'aws:cdk:bundling-stacks': [] } },
    }).app.synth();
  } finally {
    if (deprecated === undefined) delete process.env.JSII_DEPRECATED;
    else process.env.JSII_DEPRECATED = deprecated;
    process.off('warning', onWarning);
    for (const spy of spies) spy.mockRestore();
  }

  it('synthesises every stage', () => {
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual([
      'dev-automation',
      'dev-global',
      'dev-platform',
      'prod-automation',
      'prod-dr',
      'prod-euc1-automation',
      'prod-euc1-dr',
      'prod-euc1-global',
      'prod-euc1-platform',
      'prod-global',
      'prod-platform',
      'stage-automation',
      'stage-global',
      'stage-platform',
    ]);
  });

  it('leaves no annotation (info, warning or error) on any construct', () => {
    const messages = assembly.stacks.flatMap((s) =>
      s.messages.map((m) => `${m.level} ${m.id}: ${String(m.entry.data).slice(0, 300)}`),
    );
    expect(messages).toEqual([]);
  });

  it('prints nothing and emits no process warning', () => {
    expect(printed).toEqual([]);
  });

  it('configures every feature flag whose default differs from the recommended value', () => {
    // The CDK CLI's rule (aws-cdk, commands/flags/operations: filterNeedsAttention).
    // Read from the manifest: the assembly API does not model this artifact type.
    const reports = Object.values(assembly.manifest.artifacts ?? {})
      .filter((a) => a.type === 'cdk:feature-flag-report')
      .map((a) => a.properties as unknown as FlagReport);
    expect(reports.length).toBeGreaterThan(0);
    const unconfigured = reports.flatMap((r) =>
      Object.entries(r.flags)
        .filter(([, f]) => f.userValue === undefined)
        .filter(([, f]) => (f.unconfiguredBehavesLike?.v2 ?? false) !== f.recommendedValue)
        .map(([name]) => name),
    );
    expect(unconfigured).toEqual([]);
  });
});
