import { Duration } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct, type IDependable } from 'constructs';
import type * as z from 'zod';
import type { ChartSchema, ZoneSpreadConfig } from '../../../config/index.js';
import { disruptionValues, mergeValues } from './disruption.js';

type Chart = z.infer<typeof ChartSchema>;

export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';
export const ZONE_SPREAD_POLICY_NAME = 'statefulset-zone-spread';

export interface ZoneSpreadProps {
  readonly cluster: eks.Cluster;
  /** Config `platform.eks.charts.kyverno`, pinned. */
  readonly chart: Chart;
  readonly policy: ZoneSpreadConfig;
  /** Namespaces where the spread cannot hold (kube-system and every add-on's namespace). */
  readonly excludeNamespaces: readonly string[];
  /** Production runs three admission controller replicas (Kyverno's HA guidance), others one. */
  readonly highlyAvailable: boolean;
  readonly installAfter?: readonly IDependable[];
}

/**
 * The ClusterPolicy that makes three-AZ HA hold for data pods: every StatefulSet created or
 * updated outside the excluded namespaces gets a zone topology spread (`maxSkew: 1`,
 * `whenUnsatisfiable: DoNotSchedule`, its own selector) unless it already has a zone constraint,
 * and one whose zone constraint would still schedule anyway is refused (`Enforce`) or reported
 * (`Audit`). Kyverno's mutating webhook runs before its validating one, so the second rule only
 * refuses what the first could not fix (a zone constraint with `ScheduleAnyway`).
 * Field names: Kyverno's ClusterPolicy CRD (kyverno.io/v1) of the pinned chart.
 */
export function zoneSpreadPolicy(
  excludeNamespaces: readonly string[],
  failureAction: ZoneSpreadConfig['failureAction'],
) {
  const statefulSets = {
    any: [{ resources: { kinds: ['StatefulSet'], operations: ['CREATE', 'UPDATE'] } }],
  };
  const exclude = { any: [{ resources: { namespaces: [...excludeNamespaces] } }] };
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: {
      name: ZONE_SPREAD_POLICY_NAME,
      annotations: {
        'policies.kyverno.io/title': 'StatefulSets spread across availability zones',
        'policies.kyverno.io/subject': 'StatefulSet',
        'policies.kyverno.io/description':
          'Data pods keep three-AZ HA: StatefulSets carry a topology spread on topology.kubernetes.io/zone with whenUnsatisfiable DoNotSchedule.',
      },
    },
    spec: {
      background: true,
      rules: [
        {
          name: 'add-zone-spread',
          match: statefulSets,
          exclude,
          mutate: {
            patchStrategicMerge: {
              spec: {
                template: {
                  spec: {
                    // Added only when the StatefulSet has no topology spread of its own (`+()` anchor).
                    '+(topologySpreadConstraints)': [
                      {
                        maxSkew: 1,
                        topologyKey: ZONE_TOPOLOGY_KEY,
                        whenUnsatisfiable: 'DoNotSchedule',
                        labelSelector: { matchLabels: '{{ request.object.spec.selector.matchLabels }}' },
                      },
                    ],
                  },
                },
              },
            },
          },
        },
        {
          name: 'require-zone-spread',
          match: statefulSets,
          exclude,
          validate: {
            failureAction,
            message: `StatefulSets need a topologySpreadConstraint on ${ZONE_TOPOLOGY_KEY} with whenUnsatisfiable: DoNotSchedule (three-AZ HA for data pods; docs/eks-upgrade.md).`,
            deny: {
              conditions: {
                all: [
                  {
                    key: `{{ (request.object.spec.template.spec.topologySpreadConstraints || \`[]\`)[?topologyKey=='${ZONE_TOPOLOGY_KEY}' && whenUnsatisfiable=='DoNotSchedule'] | length(@) }}`,
                    operator: 'Equals',
                    value: 0,
                  },
                ],
              },
            },
          },
        },
      ],
    },
  };
}

/**
 * Kyverno (pinned chart, PodDisruptionBudgets on its controllers) and the StatefulSet zone-spread
 * ClusterPolicy. Kyverno's own webhooks already leave kube-system and its namespace alone
 * (chart values `config.webhooks`, `config.excludeKyvernoNamespace`); the policy also excludes
 * every add-on namespace, whose charts schedule their own pods.
 */
export class ZoneSpread extends Construct {
  readonly chart: eks.HelmChart;
  readonly policy: eks.KubernetesManifest;
  readonly excludedNamespaces: string[];

  constructor(scope: Construct, id: string, props: ZoneSpreadProps) {
    super(scope, id);
    const { cluster, chart } = props;
    const admissionReplicas = props.highlyAvailable ? 3 : 1;
    this.chart = cluster.addHelmChart('Kyverno', {
      chart: chart.chart,
      repository: chart.repository,
      version: chart.version,
      namespace: chart.namespace,
      release: chart.chart,
      createNamespace: true,
      values: mergeValues(
        {
          admissionController: {
            replicas: admissionReplicas,
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: ZONE_TOPOLOGY_KEY,
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'admission-controller' } },
              },
            ],
          },
        },
        disruptionValues('kyverno'),
      ),
      // The ClusterPolicy CRD must exist before the policy is applied.
      wait: true,
      timeout: Duration.minutes(10),
    });
    for (const d of props.installAfter ?? []) this.chart.node.addDependency(d);
    this.excludedNamespaces = [
      ...new Set([
        'kube-system',
        chart.namespace,
        ...props.excludeNamespaces,
        ...props.policy.excludeNamespaces,
      ]),
    ].sort();
    this.policy = cluster.addManifest(
      'StatefulSetZoneSpread',
      zoneSpreadPolicy(this.excludedNamespaces, props.policy.failureAction),
    );
    this.policy.node.addDependency(this.chart);
  }
}
