import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { OpsLogger } from '../shared/powertools.js';
import * as z from '../shared/zod-mini.js';
import {
  KubeApiError,
  type KubeClient,
  RESTARTED_AT_ANNOTATION,
  type VeleroRestore,
  type WorkloadKind,
} from './client.js';

/**
 * The one in-VPC path to the Kubernetes API: every runbook's Kubernetes action is a `step` of
 * this function. Pure core: the client and logger come in as arguments.
 *
 * Defence in depth: the RBAC Role of the function's Kubernetes group already limits what it can
 * do (infra/constructs/automation/kube-access.ts); the core checks the stage's allow-list again
 * before any call, so a wrong payload is refused with a clear error and never reaches the API.
 */

/** What infra passes in (env `KUBE_SETTINGS`), from the stage config. */
export const KubeSettings = z.object({
  /** Workloads automation may restart, `namespace/kind/name` (kind: deployment or statefulset). */
  restartWorkloads: z.array(z.string()),
  /** Where Velero runs and its Restore objects live. */
  veleroNamespace: z.string().check(z.minLength(1)),
  /** A restore may only write into namespaces starting with this (scratch namespaces of restore tests). */
  restoreNamespacePrefix: z.string().check(z.minLength(1)),
  /**
   * The exact scratch namespaces the Velero restore test uses (one per checked namespace, fixed names
   * known at deploy time). Only these may be inspected or deleted; the RBAC names them too.
   */
  scratchNamespaces: z.optional(z.array(z.string())),
  /**
   * The restore test's readiness probes, `<scratch namespace>/<service>:<port>`: the only Services the
   * `probe-scratch-service` step may GET through the API server's proxy (the RBAC names the same).
   */
  scratchProbes: z.optional(z.array(z.string())),
  /** Where cluster-autoscaler runs and writes its status ConfigMap. */
  autoscalerNamespace: z.string().check(z.minLength(1)),
  /**
   * The workloads' namespaces (config `automation.sweeps.workloadNamespaces`) whose Events the
   * node-groups sweep counts; the RBAC grants `list` on `events` in exactly these.
   */
  eventNamespaces: z.optional(z.array(z.string())),
});

/**
 * The Event reasons that say a pod could not be placed: the scheduler's `FailedScheduling`, and
 * cluster-autoscaler's `NotTriggerScaleUp` (it would not add a node, e.g. "max node group size reached").
 */
export const UNSCHEDULABLE_REASONS = ['FailedScheduling', 'NotTriggerScaleUp'] as const;
/** Events per page, and pages per namespace and reason, at most (a longer listing is refused, not judged). */
export const EVENT_PAGE_LIMIT = 250;
export const EVENT_MAX_PAGES = 10;

/** cluster-autoscaler's `--status-config-map-name` default. */
export const AUTOSCALER_STATUS_CONFIGMAP = 'cluster-autoscaler-status';
/** The annotation cluster-autoscaler stamps on its status ConfigMap at each write. */
const AUTOSCALER_LAST_UPDATED = 'cluster-autoscaler.kubernetes.io/last-updated';
export type KubeSettings = z.infer<typeof KubeSettings>;

const dns1123 = z
  .string()
  .check(z.maxLength(63), z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'not a DNS-1123 label'));

/** A Service name (DNS-1035 label: starts with a letter). */
export const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** A probe path: absolute, plain characters only (no query, no percent-encoding), no `..` segment. */
export const PROBE_PATH = /^\/[A-Za-z0-9._~/-]*$/;
export const probePathProblem = (p: string): string | undefined =>
  !PROBE_PATH.test(p)
    ? 'a probe path starts with "/" and holds only letters, digits and . _ ~ / -'
    : p.split('/').includes('..')
      ? 'a probe path has no ".." segment'
      : undefined;
/** The probe's own bound; under the function's 30 s timeout. */
export const PROBE_MAX_TIMEOUT_SECONDS = 20;

