import { Duration } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct, type IDependable } from 'constructs';
import type * as z from 'zod';
import type { BottlerocketUpdatesConfig, ChartSchema } from '../../../config/index.js';

/** Nodes carrying this label (value = the agent's interface version) are updated by brupop; others are left alone. */
export const BRUPOP_NODE_LABEL = {
  key: 'bottlerocket.aws/updater-interface-version',
  value: '2.0.0',
} as const;

type Chart = z.infer<typeof ChartSchema>;

export interface BottlerocketUpdatesProps {
  readonly cluster: eks.Cluster;
  readonly policy: BottlerocketUpdatesConfig;
  /** Config `platform.eks.charts.bottlerocketShadow` (the BottlerocketShadow CRD), pinned. */
  readonly crdChart: Chart;
  /** Config `platform.eks.charts.bottlerocketUpdateOperator`, pinned. */
  readonly operatorChart: Chart;
  /** cert-manager (brupop's API server and agents authenticate with certificates it issues) and the node groups. */
  readonly installAfter?: readonly IDependable[];
}

/**
 * The Bottlerocket update operator (brupop): its CRD chart, then the operator (controller, API
 * server, an agent on every labelled node), with the update policy from config: at most
 * `maxConcurrentUpdates` nodes drain and reboot into the new Bottlerocket version at a time, only
 * while `schedule` matches, each optionally taken out of load balancers first. Bottlerocket itself
 * releases updates in waves, so nodes of a cluster do not all see a new version at once.
 */
export class BottlerocketUpdates extends Construct {
  readonly crds: eks.HelmChart;
  readonly operator: eks.HelmChart;

  constructor(scope: Construct, id: string, props: BottlerocketUpdatesProps) {
    super(scope, id);
    const { cluster, policy, crdChart, operatorChart } = props;
    if (crdChart.namespace !== operatorChart.namespace) {
      throw new Error('bottlerocketShadow and bottlerocketUpdateOperator charts must share one namespace');
    }
    const install = (chartId: string, c: Chart, values: Record<string, unknown>) =>
      cluster.addHelmChart(chartId, {
        chart: c.chart,
        repository: c.repository,
        version: c.version,
        namespace: c.namespace,
        release: c.chart,
        createNamespace: true,
        values,
        wait: true,
        timeout: Duration.minutes(10),
      });
    this.crds = install('BrupopCrds', crdChart, {});
    for (const d of props.installAfter ?? []) this.crds.node.addDependency(d);
    this.operator = install('BrupopOperator', operatorChart, {
      namespace: operatorChart.namespace,
      scheduler_cron_expression: policy.schedule,
      max_concurrent_updates: String(policy.maxConcurrentUpdates),
      exclude_from_lb_wait_time_in_sec: String(policy.excludeFromLoadBalancerSeconds),
    });
    this.operator.node.addDependency(this.crds);
    for (const d of props.installAfter ?? []) this.operator.node.addDependency(d);
  }
}
