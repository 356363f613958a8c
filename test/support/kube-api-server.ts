import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Event, Namespace, PersistentVolumeClaim, Pod } from 'kubernetes-models/v1';
import { selfSignedCert } from './self-signed-cert.js';

/**
 * A Kubernetes API stand-in over real HTTPS on 127.0.0.1, refusing what the real API server
 * refuses, for the operations the automation uses. Its knowledge comes from the official specs
 * (test/fixtures/kubernetes, see SOURCE.md), not from the client under test:
 *
 * - routes: the paths and methods of the Kubernetes OpenAPI excerpts (apps/v1, v1), and the REST
 *   paths a CRD gets (Velero `restores.velero.io`); anything else is 404, another method 405;
 * - authentication: `Authorization: Bearer <token>` checked by the test's `authenticate` (401);
 * - authorisation: RBAC evaluated from the Role / ClusterRole / (Cluster)RoleBinding objects the
 *   test passes in (taken from the synthesised manifests), 403 otherwise;
 * - content types: PATCH only with the types the spec lists for the operation (custom resources:
 *   no strategic merge patch, as the real server), POST with JSON, 415 otherwise;
 * - bodies: the spec's request schema (ajv), then the resulting object against its schema
 *   (apps kinds: `kubernetes-models`, generated from the official schemas; custom resources: the
 *   CRD's openAPIV3Schema), 422 with the failing path otherwise. With `fieldValidation=Strict`
 *   unknown fields are refused too (the server's behaviour for that query parameter);
 * - an in-memory object store: GET after PATCH / POST shows the change; a list (pods, PVCs in a
 *   namespace) returns the stored objects of that namespace; deleting a Namespace removes what is in
 *   it and answers `Terminating` to the next GET of it (as finalisation takes a moment), then 404.
 * - the service proxy (`…/services/{name}/proxy/{path}`, a `connect` operation of the spec): RBAC `get`
 *   on `services/proxy` with the `{name}` segment (`<service>:<port>`) as the resource name, then the
 *   request goes to the backend a test registered with `serviceBackend` (the restored workload's
 *   answer, status and body passed through as the API server does); no such Service: 404; no backend
 *   on that port: 503 (the server's "no endpoints available").
 *
 * Not implemented (answered 501, so a test notices): JSON patch, apply patch, watch, other deletes.
 */

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures', 'kubernetes');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

interface SpecOperation {
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  'x-kubernetes-action': string;
}
interface AppsSpec {
  components: { schemas: Record<string, Json> };
  paths: Record<string, Record<string, SpecOperation>>;
}
interface CrdExcerpt {
  group: string;
  version: string;
  scope: string;
  names: { kind: string; plural: string };
  openAPIV3Schema: Obj;
}

export interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

export interface UserInfo {
  readonly username: string;
  readonly groups: readonly string[];
}

export interface KubeApiServerOptions {
  /** Bearer token → who it is, or undefined (401). */
  readonly authenticate: (token: string) => UserInfo | undefined;
  /** Roles, ClusterRoles and their bindings in force. */
  readonly rbac: readonly RbacObject[];
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType?: string;
  readonly body?: unknown;
  readonly status: number;
}

/** What a Service's pods answer a proxied GET: status and body (passed through by the API server). */
export type ServiceBackend = (path: string) => { status: number; body: string; delayMs?: number };

export interface KubeApiServer {
  readonly url: string;
  /** PEM of the CA that signed the server's certificate (self-signed). */
  readonly ca: string;
  readonly requests: RecordedRequest[];
  /** Puts an object into the store (by apiVersion, kind, namespace, name). */
  put(obj: Obj): void;
  /** The stored object at an API path, or undefined. */
  get(apiPath: string): Obj | undefined;
  /** Removes the stored object at an API path (a workload someone deleted). */
  remove(apiPath: string): void;
  /**
   * A Service in `namespace` whose pods answer on `port` (what a restore brought back); the service proxy
   * routes to it. Deleting the namespace removes it.
   */
  serviceBackend(namespace: string, service: string, port: number, backend: ServiceBackend): void;
  /** The next `count` requests are answered `code` (e.g. 503 during a control-plane upgrade). */
  failNext(count: number, code: number): void;
  close(): Promise<void>;
}