export const KubeEvent = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('restart-workload'),
    executionName: z.string(),
    /** `namespace/kind/name`. */
    workload: z.string(),
    /** The run's start time: a retried or repeated step sends the same value (no second rollout). */
    restartedAt: z.iso.datetime({ offset: true }),
  }),
  z.object({
    step: z.literal('create-velero-restore'),
    executionName: z.string(),
    name: dns1123,
    backupName: z.string().check(z.minLength(1), z.maxLength(253)),
    /** Backup namespace → scratch namespace; every restored namespace must be mapped. */
    namespaceMapping: z.record(dns1123, dns1123),
  }),
  z.object({
    step: z.literal('get-velero-restore'),
    executionName: z.string(),
    name: dns1123,
  }),
  z.object({
    step: z.literal('inspect-scratch-namespace'),
    executionName: z.string(),
    namespace: dns1123,
  }),
  z.object({
    step: z.literal('probe-scratch-service'),
    executionName: z.string(),
    namespace: dns1123,
    probe: z.object({
      service: z.string().check(z.maxLength(63), z.regex(SERVICE_NAME, 'not a DNS-1035 label')),
      port: z.number().check(z.int(), z.minimum(1), z.maximum(65535)),
      path: z.string().check(
        z.maxLength(1024),
        z.superRefine((p, ctx) => {
          const problem = probePathProblem(p);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      ),
      expectStatus: z._default(z.number().check(z.int(), z.minimum(100), z.maximum(599)), 200),
      timeoutSeconds: z._default(
        z.number().check(z.int(), z.minimum(1), z.maximum(PROBE_MAX_TIMEOUT_SECONDS)),
        5,
      ),
    }),
  }),
  z.object({
    step: z.literal('delete-scratch-namespace'),
    executionName: z.string(),
    namespace: dns1123,
  }),
  z.object({
    step: z.literal('get-autoscaler-status'),
    executionName: z.string(),
  }),
  z.object({
    step: z.literal('count-unschedulable-events'),
    executionName: z.string(),
    /** Only events last seen at or after this instant count (the sweep passes now − 2 intervals). */
    since: z.iso.datetime({ offset: true }),
  }),
]);
export type KubeEvent = z.infer<typeof KubeEvent>;

/** A request outside the stage's allow-list: refused before any API call. */
export class NotAllowListedError extends Error {
  override readonly name = 'NotAllowListedError';
}

const KINDS = new Set<WorkloadKind>(['deployment', 'statefulset']);

export interface WorkloadRef {
  readonly namespace: string;
  readonly kind: WorkloadKind;
  readonly name: string;
}

/** `namespace/kind/name` → its parts; kind is deployment or statefulset. */
export function parseWorkloadRef(ref: string): WorkloadRef {
  const parts = ref.split('/');
  const [namespace, rawKind, name] = parts;
  const kind = rawKind?.toLowerCase() as WorkloadKind | undefined;
  if (parts.length !== 3 || !namespace || !name || !kind || !KINDS.has(kind)) {
    throw new NotAllowListedError(
      `workload "${ref}" must be namespace/kind/name with kind deployment or statefulset`,
    );
  }
  return { namespace, kind, name };
}

