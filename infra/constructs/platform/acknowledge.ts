import { CfnResource, Validations } from 'aws-cdk-lib';
import type { NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag v3 matches acknowledgements by exact id, finding included (`AwsSolutions-IAM5[Resource::*]`).
 * This acknowledges each listed finding of one rule on `scope`, with one reason.
 */
export function acknowledgeFindings(
  scope: IConstruct,
  ruleId: string,
  findings: readonly string[],
  reason: string,
): void {
  for (const finding of findings) Validations.of(scope).acknowledge({ id: `${ruleId}[${finding}]`, reason });
}

/**
 * For resources CDK generates inside a construct we do not own (the EKS kubectl provider, the
 * RDS monitoring role, the log-retention function): runs the cdk-nag rule on every resource
 * under `scope` now and acknowledges exactly the findings it reports, with one reason. Call it
 * once the subtree is complete; anything added later is still checked.
 */
export function acknowledgeGenerated(
  scope: IConstruct,
  ruleId: string,
  rule: (node: CfnResource) => NagRuleResult,
  reason: string,
): void {
  for (const child of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(child)) continue;
    const result = rule(child);
    if (Array.isArray(result)) acknowledgeFindings(child, ruleId, result, reason);
    else if (result === 'Non-Compliant') Validations.of(child).acknowledge({ id: ruleId, reason });
  }
}