interface Route {
  readonly pattern: RegExp;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly collection: boolean;
  /** Cluster-scoped (Namespace): no namespace in the path. */
  readonly clusterScoped?: boolean;
  /** A `connect` subresource (`proxy`): RBAC resource `<plural>/<subresource>`, the request goes to a backend. */
  readonly subresource?: string;
  /** method (lower case) → the RBAC verb, from the spec's `x-kubernetes-action` (post → create). */
  readonly verbs?: Record<string, string>;
  /** method (lower case) → accepted request content types → body schema validator. */
  readonly operations: Record<string, Record<string, ValidateFunction> | null>;
  /** Validates a whole object of this kind (after a patch, or a created one). */
  readonly validateObject: (obj: Obj, strict: boolean) => string | undefined;
}

const ajv = new Ajv({ strict: false, allErrors: false, logger: false, validateFormats: false });

/** kubernetes-models classes (generated from the official schemas) for the kinds the excerpts serve. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment,
  StatefulSet,
  ConfigMap,
  Pod,
  PersistentVolumeClaim,
  Namespace,
  Event,
};

/**
 * Field selectors the API server accepts per kind (its field label conversion functions): every kind
 * takes `metadata.name` and `metadata.namespace`; core/v1 Event also these (pkg/apis/core/v1/conversion.go).
 * Another label is refused with 400, as the real server refuses it.
 */
const FIELD_LABELS: Record<string, Record<string, (o: Obj) => Json | undefined>> = {
  Event: {
    'involvedObject.kind': (o) => (o.involvedObject as Obj | undefined)?.kind,
    'involvedObject.namespace': (o) => (o.involvedObject as Obj | undefined)?.namespace,
    'involvedObject.name': (o) => (o.involvedObject as Obj | undefined)?.name,
    'involvedObject.uid': (o) => (o.involvedObject as Obj | undefined)?.uid,
    'involvedObject.apiVersion': (o) => (o.involvedObject as Obj | undefined)?.apiVersion,
    'involvedObject.resourceVersion': (o) => (o.involvedObject as Obj | undefined)?.resourceVersion,
    'involvedObject.fieldPath': (o) => (o.involvedObject as Obj | undefined)?.fieldPath,
    reason: (o) => o.reason,
    reportingComponent: (o) => o.reportingComponent,
    source: (o) => (o.source as Obj | undefined)?.component,
    type: (o) => o.type,
  },
};

/** A field selector (`a=b,c!=d`) as a filter, or the server's refusal message. */
function fieldFilter(kind: string, selector: string | null): ((o: Obj) => boolean) | string {
  if (!selector) return () => true;
  const labels: Record<string, (o: Obj) => Json | undefined> = {
    'metadata.name': (o) => (o.metadata as Obj | undefined)?.name,
    'metadata.namespace': (o) => (o.metadata as Obj | undefined)?.namespace,
    ...(FIELD_LABELS[kind] ?? {}),
  };
  const terms: ((o: Obj) => boolean)[] = [];
  for (const term of selector.split(',')) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) return `invalid selector: '${selector}'; can't understand '${term}'`;
    const [, label, op, value] = m as unknown as [string, string, string, string];
    const read = labels[label];
    if (!read) return `field label not supported: ${label}`;
    terms.push((o) => (String(read(o) ?? '') === value) === (op !== '!='));
  }
  return (o) => terms.every((t) => t(o));
}

/** `x-kubernetes-action` → the RBAC verb the API server checks. */
const ACTION_VERB: Record<string, string> = { post: 'create', put: 'update' };

/**
 * Routes of an OpenAPI excerpt: namespaced `…/namespaces/{namespace}/<plural>/{name}` items,
 * namespaced `…/namespaces/{namespace}/<plural>` collections (list), and cluster-scoped
 * `…/<plural>/{name}` items (Namespace), of the core or a named group.
 */
