import { HelmRelease } from '@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2';
import { Kustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1';
import { Receiver } from '@kubernetes-models/flux-cd/notification.toolkit.fluxcd.io/v1';
import {
  GitRepository,
  HelmRepository,
  OCIRepository,
} from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
import type { Template } from 'aws-cdk-lib/assertions';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { ClusterRole, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
} & Record<string, unknown>;

/**
 * kubernetes-models classes, generated from the Kubernetes OpenAPI schemas and Flux's CRD schemas:
 * the independent oracle for every manifest the platform or the gitops/ starter emits.
 */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/Ingress': Ingress,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'source.toolkit.fluxcd.io/v1/GitRepository': GitRepository,
  'source.toolkit.fluxcd.io/v1/HelmRepository': HelmRepository,
  'source.toolkit.fluxcd.io/v1/OCIRepository': OCIRepository,
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': Kustomization,
  'helm.toolkit.fluxcd.io/v2/HelmRelease': HelmRelease,
  'notification.toolkit.fluxcd.io/v1/Receiver': Receiver,
};

/** Validates one object against its model; throws naming the object and the failing path. Unknown kinds throw too. */
export function validateK8s(obj: K8sObject): void {
  const model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!model) throw new Error(`no model for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name})`);
  try {
    new model(obj as never).validate();
  } catch (e) {
    throw new Error(`${obj.kind} ${obj.metadata?.name}: ${(e as Error).message}`);
  }
}

/** `{Fn::Join}` / `{Ref}` / `{Fn::GetAtt}` → text, tokens rendered as `${LogicalId}` / `${LogicalId.Attr}`. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref) return `\${${v.Ref}}`;
  if (v['Fn::GetAtt']) return `\${${v['Fn::GetAtt'].join('.')}}`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(flatten).join(v['Fn::Join'][0]);
  return '<unresolved>';
}

/** Every object of every `addManifest` custom resource in the template. */
export function clusterManifests(template: Template): K8sObject[] {
  const found = template.findResources('Custom::AWSCDK-EKS-KubernetesResource') as Record<
    string,
    { Properties: { Manifest: unknown } }
  >;
  return Object.values(found).flatMap((r) => JSON.parse(flatten(r.Properties.Manifest)) as K8sObject[]);
}
