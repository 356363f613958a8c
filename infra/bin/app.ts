import { App } from 'aws-cdk-lib';
import { ConfigError } from '../../config/index.js';
import { buildApp } from '../app.js';

// The only place that reads `-c stage=…`. Without it, every configured stage is synthesised.
const probe = new App();
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
