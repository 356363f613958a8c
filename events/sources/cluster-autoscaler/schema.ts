import * as z from 'zod';
import { EnvelopeSchema } from '../shared.js';

/**
 * Kubernetes Events from cluster-autoscaler, forwarded to EventBridge by resmoio/kubernetes-event-exporter's
 * EventBridge sink (see `events/samples/cluster-autoscaler/FORMATS.md`). Without a `details:` layout the
 * detail is the exporter's `EnhancedEvent` (core/v1 Event + `clusterName` + enriched `involvedObject`);
 * with one it is a flat map of strings. Both are accepted: only `reason` and `message` are required.
 */

/** The envelope values our exporter configuration sets (the sink has no defaults). */
export const KUBERNETES_EVENT_SOURCE = 'kubernetes-event-exporter';
export const KUBERNETES_EVENT_DETAIL_TYPE = 'Kubernetes Event';

const nullableTime = z.string().nullable().optional();

export const InvolvedObjectSchema = z.object({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  deleted: z.boolean().optional(),
});

export const KubernetesEventDetailSchema = z.object({
  metadata: z
    .object({
      name: z.string().optional(),
      namespace: z.string().optional(),
      uid: z.string().optional(),
      creationTimestamp: nullableTime,
    })
    .optional(),
  reason: z.string().min(1, 'a Kubernetes Event has a reason'),
  message: z.string(),
  source: z.object({ component: z.string().optional(), host: z.string().optional() }).optional(),
  firstTimestamp: nullableTime,
  lastTimestamp: nullableTime,
  eventTime: nullableTime,
  count: z.number().int().nonnegative().optional(),
  type: z.string().optional(),
  reportingComponent: z.string().optional(),
  clusterName: z.string().optional(),
  involvedObject: InvolvedObjectSchema.optional(),
  /** Flat `details:` layouts (README example): `namespace`, `object`, and our own `cluster`. */
  namespace: z.string().optional(),
  object: z.string().optional(),
  cluster: z.string().optional(),
});
export type KubernetesEventDetail = z.infer<typeof KubernetesEventDetailSchema>;

export const KubernetesEventSchema = EnvelopeSchema.extend({
  detail: KubernetesEventDetailSchema,
});
export type KubernetesEvent = z.infer<typeof KubernetesEventSchema>;
