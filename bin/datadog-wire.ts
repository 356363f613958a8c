import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { datadogWiring } from '../config/datadog-wiring.js';
import { ConfigError, loadStage } from '../config/index.js';
import { wireApis } from '../functions/datadog-wiring/clients.js';
import { type WireStep, wireDatadog } from '../functions/datadog-wiring/wire.js';

const USAGE = `usage: npx tsx bin/datadog-wire.ts --stage NAME [--json]

Wires a stage's Datadog side to the intake, idempotently (run it after every deploy):
  - the webhook ops-automation-<stage>: created or updated with the Function URL (SSM
    /ops/<stage>/datadog/webhook-url), the X-Ops-Webhook-Token header and the payload template;
  - the EventBridge event source of Datadog's AWS integration for the stage's account and region;
  - prints the one manual AWS command left (associating the partner event source with its bus).
Needs DD_API_KEY and DD_APP_KEY in the environment (an application key allowed to manage
integrations) and AWS credentials for the stage's account (ssm:GetParameter, secretsmanager:GetSecretValue).
Exit 0 when nothing failed; 1 when a step failed; 2 for a usage error.`;

function parse(args: string[]): { stage: string; json: boolean } | string {
  let stage: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--json') json = true;
    else if (arg === '--stage') stage = args[++i];
    else if (arg.startsWith('--stage=')) stage = arg.slice('--stage='.length);
    else return `unknown argument ${arg}`;
  }
  return stage ? { stage, json } : '--stage is required';
}

async function readOptional<T>(read: () => Promise<T>, missing: string): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if ((err as { name?: string }).name === missing) return undefined;
    throw err;
  }
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const opts = parse(args);
  if (typeof opts === 'string') {
    console.error(`datadog-wire: ${opts}\n\n${USAGE}`);
    return 2;
  }
  const apiKey = process.env.DD_API_KEY;
  const appKey = process.env.DD_APP_KEY;
  if (!apiKey || !appKey) {
    console.error('datadog-wire: set DD_API_KEY and DD_APP_KEY in the environment');
    return 2;
  }
  let stage: ReturnType<typeof loadStage>;
  try {
    stage = loadStage(opts.stage);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`datadog-wire: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const wiring = datadogWiring(stage);
  const ssm = new SSMClient({ region: stage.region });
  const secrets = new SecretsManagerClient({ region: stage.region });
  const webhookUrl = await readOptional(
    async () =>
      (await ssm.send(new GetParameterCommand({ Name: wiring.webhookUrlParameter }))).Parameter?.Value,
    'ParameterNotFound',
  );
  const token = await readOptional(
    async () =>
      (await secrets.send(new GetSecretValueCommand({ SecretId: wiring.tokenSecretName }))).SecretString,
    'ResourceNotFoundException',
  );
  const steps = await wireDatadog(wireApis({ apiKey, appKey, site: stage.automation.datadog.site }), {
    wiring,
    webhookUrl,
    token,
  });
  print(steps, opts.json);
  return steps.some((s) => s.status === 'failed') ? 1 : 0;
}

function print(steps: readonly WireStep[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify(steps, null, 2));
    return;
  }
  for (const s of steps) {
    console.log(`${s.step.padEnd(13)} ${s.status.padEnd(9)} ${s.detail}`);
    if (s.command) console.log(`${' '.repeat(24)}$ ${s.command}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`datadog-wire: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
