import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

export interface PlatformOutputsProps {
  readonly stageName: string;
  /** Relative parameter name (`vpc/id`, `cluster/endpoint`) → value (tokens allowed). */
  readonly values: Readonly<Record<string, string>>;
}

/**
 * Publishes the platform's outputs (ids, endpoints, CIDRs, bucket names) as SSM String
 * parameters under `/platform/<stage>/...`, so applications and the automation read them at
 * runtime instead of depending on CloudFormation exports.
 */
export class PlatformOutputs extends Construct {
  readonly prefix: string;
  readonly parameters: Record<string, ssm.StringParameter>;

  constructor(scope: Construct, id: string, props: PlatformOutputsProps) {
    super(scope, id);
    this.prefix = `/platform/${props.stageName}`;
    this.parameters = {};
    for (const [name, value] of Object.entries(props.values)) {
      if (!/^[a-z0-9][a-z0-9/-]*$/.test(name))
        throw new Error(`platform output name "${name}" must be a/b-c style`);
      this.parameters[name] = new ssm.StringParameter(this, name.replaceAll('/', '-'), {
        parameterName: `${this.prefix}/${name}`,
        stringValue: value,
        description: `${props.stageName} platform output: ${name}`,
      });
    }
  }
}