function specRoutes(file: string): Route[] {
  const spec = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as AppsSpec;
  return Object.entries(spec.paths).map(([template, ops]) => {
    const proxy =
      /^\/api\/(v[0-9a-z]+)\/namespaces\/\{namespace\}\/([a-z]+)\/\{name\}\/proxy\/\{path\}$/.exec(template);
    if (proxy) {
      const [, version, plural] = proxy as unknown as [string, string, string];
      const verbs: Record<string, string> = {};
      for (const [method, op] of Object.entries(ops)) {
        // A `connect` action is authorised with the HTTP method's verb (GET → get) on the subresource.
        if (op['x-kubernetes-action'] !== 'connect') throw new Error(`unexpected action on ${template}`);
        verbs[method] = VERB[method] ?? method;
      }
      return {
        pattern: new RegExp(
          `^/api/${version}/namespaces/(?<namespace>[^/]+)/${plural}/(?<name>[^/]+)/proxy/(?<path>.*)$`,
        ),
        group: '',
        version,
        plural,
        kind: 'ServiceProxyOptions',
        collection: false,
        subresource: 'proxy',
        verbs,
        operations: Object.fromEntries(Object.keys(ops).map((m) => [m, null])),
        validateObject: () => 'a proxy request has no object',
      } satisfies Route;
    }
    const m =
      /^\/(api|apis\/([a-z0-9.-]+))\/(v[0-9a-z]+)\/(?:namespaces\/\{namespace\}\/([a-z]+)(\/\{name\})?|([a-z]+)\/\{name\})$/.exec(
        template,
      );
    if (!m) throw new Error(`unexpected path in ${file}: ${template}`);
    const prefix = m[1] as string;
    const group = m[2] ?? '';
    const version = m[3] as string;
    const clusterScoped = m[6] !== undefined;
    const plural = (m[4] ?? m[6]) as string;
    const collection = !clusterScoped && m[5] === undefined;
    const operations: Route['operations'] = {};
    const verbs: Record<string, string> = {};
    let kind = '';
    for (const [method, op] of Object.entries(ops)) {
      kind = (op as unknown as { 'x-kubernetes-group-version-kind': { kind: string } })[
        'x-kubernetes-group-version-kind'
      ].kind;
      const action = op['x-kubernetes-action'];
      verbs[method] = ACTION_VERB[action] ?? action;
      operations[method] = op.requestBody
        ? Object.fromEntries(
            Object.entries(op.requestBody.content).map(([type, { schema }]) => {
              const name = schema.$ref.replace('#/components/schemas/', '');
              const s = spec.components.schemas[name];
              if (!s) throw new Error(`schema ${name} missing from the excerpt`);
              return [type, ajv.compile(s as object)];
            }),
          )
        : null;
    }
    const model = MODELS[kind];
    if (!model) throw new Error(`no kubernetes-models class for ${kind}`);
    const base = `^/${prefix.replace(/\./g, '\\.')}/${version}`;
    return {
      pattern: new RegExp(
        clusterScoped
          ? `${base}/${plural}/(?<name>[^/]+)$`
          : `${base}/namespaces/(?<namespace>[^/]+)/${plural}${collection ? '' : '/(?<name>[^/]+)'}$`,
      ),
      group,
      version,
      plural,
      kind,
      collection,
      clusterScoped,
      verbs,
      operations,
      validateObject: (obj) => {
        try {
          new model(obj as never).validate();
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    };
  });
}

/** Every object schema with properties refuses other fields (fieldValidation=Strict), unless it preserves unknown fields. */
function strictSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Obj = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, strictSchema(v)]));
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function crdRoutes(file: string): Route[] {
  const crd = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as CrdExcerpt;
  if (crd.scope !== 'Namespaced') throw new Error('only namespaced CRDs are served');
  const lenient = ajv.compile(crd.openAPIV3Schema);
  const strict = ajv.compile(strictSchema(crd.openAPIV3Schema) as object);
  const apiVersion = `${crd.group}/${crd.version}`;
  const validateObject = (obj: Obj, isStrict: boolean): string | undefined => {
    if (obj.apiVersion !== apiVersion || obj.kind !== crd.names.kind) {
      return `apiVersion/kind must be ${apiVersion}/${crd.names.kind}`;
    }
    const v = isStrict ? strict : lenient;
    if (v(obj)) return undefined;
    const e = v.errors?.[0];
    return `${e?.instancePath || '/'} ${e?.message ?? 'invalid'}${e?.params ? ` ${JSON.stringify(e.params)}` : ''}`;
  };
  const base = `^/apis/${crd.group.replace(/\./g, '\\.')}/${crd.version}/namespaces/(?<namespace>[^/]+)/${crd.names.plural}`;
  // The content types a custom resource accepts: JSON for create; no strategic merge patch.
  const json = { 'application/json': ajv.compile({ type: 'object' }) };
  const common = {
    group: crd.group,
    version: crd.version,
    plural: crd.names.plural,
    kind: crd.names.kind,
    validateObject,
  };
  return [
    { ...common, pattern: new RegExp(`${base}$`), collection: true, operations: { post: json } },
    {
      ...common,
      pattern: new RegExp(`${base}/(?<name>[^/]+)$`),
      collection: false,
      operations: {
        get: null,
        patch: {
          'application/merge-patch+json': ajv.compile({ type: 'object' }),
          'application/json-patch+json': ajv.compile({ type: 'array' }),
          'application/apply-patch+yaml': ajv.compile({ type: 'object' }),
        },
      },
    },
  ];
}

