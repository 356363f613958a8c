import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageDefine } from '../../config/deployed.js';
import { loadStage } from '../../config/index.js';
import { esbuildOptionsFor } from '../../infra/bundling/esbuild-options.js';
import { BUNDLING, REPO_ROOT } from '../../infra/constructs/ops-function.js';
import { SAMPLES } from './samples.js';

/**
 * What every Lambda bundle must not carry (issue 17: each byte is parsed at every cold start). The
 * oracle is esbuild's own account of what it put in each bundle (the metafile), for every function
 * the app deploys (the smoke test's samples, one per deployed entry; bundles.test.ts checks that
 * list against the synthesised app).
 *
 * - **zod's other locales.** `import { z } from 'zod'` binds zod's namespace object as a value, so
 *   esbuild must keep everything it exports, including `z.locales`: the error messages of every
 *   language, about 350 KiB minified. The star import (`import * as z from 'zod'`, enforced by
 *   Biome's noRestrictedImports in biome.json) keeps only the English messages zod installs for
 *   itself. A dependency's own named import does the same (Powertools' SNS schema did, in the
 *   alarm notifier).
 * - **The SDK's credential chain beyond the environment.** A function's credentials are in its
 *   environment; BUNDLING substitutes the environment provider for
 *   `@aws-sdk/credential-provider-node` (functions/shared/lambda-credentials.ts), so no bundle carries
 *   the ini/SSO/login/process/web-identity/metadata providers or the STS and SSO clients they use.
 */
const ENTRIES = Object.keys(SAMPLES).sort();
const CREDENTIAL_CHAIN =
  /node_modules\/(@aws-sdk\/(nested-clients|credential-provider-(node|ini|sso|login|process|web-identity|http))|@smithy\/credential-provider-imds)\//;

const inputs = new Map<string, Array<[string, Metafile['inputs'][string] & { bytesInOutput: number }]>>();

