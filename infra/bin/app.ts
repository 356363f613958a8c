import { App } from 'aws-cdk-lib';
import { ConfigError } from '../../config/index.js';
import { buildApp } from '../app.js';

// The only place that reads `-c stage=…`. Without it, every configured stage is synthesised.
// The probe only reads context: under the CDK CLI an App auto-synthesises when the process exits,
// and an empty probe would overwrite the real cloud assembly with one that has no stacks.
const probe = new App({ autoSynth: false });
const stage = probe.node.tryGetContext('stage') as string | undefined;
try {
  buildApp(stage && stage !== 'all' ? { stage } : {}).app.synth();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