const VERB: Record<string, string> = {
  get: 'get',
  patch: 'patch',
  post: 'create',
  put: 'update',
  delete: 'delete',
};

/** RBAC as the API server evaluates it: any binding of the user or one of its groups whose role has a matching rule. */
export function rbacAllows(
  rbac: readonly RbacObject[],
  user: UserInfo,
  req: {
    verb: string;
    apiGroup: string;
    resource: string;
    namespace?: string;
    name?: string;
    clusterScoped?: boolean;
  },
): boolean {
  const isSubject = (s: { kind: string; name: string }) =>
    (s.kind === 'Group' && user.groups.includes(s.name)) || (s.kind === 'User' && s.name === user.username);
  const roleRules = (ref: { kind: string; name: string }, namespace?: string) =>
    rbac.find(
      (o) =>
        o.kind === ref.kind &&
        o.metadata.name === ref.name &&
        (ref.kind === 'ClusterRole' || o.metadata.namespace === namespace),
    )?.rules ?? [];
  const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);
  const matches = (rule: NonNullable<RbacObject['rules']>[number]) =>
    has(rule.apiGroups, req.apiGroup) &&
    has(rule.resources, req.resource) &&
    has(rule.verbs, req.verb) &&
    (!rule.resourceNames ||
      rule.resourceNames.length === 0 ||
      (req.name !== undefined && rule.resourceNames.includes(req.name)));
  return rbac.some((b) => {
    if (!b.roleRef || !(b.subjects ?? []).some(isSubject)) return false;
    if (b.kind === 'ClusterRoleBinding') return roleRules(b.roleRef).some(matches);
    if (b.kind === 'RoleBinding') {
      return (
        b.metadata.namespace === req.namespace && roleRules(b.roleRef, b.metadata.namespace).some(matches)
      );
    }
    return false;
  });
}

