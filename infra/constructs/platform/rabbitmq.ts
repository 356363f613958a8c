import { Duration } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct, type IDependable } from 'constructs';
import type * as z from 'zod';
import type { ChartSchema, RabbitMqConfig } from '../../../config/index.js';
import { PROTECTED_STORAGE_CLASS } from './cluster.js';

export const RABBITMQ_CLUSTER_NAME = 'rabbitmq';

export interface RabbitMqProps {
  readonly cluster: eks.Cluster;
  readonly config: RabbitMqConfig;
  /** Config `platform.eks.charts.rabbitmqClusterOperator` (pinned). */
  readonly chart: z.infer<typeof ChartSchema>;
  readonly installAfter?: readonly IDependable[];
}

/**
 * RabbitMQ through its Cluster Operator (issue 19): the pinned operator chart (Messaging Topology
 * Operator off: queues and users come from the apps' own manifests through Flux), the namespace, and
 * one `RabbitmqCluster` with `replicas` nodes whose volumes are on `gp3-protected` (reclaim Retain,
 * tagged with the protected tag: the snapshot runbook snapshots them before they can go) and whose pods
 * must spread over the AZs (`DoNotSchedule`: three replicas never share an AZ). Velero's daily
 * schedule backs up every namespace, this one included (addons.ts).
 */
export class RabbitMq extends Construct {
  readonly chart: eks.HelmChart;
  readonly rabbitmqCluster: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: RabbitMqProps) {
    super(scope, id);
    const { cluster, config: c, chart: ch } = props;

    // Values keys from bitnami/charts bitnami/rabbitmq-cluster-operator README parameters
    // (msgTopologyOperator.enabled, default true).
    this.chart = cluster.addHelmChart('Operator', {
      chart: ch.chart,
      repository: ch.repository,
      version: ch.version,
      namespace: ch.namespace,
      release: ch.chart,
      createNamespace: true,
      values: {
        msgTopologyOperator: { enabled: false },
        // The chart's default image (docker.io/bitnami/rabbitmq-cluster-operator) is gone from Docker Hub
        // (bitnami/containers#83267; bitnami/charts#36459): run the upstream operator image of the same
        // version (appVersion 2.9.0). The chart's deployment runs `/manager`, the upstream image's binary
        // (templates/cluster-operator/deployment.yaml in bitnami/charts at 011ccfe).
        clusterOperator: {
          image: { registry: 'docker.io', repository: 'rabbitmqoperator/cluster-operator', tag: '2.9.0' },
        },
      },
      // The RabbitmqCluster below needs the operator's CRD.
      wait: true,
      timeout: Duration.minutes(10),
    });
    for (const d of props.installAfter ?? []) this.chart.node.addDependency(d);

    // The operator labels every pod of a cluster `app.kubernetes.io/name: <cluster name>`.
    const pods = { matchLabels: { 'app.kubernetes.io/name': RABBITMQ_CLUSTER_NAME } };
    this.rabbitmqCluster = cluster.addManifest(
      'Cluster',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.namespace } },
      {
        apiVersion: 'rabbitmq.com/v1beta1',
        kind: 'RabbitmqCluster',
        metadata: { name: RABBITMQ_CLUSTER_NAME, namespace: c.namespace },
        spec: {
          replicas: c.replicas,
          image: c.image,
          persistence: { storageClassName: PROTECTED_STORAGE_CLASS, storage: `${c.storageGiB}Gi` },
          override: {
            statefulSet: {
              spec: {
                template: {
                  spec: {
                    containers: [],
                    topologySpreadConstraints: [
                      {
                        maxSkew: 1,
                        topologyKey: 'topology.kubernetes.io/zone',
                        whenUnsatisfiable: 'DoNotSchedule',
                        labelSelector: pods,
                      },
                      {
                        maxSkew: 1,
                        topologyKey: 'kubernetes.io/hostname',
                        whenUnsatisfiable: 'ScheduleAnyway',
                        labelSelector: pods,
                      },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    );
    this.rabbitmqCluster.node.addDependency(this.chart);
  }
}
