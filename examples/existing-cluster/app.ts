import { buildExampleApp } from './stack.js';

// `npx cdk synth` in this folder (cdk.json) runs this: offline, no credentials (unless -c vpcId=… looks a VPC up).
buildExampleApp().app.synth();
