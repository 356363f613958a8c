import { describe, expect, it } from 'vitest';
import { importsOf, read, resolveImport, sourceFiles } from './source-tree.js';

/**
 * The rooms of DESIGN.md, checked on every import of every source file: arrows point down only,
 * and code that runs inside a Lambda never reaches aws-cdk-lib through any chain of imports.
 *
 *   events/ → config/ → runbooks/ → functions/ → infra/ → bin/
 *
 * Two refinements the one-folder runbooks need: a runbook's Lambda steps use the shared Lambda
 * set-up (functions/shared: clients, Powertools), which therefore imports no runbook; and only a
 * runbook's CDK files (`workflow.ts`, `infra.ts`, plus the kit's `build.ts` and
 * `workflow-kit.ts`) may import aws-cdk-lib, and nothing outside infra/ imports them.
 */

const PRODUCT_ROOMS = ['events', 'config', 'runbooks', 'functions', 'infra', 'bin'] as const;
type Room = (typeof PRODUCT_ROOMS)[number] | 'functions/shared' | 'runbooks/cdk' | 'other';

const CDK_FILE = /^runbooks\/(build|workflow-kit)\.ts$|^runbooks\/[^/]+\/(workflow|infra)\.ts$/;

function roomOf(file: string): Room {
  if (file.startsWith('functions/shared/')) return 'functions/shared';
  if (CDK_FILE.test(file)) return 'runbooks/cdk';
  const top = file.split('/')[0] as Room;
  return (PRODUCT_ROOMS as readonly string[]).includes(top) ? top : 'other';
}

/** Which rooms each room may import from (its own included). */
const MAY_IMPORT: Record<Exclude<Room, 'other'>, readonly Room[]> = {
  events: ['events'],
  config: ['config', 'events'],
  'functions/shared': ['functions/shared', 'config', 'events'],
  runbooks: ['runbooks', 'functions/shared', 'config', 'events'],
  'runbooks/cdk': ['runbooks/cdk', 'runbooks', 'functions/shared', 'config', 'events'],
  functions: ['functions', 'functions/shared', 'runbooks', 'config', 'events'],
  infra: ['infra', 'runbooks/cdk', 'functions', 'functions/shared', 'runbooks', 'config', 'events'],
  bin: ['bin', 'functions', 'functions/shared', 'runbooks', 'config', 'events'],
};

const CDK_PACKAGE = /^(aws-cdk-lib|constructs|cdk-nag)(\/|$)/;

const product = sourceFiles().filter((f) => roomOf(f) !== 'other');
const relativeImports = (file: string) =>
  importsOf(read(file))
    .filter((s) => s.startsWith('.'))
    .map((s) => resolveImport(file, s));

describe('architecture: rooms and arrows', () => {
  it('finds the product files of every room', () => {
    for (const room of PRODUCT_ROOMS)
      expect(
        product.some((f) => roomOf(f) === room),
        room,
      ).toBe(true);
    expect(product).toContain('runbooks/update-dns/workflow.ts');
    expect(roomOf('runbooks/update-dns/workflow.ts')).toBe('runbooks/cdk');
    expect(roomOf('runbooks/update-dns/plugin.ts')).toBe('runbooks');
  });

  it.each(product.map((f) => [f]))('%s imports only from the rooms above it', (file) => {
    const room = roomOf(file) as Exclude<Room, 'other'>;
    // Data files (package.json for the version) are not code: no arrow to check.
    for (const target of relativeImports(file).filter((t) => /\.(ts|mts|mjs|js)$/.test(t))) {
      const to = roomOf(target);
      expect(MAY_IMPORT[room], `${file} (${room}) imports ${target} (${to})`).toContain(to);
    }
  });

  it('lets only infra/, bin/ and the runbooks’ CDK files import aws-cdk-lib', () => {
    const offenders = product.filter(
      (f) =>
        !['infra', 'bin', 'runbooks/cdk'].includes(roomOf(f)) &&
        importsOf(read(f)).some((s) => CDK_PACKAGE.test(s)),
    );
    expect(offenders).toEqual([]);
  });

  it('never lets Lambda code reach aws-cdk-lib through a chain of imports', () => {
    // Every file that runs in a Lambda: functions/ and the runbooks' pure files, with all they import.
    const lambdaRoots = product.filter((f) =>
      ['functions', 'functions/shared', 'runbooks'].includes(roomOf(f)),
    );
    const reachesCdk = new Map<string, string | undefined>();
    const visit = (file: string, seen: Set<string>): string | undefined => {
      if (reachesCdk.has(file)) return reachesCdk.get(file);
      if (seen.has(file)) return undefined;
      seen.add(file);
      let text: string;
      try {
        text = read(file);
      } catch {
        return undefined; // a .js helper resolved as .ts, or a generated file: nothing to follow
      }
      const direct = importsOf(text).find((s) => CDK_PACKAGE.test(s));
      const found =
        direct !== undefined
          ? `${file} imports ${direct}`
          : relativeImports(file)
              .map((t) => visit(t, seen))
              .find((v) => v !== undefined);
      const chain = found && !found.startsWith(file) ? `${file} → ${found}` : found;
      reachesCdk.set(file, chain);
      return chain;
    };
    const chains = lambdaRoots.map((f) => visit(f, new Set())).filter((c): c is string => c !== undefined);
    expect(chains).toEqual([]);
  });
});