/** RFC 3339 to the second, as `kubectl rollout restart` writes it (`time.Now().Format(time.RFC3339)`). */
export function rfc3339Seconds(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface KubeDeps {
  readonly client: KubeClient;
  readonly settings: KubeSettings;
  readonly logger: OpsLogger;
}

export type KubeResult =
  | { step: 'restart-workload'; workload: string; restartedAt: string; generation?: number }
  | {
      step: 'create-velero-restore' | 'get-velero-restore';
      name: string;
      phase: string;
      restore: VeleroRestore;
    }
  | { step: 'get-autoscaler-status'; status: string; lastUpdated?: string }
  | UnschedulableEvidence
  | ScratchInspection
  | ProbeResult
  | { step: 'delete-scratch-namespace'; namespace: string; deleted: true; alreadyGone: boolean };

/**
 * Counts only, never pod specs or names: per namespace, how many distinct pods had a recent
 * `FailedScheduling` or `NotTriggerScaleUp` event, and the newest such event's time.
 */
export interface UnschedulableEvidence {
  step: 'count-unschedulable-events';
  since: string;
  namespaces: { namespace: string; failedScheduling: number; notTriggerScaleUp: number; pods: number }[];
  /** Distinct pods over every namespace. */
  pods: number;
  newest?: string;
}

/** When an Event was last seen: the newest of its series, last, event and creation times. */
function lastSeen(e: CoreEvent): number {
  const t = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  return t ? Date.parse(t) : Number.NaN;
}

/** What a restore left in its scratch namespace: pods (ready or not) and PVCs (bound or not). */
export interface ScratchInspection {
  step: 'inspect-scratch-namespace';
  namespace: string;
  exists: boolean;
  /** `Active`, `Terminating`, or absent when the namespace does not exist. */
  phase?: string;
  pods: { name: string; phase: string; ready: boolean }[];
  pvcs: { name: string; phase: string }[];
  readyPods: number;
  boundPvcs: number;
}

/**
 * A readiness probe's outcome: the Service's status and how many bytes it answered, never the body.
 * `ok`: the status is the one expected. `answeredBy`: `service` (the Service's own answer), `api-server
 * (<reason>)` when the API server answered itself (no such Service, no endpoints), or `nobody (timeout)`
 * when there was no answer within the probe's bound (`status` 0).
 */
export interface ProbeResult {
  step: 'probe-scratch-service';
  namespace: string;
  target: string;
  path: string;
  ok: boolean;
  expectStatus: number;
  status: number;
  bytes: number;
  truncated: boolean;
  timedOut: boolean;
  answeredBy: string;
  ms: number;
}

/** Only the scratch namespaces this stage's restore test owns, by exact name (and prefix, twice). */
function scratchOnly(settings: KubeSettings, namespace: string): void {
  const exact = settings.scratchNamespaces ?? [];
  if (!namespace.startsWith(settings.restoreNamespacePrefix) || !exact.includes(namespace)) {
    throw new NotAllowListedError(
      `"${namespace}" is not one of this stage's scratch namespaces (${exact.join(', ') || 'none configured'})`,
    );
  }
}

export async function runKubeStep(input: unknown, deps: KubeDeps): Promise<KubeResult> {
  const event = KubeEvent.parse(input);
  const { client, settings, logger } = deps;
  logger.appendKeys({ correlationId: event.executionName, step: event.step });

  switch (event.step) {
    case 'restart-workload': {
      const ref = parseWorkloadRef(event.workload);
      const canonical = `${ref.namespace}/${ref.kind}/${ref.name}`;
      const allowed = new Set(
        settings.restartWorkloads.map((w) => {
          const p = parseWorkloadRef(w);
          return `${p.namespace}/${p.kind}/${p.name}`;
        }),
      );
      if (!allowed.has(canonical)) {
        throw new NotAllowListedError(`${canonical} is not in this stage's restart allow-list`);
      }
      const restartedAt = rfc3339Seconds(event.restartedAt);
      // Read first (as kubectl does): a missing workload is a clear refusal, not a failed patch.
      const before = await client.getWorkload(ref.namespace, ref.kind, ref.name);
      const current = before.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
      if (current === restartedAt) {
        logger.info('workload already restarted by this run', { workload: canonical, restartedAt });
        return { step: event.step, workload: canonical, restartedAt, ...generation(before) };
      }
      const after = await client.restartWorkload(ref.namespace, ref.kind, ref.name, restartedAt);
      logger.info('workload restarted', { workload: canonical, restartedAt });
      return { step: event.step, workload: canonical, restartedAt, ...generation(after) };
    }
    case 'create-velero-restore': {
      const sources = Object.keys(event.namespaceMapping);
      if (sources.length === 0) throw new NotAllowListedError('a restore must map at least one namespace');
      const outside = Object.values(event.namespaceMapping).filter(
        (t) => !t.startsWith(settings.restoreNamespacePrefix),
      );
      if (outside.length > 0) {
        throw new NotAllowListedError(
          `restores may only write into namespaces starting with "${settings.restoreNamespacePrefix}"; refused: ${outside.join(', ')}`,
        );
      }
      // With the restore test's fixed scratch namespaces configured, only those: a restore must land
      // where the automation can inspect and delete it (the RBAC names exactly these).
      const exact = settings.scratchNamespaces;
      const unowned = exact ? Object.values(event.namespaceMapping).filter((t) => !exact.includes(t)) : [];
      if (unowned.length > 0) {
        throw new NotAllowListedError(
          `restores may only write into this stage's scratch namespaces (${(exact ?? []).join(', ')}); refused: ${unowned.join(', ')}`,
        );
      }
      const restore: VeleroRestore = {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: {
          name: event.name,
          namespace: settings.veleroNamespace,
          labels: { 'app.kubernetes.io/managed-by': 'ops-automation' },
        },
        spec: {
          backupName: event.backupName,
          // Only the mapped namespaces: nothing is restored in place.
          includedNamespaces: sources.sort(),
          namespaceMapping: event.namespaceMapping,
          restorePVs: true,
        },
      };
      let created: VeleroRestore;
      try {
        created = await client.createRestore(restore);
      } catch (err) {
        // Every event may arrive twice: the same name is the same restore, already created.
        if (!(err instanceof KubeApiError && err.status === 409)) throw err;
        created = await client.getRestore(settings.veleroNamespace, event.name);
      }
      logger.info('velero restore requested', { restore: event.name, backup: event.backupName });
      return { step: event.step, name: event.name, phase: created.status?.phase ?? 'New', restore: created };
    }
    case 'count-unschedulable-events': {
      const since = Date.parse(event.since);
      const namespaces = settings.eventNamespaces ?? [];
      if (namespaces.length === 0) {
        throw new NotAllowListedError(
          'no workload namespaces are configured for event reads (eventNamespaces)',
        );
      }
      const out: UnschedulableEvidence['namespaces'] = [];
      const allPods = new Set<string>();
      let newest = Number.NaN;
      for (const namespace of namespaces) {
        const counts = { failedScheduling: 0, notTriggerScaleUp: 0 };
        const pods = new Set<string>();
        for (const reason of UNSCHEDULABLE_REASONS) {
          const seen = new Set<string>();
          let token: string | undefined;
          let pages = 0;
          do {
            if (++pages > EVENT_MAX_PAGES) {
              throw new Error(
                `events ${reason} in ${namespace}: more than ${EVENT_MAX_PAGES} pages; refusing to judge a partial listing`,
              );
            }
            const list = await client.listEvents(namespace, reason, {
              limit: EVENT_PAGE_LIMIT,
              ...(token ? { continue: token } : {}),
            });
            for (const e of list.items ?? []) {
              // The API filtered by reason already; a stray one (an older server) is not evidence.
              if (e.reason !== reason || e.involvedObject?.kind !== 'Pod') continue;
              const at = lastSeen(e);
              if (!(at >= since)) continue;
              const pod = `${e.involvedObject.namespace ?? namespace}/${e.involvedObject.name ?? e.involvedObject.uid ?? ''}`;
              seen.add(pod);
              pods.add(pod);
              allPods.add(pod);
              if (Number.isNaN(newest) || at > newest) newest = at;
            }
            token = list.metadata?.continue || undefined;
          } while (token);
          if (reason === 'FailedScheduling') counts.failedScheduling = seen.size;
          else counts.notTriggerScaleUp = seen.size;
        }
        out.push({ namespace, ...counts, pods: pods.size });
      }
      return {
        step: event.step,
        since: new Date(since).toISOString(),
        namespaces: out,
        pods: allPods.size,
        ...(Number.isNaN(newest) ? {} : { newest: new Date(newest).toISOString() }),
      };
    }
    case 'get-autoscaler-status': {
      const cm = await client.getConfigMap(settings.autoscalerNamespace, AUTOSCALER_STATUS_CONFIGMAP);
      const lastUpdated = cm.metadata?.annotations?.[AUTOSCALER_LAST_UPDATED];
      return { step: event.step, status: cm.data?.status ?? '', ...(lastUpdated ? { lastUpdated } : {}) };
    }
    case 'inspect-scratch-namespace': {
      scratchOnly(settings, event.namespace);
      let phase: string | undefined;
      try {
        phase = (await client.getNamespace(event.namespace)).status?.phase ?? 'Active';
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 404)) throw err;
        return {
          step: event.step,
          namespace: event.namespace,
          exists: false,
          pods: [],
          pvcs: [],
          readyPods: 0,
          boundPvcs: 0,
        };
      }
      const [podList, pvcList] = await Promise.all([
        client.listPods(event.namespace),
        client.listPersistentVolumeClaims(event.namespace),
      ]);
      const pods = (podList.items ?? []).map((p) => ({
        name: p.metadata?.name ?? '',
        phase: p.status?.phase ?? 'Unknown',
        ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      }));
      const pvcs = (pvcList.items ?? []).map((c) => ({
        name: c.metadata?.name ?? '',
        phase: c.status?.phase ?? 'Pending',
      }));
      return {
        step: event.step,
        namespace: event.namespace,
        exists: true,
        phase,
        pods,
        pvcs,
        readyPods: pods.filter((p) => p.ready).length,
        boundPvcs: pvcs.filter((c) => c.phase === 'Bound').length,
      };
    }
    case 'probe-scratch-service': {
      scratchOnly(settings, event.namespace);
      const { service, port, path, expectStatus, timeoutSeconds } = event.probe;
      const target = `${service}:${port}`;
      const probes = settings.scratchProbes ?? [];
      if (!probes.includes(`${event.namespace}/${target}`)) {
        throw new NotAllowListedError(
          `${event.namespace}/${target} is not one of this stage's restore-test probes (${probes.join(', ') || 'none configured'})`,
        );
      }
      const started = Date.now();
      const base = { step: event.step, namespace: event.namespace, target, path, expectStatus };
      try {
        const answer = await client.probeService(event.namespace, service, port, path, timeoutSeconds * 1000);
        const out: ProbeResult = {
          ...base,
          ok: answer.status === expectStatus,
          status: answer.status,
          bytes: answer.bytes,
          truncated: answer.truncated,
          timedOut: false,
          answeredBy: answer.apiReason ? `api-server (${answer.apiReason})` : 'service',
          ms: Date.now() - started,
        };
        logger.info('readiness probe answered', { ...out });
        return out;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.reason === 'Timeout')) throw err;
        const out: ProbeResult = {
          ...base,
          ok: false,
          status: 0,
          bytes: 0,
          truncated: false,
          timedOut: true,
          answeredBy: 'nobody (timeout)',
          ms: Date.now() - started,
        };
        logger.info('readiness probe timed out', { ...out });
        return out;
      }
    }
    case 'delete-scratch-namespace': {
      scratchOnly(settings, event.namespace);
      try {
        await client.deleteNamespace(event.namespace);
      } catch (err) {
        // Already gone (a retried step, or the restore never created it): that is the goal.
        if (err instanceof KubeApiError && err.status === 404)
          return { step: event.step, namespace: event.namespace, deleted: true, alreadyGone: true };
        throw err;
      }
      logger.info('scratch namespace deleted', { namespace: event.namespace });
      return { step: event.step, namespace: event.namespace, deleted: true, alreadyGone: false };
    }
    case 'get-velero-restore': {
      const restore = await client.getRestore(settings.veleroNamespace, event.name);
      return { step: event.step, name: event.name, phase: restore.status?.phase ?? 'New', restore };
    }
  }
}

function generation(w: { metadata?: { generation?: number } }): { generation?: number } {
  return w.metadata?.generation === undefined ? {} : { generation: w.metadata.generation };
}