beforeAll(async () => {
  const { options } = esbuildOptionsFor(BUNDLING, 'nodejs22.x', REPO_ROOT);
  const result = await build({
    ...options,
    // As synth builds the functions that read their stage (OpsFunction's `stage`, config/deployed.ts);
    // the others never name it. test/bundles/bundles.test.ts checks the deployed bundles themselves.
    define: stageDefine(loadStage('dev')),
    entryPoints: ENTRIES.map((entry) => ({ in: join(REPO_ROOT, entry), out: entry.replace(/\.ts$/, '') })),
    outdir: join(REPO_ROOT, 'cdk.out', 'bundle-weight'),
    write: false,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
  });
  for (const output of Object.values(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    inputs.set(
      output.entryPoint,
      Object.entries(output.inputs).filter(([, { bytesInOutput }]) => bytesInOutput > 0) as never,
    );
  }
}, 60_000);

const inputsOf = (entry: string) => {
  const found = inputs.get(entry);
  if (!found) throw new Error(`esbuild built no bundle for ${entry}`);
  return found;
};

describe('what the Lambda bundles carry', () => {
  it('builds one bundle per deployed function', () => {
    expect([...inputs.keys()].sort()).toEqual(ENTRIES);
    expect(ENTRIES.length).toBeGreaterThan(15);
  });

  it.each(ENTRIES)('%s: zod’s English messages and no other locale', (entry) => {
    const files = inputsOf(entry).map(([file]) => file);
    const locales = files
      .filter((file) => /node_modules\/zod\/.*locales\//.test(file))
      .map((file) => file.replace(/.*node_modules\/zod\//, ''));
    if (files.some((file) => file.includes('node_modules/zod/')))
      expect(locales).toEqual(['v4/locales/en.js']);
    const zodBytes = inputsOf(entry)
      .filter(([file]) => file.includes('node_modules/zod/'))
      .reduce((sum, [, { bytesInOutput }]) => sum + bytesInOutput, 0);
    // With every locale it was about 445 KiB; without them, about 100 KiB.
    expect(zodBytes).toBeLessThan(200 * 1024);
  });

  it.each(ENTRIES)('%s: no credential provider but the environment’s', (entry) => {
    const chain = inputsOf(entry)
      .map(([file]) => file)
      .filter((file) => CREDENTIAL_CHAIN.test(file));
    expect(chain).toEqual([]);
  });
});

describe('SDK schemas in the Lambda bundles', () => {
  /** Each client's schema module, as esbuild counted it in one bundle: which copy, and its bytes. */
  const schemasOf = (entry: string) =>
    inputsOf(entry)
      .filter(([file]) =>
        /(@aws-sdk\/client-|sdk-clients\/client-)[^/]+\/dist-es\/schemas\/schemas_0\.js$/.test(file),
      )
      .map(([file, { bytesInOutput }]) => ({ file, bytesInOutput }));

  it.each(ENTRIES)(
    '%s: every SDK client from its rewritten copy, never from node_modules itself',
    (entry) => {
      for (const { file } of schemasOf(entry)) {
        expect(file).toMatch(/^node_modules\/\.cache\/ops-automation\/sdk-clients\//);
      }
    },
  );

  it('keeps only the schemas a function reaches: a function that sends a few EC2 calls carries a few', () => {
    // snapshot-volume sends three EC2 operations (copy, describe, delete snapshots) of EC2’s 700-odd; all
    // of its schemas, minified, were about 550 KB of every bundle that sent one.
    const ec2 = schemasOf('runbooks/snapshot-volume/steps/handler.ts').filter(({ file }) =>
      file.includes('client-ec2'),
    );
    expect(ec2).toHaveLength(1);
    expect(ec2[0]?.bytesInOutput).toBeLessThan(60 * 1024);
    expect(ec2[0]?.bytesInOutput).toBeGreaterThan(0);
  });
});

describe('SDK clients a function never sends to', () => {
  it('the sweeps carry no S3 client: the dns check reads the audit history from DynamoDB alone', () => {
    // It built the audit store, S3 client and all, for its one DynamoDB query: about 90 KB of the
    // bundle (the S3 client, its checksums and its multi-region signer).
    const files = inputsOf('functions/sweeps/handler.ts').map(([file]) => file);
    expect(
      files.filter((file) => /client-s3[-/]|middleware-sdk-s3|signature-v4-multi-region/.test(file)),
    ).toEqual([]);
    // …while it still carries the DynamoDB client it reads the history with.
    expect(files.some((file) => /client-dynamodb[-/]/.test(file))).toBe(true);
  });
});

describe('zod/mini in the Lambda bundles', () => {
  /** zod's bytes in one bundle: its classic build's own modules, and its mini build's. */
  const zodOf = (entry: string) => {
    const bytes = (re: RegExp) =>
      inputsOf(entry)
        .filter(([file]) => re.test(file))
        .reduce((sum, [, { bytesInOutput }]) => sum + bytesInOutput, 0);
    return {
      classic: bytes(/node_modules\/zod\/v4\/classic\//),
      mini: bytes(/node_modules\/zod\/v4\/mini\//),
    };
  };
  const onMini = (entry: string) => inputsOf(entry).some(([file]) => file === 'functions/shared/zod-mini.ts');

  it('these functions validate with zod/mini alone: no classic zod in their bundles', () => {
    expect(ENTRIES.filter((entry) => onMini(entry) && zodOf(entry).classic === 0)).toEqual([
      'functions/approval/handler.ts',
      'functions/kube/handler.ts',
      'functions/notify/alarm-handler.ts',
      'functions/report/handler.ts',
      'functions/slack/handler.ts',
      'functions/slack/run-ended-handler.ts',
      'runbooks/rotate-secret/steps/handler.ts',
      'runbooks/snapshot-volume/steps/handler.ts',
      'runbooks/verify-backups/steps/handlers/check-volume-content.ts',
      'runbooks/verify-backups/steps/handlers/sweep.ts',
    ]);
  });

  // The runbooks' parameters are zod/mini (runbooks/types.ts), read by functions that also validate
  // with classic zod (events, configuration). Both builds share zod's core, so such a bundle carries
  // the core once and only mini's own small wrappers besides classic's.
  it('a bundle with both builds carries at most 5 KiB of zod/mini’s own code', () => {
    const mixed = ENTRIES.filter((entry) => onMini(entry) && zodOf(entry).classic > 0);
    expect(mixed).toContain('functions/intake/handler.ts');
    for (const entry of mixed) expect(zodOf(entry).mini, entry).toBeLessThan(5 * 1024);
  });
});

describe('the Datadog client in the Lambda bundles', () => {
  /** The Datadog client's modules in one bundle, as esbuild counted them. */
  const datadogOf = (entry: string) =>
    inputsOf(entry)
      .map(([file]) => file)
      .filter((file) => /(@datadog\/datadog-api-client|ops-automation\/datadog-api-client)\//.test(file));

  it('the functions that report to Datadog carry its client', () => {
    const reporting = ENTRIES.filter((entry) => datadogOf(entry).length > 0);
    expect(reporting).toEqual(
      expect.arrayContaining([
        'functions/intake/handler.ts',
        'functions/report/handler.ts',
        'runbooks/verify-backups/steps/handlers/publish.ts',
      ]),
    );
  });

  it.each(ENTRIES)('%s: the Datadog client from its copy, with only the models its APIs reach', (entry) => {
    const files = datadogOf(entry);
    for (const file of files) {
      expect(file).toMatch(/^node_modules\/\.cache\/ops-automation\/datadog-api-client\//);
    }
    // pako's JavaScript zlib gives way to Node's (functions/shared/pako-zlib.ts).
    expect(inputsOf(entry).filter(([file]) => file.includes('node_modules/pako/'))).toEqual([]);
    // The v1 serializer required all 776 v1 model classes in every bundle that reports (the client alone, minified: 799 KB, and 131 KB from the copy).
    expect(files.filter((file) => /\/datadog-api-client-v1\/models\//.test(file)).length).toBeLessThan(40);
  });
});
