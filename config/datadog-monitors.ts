import type { StageConfig } from './schema.js';

/**
 * The platform's Datadog monitors, as code, in one list. Each carries exactly one `runbook:` tag:
 * the runbook its alert starts through the intake (the tag is a generic fact the Datadog normaliser
 * reads; the intake's policy maps it), or `runbook:notify-only` when no runbook can help and people
 * must act. The platform stack emits each as a `Datadog::Monitors::Monitor` per stage
 * (infra/constructs/platform/monitors.ts); `ops doctor` lists them through `datadogWiring`.
 *
 * Scope: Kubernetes metrics by `kube_cluster_name` (the Datadog agent sets it from the cluster name;
 * cluster-level metrics such as `kubernetes_state.pod.unschedulable` carry no host tags), AWS metrics
 * by the `stage:<stage>` resource tag every stack applies and Datadog's AWS integration imports, the
 * database by its `dbinstanceidentifier`. Every monitor also carries `env:<stage>` and `stage:<stage>`.
 *
 * Metric names: Datadog's Kubernetes State Metrics core check (`kubernetes_state.*`), kubelet check
 * (`kubernetes.kubelet.volume.stats.*`), NGINX Ingress Controller check (`nginx_ingress.controller.*`),
 * AWS RDS and ACM integrations (`aws.rds.*`, `aws.certificatemanager.*`).
 */

/** The tag value of a monitor that starts no runbook. */
export const NOTIFY_ONLY = 'notify-only';

export interface PlatformMonitorSpec {
  /** Stable key: the construct id and `ops doctor`'s name for it. */
  readonly key: string;
  /** Monitor name; `[platform-<stage>] ` is prefixed. */
  readonly title: string;
  readonly type: 'query alert' | 'event-v2 alert';
  readonly query: string;
  readonly thresholds: { readonly critical: number; readonly warning?: number };
  /** What it means and what people should do; the webhook and alert handles are appended. */
  readonly message: string;
  /** Monitor-specific tags: exactly one `runbook:<name>` or `runbook:notify-only`, plus any others. */
  readonly tags: readonly string[];
  /** 1 (highest) … 5. */
  readonly priority: 1 | 2 | 3 | 4 | 5;
}

const GiB = 1024 ** 3;