/** RFC 7386 merge patch (also what a strategic merge patch does to maps). */
function mergePatch(target: Json, patch: Json): Json {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Obj = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

function containsListOrDirective(v: Json): boolean {
  if (Array.isArray(v)) return true;
  if (v && typeof v === 'object')
    return Object.entries(v).some(([k, x]) => k.startsWith('$') || containsListOrDirective(x));
  return false;
}

let certCache: { key: string; cert: string } | undefined;
function kubeApiCert(): { key: string; cert: string } {
  certCache ??= selfSignedCert('kube-api-stand-in', ['IP:127.0.0.1']);
  return certCache;
}

function status(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export async function startKubeApiServer(options: KubeApiServerOptions): Promise<KubeApiServer> {
  const routes = [
    ...specRoutes('apis__apps__v1_openapi.excerpt.json'),
    ...specRoutes('api__v1_openapi.excerpt.json'),
    ...crdRoutes('velero.io_restores.v1.excerpt.json'),
  ];
  const store = new Map<string, Obj>();
  const requests: RecordedRequest[] = [];
  const failures = { count: 0, code: 503 };
  /** `namespace/service` → port → backend. */
  const backends = new Map<string, Map<number, ServiceBackend>>();
  let resourceVersion = 1000;
  const keyOf = (group: string, plural: string, namespace: string, name: string) =>
    `${group}/${plural}/${namespace}/${name}`;
  const pluralOf = (kind: string) => routes.find((r) => r.kind === kind)?.plural;

  const { key, cert } = kubeApiCert();
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type']?.split(';')[0]?.trim();
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const method = (req.method ?? 'GET').toLowerCase();
      const send = (code: number, body: Obj) => {
        let parsedBody: unknown = raw;
        try {
          parsedBody = raw ? JSON.parse(raw) : undefined;
        } catch {
          // keep raw
        }
        requests.push({
          method: method.toUpperCase(),
          path: `${url.pathname}${url.search}`,
          ...(contentType ? { contentType } : {}),
          ...(raw ? { body: parsedBody } : {}),
          status: code,
        });
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (failures.count > 0) {
        failures.count -= 1;
        return send(failures.code, status(failures.code, 'ServiceUnavailable', 'injected failure'));
      }
      // Authentication.
      const auth = req.headers.authorization ?? '';
      let user: UserInfo | undefined;
      try {
        user = auth.startsWith('Bearer ') ? options.authenticate(auth.slice('Bearer '.length)) : undefined;
      } catch {
        user = undefined; // a token the authenticator cannot read is no identity
      }
      if (!user) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
      // Route.
      let route: Route | undefined;
      let params: Record<string, string> = {};
      for (const r of routes) {
        const m = r.pattern.exec(url.pathname);
        if (m) {
          route = r;
          params = Object.fromEntries(
            Object.entries(m.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]),
          );
          break;
        }
      }
      if (!route)
        return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      if (!(method in route.operations)) {
        return send(
          405,
          status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`),
        );
      }
      const fieldValidation = url.searchParams.get('fieldValidation');
      if (fieldValidation !== null && !['Ignore', 'Warn', 'Strict'].includes(fieldValidation)) {
        return send(400, status(400, 'BadRequest', `fieldValidation must be one of Ignore, Warn, Strict`));
      }
      const strict = fieldValidation === 'Strict';
      const namespace = route.clusterScoped ? '' : (params.namespace as string);
      const name = params.name;
      // Authorisation.
      const verb = route.verbs?.[method] ?? VERB[method] ?? method;
      const resourceLabel = route.group === '' ? route.plural : `${route.plural}.${route.group}`;
      const rbacResource = route.subresource ? `${route.plural}/${route.subresource}` : route.plural;
      if (
        !rbacAllows(options.rbac, user, {
          verb,
          apiGroup: route.group,
          resource: rbacResource,
          namespace,
          ...(name ? { name } : {}),
          ...(route.clusterScoped ? { clusterScoped: true } : {}),
        })
      ) {
        return send(
          403,
          status(
            403,
            'Forbidden',
            `${resourceLabel}${name ? ` "${name}"` : ''} is forbidden: User "${user.username}" cannot ${verb} resource "${rbacResource}" in API group "${route.group}" ${route.clusterScoped ? 'at the cluster scope' : `in the namespace "${namespace}"`}`,
          ),
        );
      }
      // Request body.
      const accepted = route.operations[method];
      let body: Json = null;
      if (accepted) {
        if (!contentType || !(contentType in accepted)) {
          return send(
            415,
            status(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: ${Object.keys(accepted).join(', ')}`,
            ),
          );
        }
        try {
          body = JSON.parse(raw) as Json;
        } catch (err) {
          return send(400, status(400, 'BadRequest', `the body is not JSON: ${(err as Error).message}`));
        }
        const v = accepted[contentType] as ValidateFunction;
        if (!v(body))
          return send(
            422,
            status(
              422,
              'Invalid',
              `request body ${v.errors?.[0]?.instancePath || '/'} ${v.errors?.[0]?.message}`,
            ),
          );
      }
      if (!accepted && raw.length > 0)
        return send(400, status(400, 'BadRequest', 'the stand-in accepts no body on this operation'));
      if (route.subresource === 'proxy') {
        // `[scheme:]name[:port]`, as the API server reads a proxy's {name}.
        const parts = (name ?? '').split(':');
        const [svc, port] = parts.length === 3 ? [parts[1], parts[2]] : [parts[0], parts[1]];
        const ports = backends.get(`${namespace}/${svc}`);
        if (!ports) return send(404, status(404, 'NotFound', `services "${svc}" not found`));
        const backend = ports.get(Number(port ?? 80));
        if (!backend)
          return send(503, status(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`));
        const answer = backend(`/${params.path ?? ''}${url.search}`);
        requests.push({
          method: method.toUpperCase(),
          path: `${url.pathname}${url.search}`,
          status: answer.status,
        });
        // A slow workload answers late (the client's bound decides); a closed connection is not an error here.
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(answer.status, { 'content-type': 'text/plain' });
          res.end(answer.body);
        }, answer.delayMs ?? 0);
        return;
      }
      const storeKey = keyOf(route.group, route.plural, namespace, name ?? '');
      if (method === 'get' && route.collection) {
        const prefix = keyOf(route.group, route.plural, namespace, '');
        const filter = fieldFilter(route.kind, url.searchParams.get('fieldSelector'));
        if (typeof filter === 'string') return send(400, status(400, 'BadRequest', filter));
        const all = [...store.entries()]
          .filter(([k]) => k.startsWith(prefix))
          .map(([, v]) => v)
          .filter(filter);
        // limit / continue: pages of the filtered list; the token is opaque to clients (here an offset).
        const limit = Number(url.searchParams.get('limit') ?? 0);
        const from = Number(url.searchParams.get('continue') ?? 0);
        const items = limit > 0 ? all.slice(from, from + limit) : all.slice(from);
        const more = limit > 0 && from + limit < all.length;
        return send(200, {
          apiVersion: route.version,
          kind: `${route.kind}List`,
          metadata: {
            resourceVersion: String(resourceVersion),
            ...(more ? { continue: String(from + limit) } : {}),
          },
          items,
        });
      }
      if (method === 'get' && route.kind === 'Namespace') {
        const obj = store.get(storeKey);
        if (!obj) return send(404, status(404, 'NotFound', `${resourceLabel} "${name}" not found`));
        // A deleted namespace answers Terminating once, then it is gone.
        if ((obj.status as Obj | undefined)?.phase === 'Terminating') store.delete(storeKey);
        return send(200, obj);
      }
      if (method === 'delete' && route.kind === 'Namespace') {
        const obj = store.get(storeKey);
        if (!obj) return send(404, status(404, 'NotFound', `${resourceLabel} "${name}" not found`));
        for (const k of [...store.keys()]) if (k.split('/')[2] === name) store.delete(k);
        for (const k of [...backends.keys()]) if (k.split('/')[0] === name) backends.delete(k);
        const terminating: Obj = {
          ...obj,
          metadata: {
            ...(obj.metadata as Obj),
            deletionTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          },
          status: { phase: 'Terminating' },
        };
        store.set(storeKey, terminating);
        return send(200, terminating);
      }
      if (method === 'get') {
        const obj = store.get(storeKey);
        if (!obj) return send(404, status(404, 'NotFound', `${resourceLabel} "${name}" not found`));
        return send(200, obj);
      }
      if (method === 'patch') {
        const obj = store.get(storeKey);
        if (!obj) return send(404, status(404, 'NotFound', `${resourceLabel} "${name}" not found`));
        if (
          contentType === 'application/json-patch+json' ||
          contentType?.startsWith('application/apply-patch')
        ) {
          return send(501, status(501, 'NotImplemented', `the stand-in does not implement ${contentType}`));
        }
        if (contentType === 'application/strategic-merge-patch+json' && containsListOrDirective(body)) {
          return send(
            501,
            status(501, 'NotImplemented', 'the stand-in merges maps only (no lists or $patch directives)'),
          );
        }
        const patched = mergePatch(obj, body) as Obj;
        const problem = route.validateObject(patched, strict);
        if (problem)
          return send(
            422,
            status(422, 'Invalid', `${route.kind}.${route.group} "${name}" is invalid: ${problem}`),
          );
        const meta = patched.metadata as Obj;
        if (JSON.stringify(patched.spec) !== JSON.stringify(obj.spec))
          meta.generation = Number((obj.metadata as Obj).generation ?? 1) + 1;
        meta.resourceVersion = String(++resourceVersion);
        store.set(storeKey, patched);
        return send(200, patched);
      }
      if (method === 'post') {
        const obj = body as Obj;
        const meta = (obj.metadata ?? {}) as Obj;
        if (meta.namespace !== undefined && meta.namespace !== namespace) {
          return send(
            400,
            status(
              400,
              'BadRequest',
              'the namespace of the provided object does not match the namespace sent on the request',
            ),
          );
        }
        const problem = route.validateObject(obj, strict);
        if (problem)
          return send(
            422,
            status(
              422,
              'Invalid',
              `${route.kind}.${route.group} "${String(meta.name)}" is invalid: ${problem}`,
            ),
          );
        if (typeof meta.name !== 'string' || !meta.name)
          return send(422, status(422, 'Invalid', 'metadata.name: Required value'));
        const k = keyOf(route.group, route.plural, namespace, meta.name);
        if (store.has(k))
          return send(409, status(409, 'AlreadyExists', `${resourceLabel} "${meta.name}" already exists`));
        const created: Obj = {
          ...obj,
          metadata: {
            ...meta,
            namespace,
            uid: `uid-${++resourceVersion}`,
            resourceVersion: String(resourceVersion),
            generation: 1,
            creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          },
        };
        store.set(k, created);
        return send(201, created);
      }
      return send(501, status(501, 'NotImplemented', `the stand-in does not implement ${method}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert,
    requests,
    put(obj) {
      // `apps/v1` → group `apps`; `v1` → the core group ``.
      const apiVersion = String(obj.apiVersion);
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      const meta = obj.metadata as Obj;
      const plural = pluralOf(String(obj.kind));
      if (!plural) throw new Error(`the stand-in serves no ${String(obj.kind)}`);
      const model = MODELS[String(obj.kind)];
      if (model) new model(obj as never).validate(); // a test's fixture must be a valid object too
      store.set(keyOf(group, plural, String(meta.namespace ?? ''), String(meta.name)), structuredClone(obj));
    },
    get(apiPath) {
      for (const r of routes) {
        const m = r.pattern.exec(apiPath);
        if (m && !r.collection)
          return store.get(keyOf(r.group, r.plural, m.groups?.namespace ?? '', m.groups?.name as string));
      }
      return undefined;
    },
    remove(apiPath) {
      for (const r of routes) {
        const m = r.pattern.exec(apiPath);
        if (m && !r.collection)
          store.delete(keyOf(r.group, r.plural, m.groups?.namespace ?? '', m.groups?.name as string));
      }
    },
    serviceBackend(namespace, service, port, backend) {
      const ports = backends.get(`${namespace}/${service}`) ?? new Map<number, ServiceBackend>();
      ports.set(port, backend);
      backends.set(`${namespace}/${service}`, ports);
    },
    failNext(count, code) {
      failures.count = count;
      failures.code = code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