/** The platform monitors of one stage. */
export function platformMonitorSpecs(stage: StageConfig): PlatformMonitorSpec[] {
  const cluster = `${stage.name}-platform`;
  const db = `${stage.name}-platform`;
  const s = stage.name;
  const freeStorageFloor = Math.round(stage.platform.rds.allocatedStorageGiB * GiB * 0.1);
  const freeStorageWarn = Math.round(stage.platform.rds.allocatedStorageGiB * GiB * 0.2);
  return [
    {
      key: 'pods-unschedulable',
      title: `Pods unschedulable on ${cluster}`,
      type: 'query alert',
      query: `max(last_10m):sum:kubernetes_state.pod.unschedulable{kube_cluster_name:${cluster}} by {kube_cluster_name} > 3`,
      thresholds: { critical: 3, warning: 1 },
      message:
        'Pods on {{kube_cluster_name.name}} cannot be scheduled: the cluster is out of room. The automation raises the node group that is at its maximum (scale-node-group), within its configured ceiling.',
      tags: ['runbook:scale-node-group'],
      priority: 2,
    },
    {
      key: 'nodegroup-at-max',
      title: `Node group at its maximum on ${cluster}`,
      type: 'event-v2 alert',
      query: `events("source:kubernetes kube_cluster_name:${cluster} \\"max node group size reached\\"").rollup("count").by("kube_cluster_name").last("10m") > 0`,
      thresholds: { critical: 0 },
      message:
        'cluster-autoscaler on {{kube_cluster_name.name}} wanted to scale up but a node group is at its maximum size. The automation raises it (scale-node-group), within its configured ceiling.',
      tags: ['runbook:scale-node-group'],
      priority: 2,
    },
    {
      key: 'node-not-ready',
      title: `Node not ready on ${cluster}`,
      type: 'query alert',
      query: `max(last_10m):sum:kubernetes_state.node.by_condition{kube_cluster_name:${cluster},condition:ready,status:false} by {kube_cluster_name,node} >= 1`,
      thresholds: { critical: 1 },
      message:
        'Node {{node.name}} on {{kube_cluster_name.name}} has been NotReady for 10 minutes. No runbook replaces nodes: check the node (kubectl describe node) and its EC2 instance; the managed node group replaces unhealthy instances.',
      tags: [`runbook:${NOTIFY_ONLY}`],
      priority: 2,
    },
    {
      key: 'pvc-nearly-full',
      title: `Persistent volume nearly full on ${cluster}`,
      type: 'query alert',
      query: `max(last_15m):max:kubernetes.kubelet.volume.stats.used_bytes{kube_cluster_name:${cluster}} by {kube_cluster_name,kube_namespace,persistentvolumeclaim} / max:kubernetes.kubelet.volume.stats.capacity_bytes{kube_cluster_name:${cluster}} by {kube_cluster_name,kube_namespace,persistentvolumeclaim} > 0.9`,
      thresholds: { critical: 0.9, warning: 0.8 },
      message:
        'Volume {{persistentvolumeclaim.name}} in {{kube_namespace.name}} is over 90% full. The automation snapshots it first (snapshot-volume), so its data is safe before anyone expands or cleans it; then expand the PVC or free space.',
      tags: ['runbook:snapshot-volume'],
      priority: 2,
    },
    {
      key: 'rds-free-storage',
      title: `RDS ${db} free storage low`,
      type: 'query alert',
      query: `min(last_15m):min:aws.rds.free_storage_space{dbinstanceidentifier:${db}} < ${freeStorageFloor}`,
      thresholds: { critical: freeStorageFloor, warning: freeStorageWarn },
      message: `Database ${db} has less than 10% of its ${stage.platform.rds.allocatedStorageGiB} GiB free. Raise allocatedStorageGiB in the stage configuration (or enable storage autoscaling) and deploy.`,
      tags: [`runbook:${NOTIFY_ONLY}`],
      priority: 1,
    },
    {
      key: 'rds-cpu',
      title: `RDS ${db} CPU high`,
      type: 'query alert',
      query: `avg(last_15m):avg:aws.rds.cpuutilization{dbinstanceidentifier:${db}} > 90`,
      thresholds: { critical: 90, warning: 80 },
      message: `Database ${db} has used over 90% CPU for 15 minutes. Look for slow queries (Performance Insights) before resizing the instance class.`,
      tags: [`runbook:${NOTIFY_ONLY}`],
      priority: 2,
    },
    {
      key: 'rds-replica-lag',
      title: `RDS replica lag in ${s}`,
      type: 'query alert',
      query: `max(last_10m):max:aws.rds.replica_lag{stage:${s},engine:mysql} by {dbinstanceidentifier} > 300`,
      thresholds: { critical: 300, warning: 60 },
      message:
        'Read replica {{dbinstanceidentifier.name}} is over 5 minutes behind its source: reads from it are stale. Check write load on the source and the replica class.',
      tags: [`runbook:${NOTIFY_ONLY}`],
      priority: 2,
    },
    {
      key: 'ingress-5xx',
      title: `Ingress 5xx rate high on ${cluster}`,
      type: 'query alert',
      query: `sum(last_5m):sum:nginx_ingress.controller.requests{kube_cluster_name:${cluster},status:5*}.as_count() / sum:nginx_ingress.controller.requests{kube_cluster_name:${cluster}}.as_count() > 0.05`,
      thresholds: { critical: 0.05, warning: 0.02 },
      message:
        'Over 5% of requests through the ingress (the NLB in front of ingress-nginx) answered 5xx in 5 minutes. Check the failing ingress and its backends.',
      tags: [`runbook:${NOTIFY_ONLY}`],
      priority: 1,
    },
    {
      key: 'certificate-expiry',
      title: `Certificate expiring in ${s}`,
      type: 'query alert',
      query: `min(last_1h):min:aws.certificatemanager.days_to_expiry{stage:${s}} by {certificatearn} < 14`,
      thresholds: { critical: 14, warning: 30 },
      message:
        'An ACM certificate of this stage expires within 14 days and has not renewed. DNS-validated certificates renew on their own: check that the validation CNAME records still exist.',
      tags: [`runbook:${NOTIFY_ONLY}`],
      priority: 1,
    },
  ];
}

/** The runbook tag value of a monitor, or undefined when it has none (or more than one). */
export function runbookTagOf(tags: readonly string[]): string | undefined {
  const values = tags.filter((t) => t.startsWith('runbook:')).map((t) => t.slice('runbook:'.length));
  return values.length === 1 ? values[0] : undefined;
}
