import type { Resource, Severity, Signal } from '../../signal.js';
import {
  compactDetails,
  compactStrings,
  finalise,
  type NormaliseOptions,
  nonEmpty,
  oneLine,
  parseOrThrow,
  requireIso,
} from '../shared.js';
import { actorFromIdentity } from './actor.js';
import { CLOUDTRAIL_CONSOLE_SIGN_IN, CloudTrailEventSchema, type CloudTrailRecord } from './schema.js';
import { at, isObject, isWorldCidr, items, securityFacts, str } from './security.js';

type DetailValue = string | number | boolean | string[];
type Loose = Record<string, unknown>;

/** KMS calls that always deserve a human's attention, whoever made them (the rest are in security.ts). */
const SECURITY_CALLS: Readonly<Record<string, string>> = {
  'kms.amazonaws.com:ScheduleKeyDeletion': 'KMS key scheduled for deletion',
  'kms.amazonaws.com:DisableKey': 'KMS key disabled',
};

function num(obj: unknown, key: string): number | undefined {
  if (!isObject(obj)) return undefined;
  const value = obj[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf` → `<name>`; a plain name stays as it is. */
export function secretNameFromId(secretId: string): string {
  const arn = /^arn:aws[a-z-]*:secretsmanager:[^:]*:\d{12}:secret:(.+)$/.exec(secretId);
  if (!arn?.[1]) return secretId;
  // Full ARNs end with a hyphen and six random characters that are not part of the name.
  return arn[1].replace(/-[A-Za-z0-9]{6}$/, '');
}

/** Every CIDR an AuthorizeSecurityGroupIngress call opened, across the request shapes CloudTrail records. */
export function ingressCidrs(
  request: Loose | null | undefined,
  response: Loose | null | undefined,
): string[] {
  const found = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string' && value !== '') found.add(value);
  };
  add(request?.cidrIp);
  add(request?.cidrIpv6);
  for (const permission of items(request?.ipPermissions)) {
    if (!isObject(permission)) continue;
    for (const range of items(permission.ipRanges)) if (isObject(range)) add(range.cidrIp);
    for (const range of items(permission.ipv6Ranges)) if (isObject(range)) add(range.cidrIpv6);
  }
  for (const rule of items(response?.securityGroupRuleSet)) {
    if (!isObject(rule) || rule.isEgress === true) continue;
    add(rule.cidrIpv4);
    add(rule.cidrIpv6);
  }
  return [...found];
}

/** Ids of the ingress rules in an AuthorizeSecurityGroupIngress response that are open to the world. */
export function worldOpenRuleIds(response: Loose | null | undefined): string[] {
  const ids: string[] = [];
  for (const rule of items(response?.securityGroupRuleSet)) {
    if (!isObject(rule) || rule.isEgress === true) continue;
    const cidr = str(rule, 'cidrIpv4') ?? str(rule, 'cidrIpv6');
    const id = str(rule, 'securityGroupRuleId');
    if (id && cidr && isWorldCidr(cidr)) ids.push(id);
  }
  return ids;
}

function ingressPorts(request: Loose | null | undefined): { protocol?: string; from?: number; to?: number } {
  const first = items(request?.ipPermissions).find(isObject);
  return {
    protocol: str(request, 'ipProtocol') ?? str(first, 'ipProtocol'),
    from: num(request, 'fromPort') ?? num(first, 'fromPort'),
    to: num(request, 'toPort') ?? num(first, 'toPort'),
  };
}

interface Facts {
  resource: Omit<Resource, 'attributes'> & { attributes: Record<string, string> };
  details: Record<string, DetailValue | undefined>;
  /** Set when the call is security-relevant: why, in a few words. */
  alert?: string;
  /** What changed, in words people read (security calls only). */
  change?: string;
  what: string;
}

function loadBalancerNameFromArn(arn: string): string | undefined {
  return (
    /:loadbalancer\/(?:app|net|gwy)\/([^/]+)\//.exec(arn)?.[1] ?? /:loadbalancer\/([^/]+)$/.exec(arn)?.[1]
  );
}

/**
 * BatchGetSecretValue names its secrets in `secretIdList` (names or ARNs) or selects them with
 * `filters` (Secrets Manager API reference, BatchGetSecretValue); there is no `secretId`. The signal
 * lists every named secret; a filter read names none (Secrets Manager also records one GetSecretValue
 * per secret it returns, which names each).
 */
function batchSecretReadFacts(
  request: Loose | undefined,
  base: { region: string; account: string | undefined },
): Facts {
  const secretIds = items(request?.secretIdList).filter(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  const secretNames = [...new Set(secretIds.map(secretNameFromId))];
  const filters = items(request?.filters)
    .filter(isObject)
    .map(
      (f) =>
        `${str(f, 'key') ?? '?'}=${items(f.values)
          .filter((v) => typeof v === 'string')
          .join('|')}`,
    );
  const id =
    secretNames.length === 1
      ? (secretNames[0] as string)
      : secretNames.length
        ? `${secretNames.length} secrets`
        : 'secrets-by-filter';
  return {
    resource: at(
      base,
      'secret',
      id,
      compactStrings({ secretNames: secretNames.join(','), filters: filters.join(', ') || undefined }),
    ),
    details: { secretIds, secretNames, ...(filters.length ? { secretFilters: filters } : {}) },
    what: secretNames.length
      ? `secret${secretNames.length > 1 ? 's' : ''} ${secretNames.join(', ')}`
      : `secrets selected by filter ${filters.join(', ') || '(none given)'}`,
  };
}

/** The resource a call is about and the request facts policy needs, per API. */
function factsFor(record: CloudTrailRecord, region: string, account: string | undefined): Facts {
  const request = record.requestParameters ?? undefined;
  const response = record.responseElements ?? undefined;
  const firstArn = record.resources?.find((r) => nonEmpty(r.ARN))?.ARN;
  const key = `${record.eventSource}:${record.eventName}`;
  const base = { region, account };

  const security = securityFacts(record, base);
  if (security) return security;

  if (record.eventSource === 'secretsmanager.amazonaws.com' && record.eventName === 'BatchGetSecretValue') {
    return batchSecretReadFacts(request, base);
  }

  if (record.eventSource === 'secretsmanager.amazonaws.com') {
    const secretId = str(request, 'secretId') ?? str(request, 'name') ?? firstArn;
    if (secretId) {
      const secretName = secretNameFromId(secretId);
      return {
        resource: at(base, 'secret', secretName, compactStrings({ secretName, secretId })),
        details: { secretId, secretName, versionStage: str(request, 'versionStage') },
        what: `secret ${secretName}`,
      };
    }
  }

  if (record.eventSource === 'ec2.amazonaws.com' && /Volume$/.test(record.eventName)) {
    const volumeId = str(request, 'volumeId') ?? str(response, 'volumeId');
    if (volumeId) {
      const instanceId = str(request, 'instanceId') ?? str(response, 'instanceId');
      return {
        resource: at(base, 'ebs-volume', volumeId, compactStrings({ volumeId, instanceId })),
        details: {
          volumeId,
          instanceId,
          device: str(request, 'device') ?? str(response, 'device'),
          force: isObject(request) && typeof request.force === 'boolean' ? request.force : undefined,
        },
        what: `volume ${volumeId}`,
      };
    }
  }

  if (record.eventSource === 'ec2.amazonaws.com' && /SecurityGroup(Ingress|Egress)$/.test(record.eventName)) {
    const groupId = str(request, 'groupId') ?? str(request, 'groupName');
    if (groupId) {
      const cidrs = ingressCidrs(request, response);
      const worldOpen = record.eventName === 'AuthorizeSecurityGroupIngress' && cidrs.some(isWorldCidr);
      const ports = ingressPorts(request);
      return {
        resource: at(base, 'security-group', groupId, compactStrings({ groupId })),
        details: {
          groupId,
          cidrs,
          cidr: cidrs.find(isWorldCidr) ?? cidrs[0],
          worldOpen,
          ipProtocol: ports.protocol,
          fromPort: ports.from,
          toPort: ports.to,
          // The rules the call added that are open to the world (the response's securityGroupRuleSet, when recorded).
          worldOpenRuleIds: worldOpen ? worldOpenRuleIds(response) : undefined,
        },
        alert: worldOpen ? 'security group opened to the world' : undefined,
        change: worldOpen
          ? `ingress ${ports.protocol ?? 'all'} ${ports.from ?? ''}${ports.to !== ports.from ? `-${ports.to ?? ''}` : ''} opened to ${cidrs.find(isWorldCidr)}`
          : undefined,
        what: `security group ${groupId}${worldOpen ? ` (${cidrs.find(isWorldCidr)})` : ''}`,
      };
    }
  }

  if (record.eventSource === 'elasticloadbalancing.amazonaws.com' && /LoadBalancer$/.test(record.eventName)) {
    const created = items(response?.loadBalancers).find(isObject);
    const arn = str(created, 'loadBalancerArn') ?? str(request, 'loadBalancerArn');
    const name =
      str(request, 'name') ??
      str(request, 'loadBalancerName') ??
      str(created, 'loadBalancerName') ??
      (arn ? loadBalancerNameFromArn(arn) : undefined);
    if (name) {
      const dnsName = str(created, 'dNSName') ?? str(response, 'dNSName');
      const lbType = str(created, 'type') ?? str(request, 'type');
      const scheme = str(created, 'scheme') ?? str(request, 'scheme');
      return {
        resource: at(
          base,
          'load-balancer',
          name,
          compactStrings({
            loadBalancerName: name,
            loadBalancerArn: arn,
            dnsName,
            type: lbType,
            scheme,
          }),
        ),
        details: {
          loadBalancerName: name,
          loadBalancerArn: arn,
          loadBalancerDnsName: dnsName,
          loadBalancerType: lbType,
          scheme,
          canonicalHostedZoneId: str(created, 'canonicalHostedZoneId'),
        },
        what: `load balancer ${name}`,
      };
    }
  }

  if (record.eventSource === 'kms.amazonaws.com') {
    const keyId = str(request, 'keyId') ?? str(response, 'keyId');
    const keyArn = firstArn ?? (keyId?.startsWith('arn:') ? keyId : undefined) ?? str(response, 'keyId');
    const id = keyArn ?? keyId;
    if (id) {
      return {
        resource: at(base, 'kms-key', id, compactStrings({ keyId, keyArn })),
        details: {
          keyId,
          keyArn,
          pendingWindowInDays: num(request, 'pendingWindowInDays'),
          keyState: str(response, 'keyState'),
        },
        alert: SECURITY_CALLS[key],
        what: `KMS key ${keyId ?? id}`,
      };
    }
  }

  const id = firstArn ?? `${record.eventSource.replace(/\.amazonaws\.com$/, '')}/${record.eventName}`;
  return {
    resource: at(base, 'unknown', id, {}),
    details: {},
    alert: SECURITY_CALLS[key],
    what: firstArn ?? record.eventSource,
  };
}

/** Console link to the event in CloudTrail's event history. */
export function cloudTrailLink(region: string, eventId: string): string {
  return `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events/${encodeURIComponent(eventId)}`;
}

function severityOf(alert: string | undefined, errorCode: string | undefined): Severity {
  if (!alert) return 'info';
  // An attempt that AWS refused changed nothing, but someone tried: tell people, less loudly.
  return errorCode ? 'warning' : 'critical';
}

function actorLabel(signal: Pick<Signal, 'actor'>): string {
  const actor = signal.actor;
  if (!actor) return 'someone';
  if (actor.type === 'root') return 'root';
  if (actor.roleName) return `${actor.roleName}${actor.name ? `/${actor.name}` : ''}`;
  return actor.name ?? actor.id ?? actor.type;
}

function signInSignal(
  record: CloudTrailRecord,
  envelope: { id: string; account?: string },
  raw: unknown,
  options: NormaliseOptions,
): Signal {
  const region = record.awsRegion;
  const account = record.recipientAccountId ?? record.userIdentity.accountId ?? envelope.account ?? 'unknown';
  const actor = actorFromIdentity(record.userIdentity, record.sourceIPAddress, options.automationRolePrefix);
  const result = str(record.responseElements, 'ConsoleLogin');
  const mfaUsed = str(record.additionalEventData, 'MFAUsed');
  const succeeded = result ? result === 'Success' : !record.errorCode && !record.errorMessage;
  const isRoot = actor.type === 'root';
  // An IAM user's password sign-in shows MFA here; federated and Identity Center sign-ins do their MFA at the
  // identity provider, so CloudTrail records MFAUsed "No" for them whatever happened there.
  const passwordUser = record.userIdentity.type === 'IAMUser';
  const withoutMfa = succeeded && passwordUser && mfaUsed === 'No';
  const severity: Severity = isRoot
    ? succeeded
      ? 'critical'
      : 'warning'
    : withoutMfa || !succeeded
      ? 'warning'
      : 'info';
  const who = actorLabel({ actor });
  const outcome = succeeded ? 'succeeded' : 'failed';
  const mfa = mfaUsed === 'Yes' ? 'with MFA' : mfaUsed === 'No' ? 'without MFA' : 'MFA unknown';
  return finalise(
    {
      source: 'cloudtrail',
      kind: 'cloudtrail.console-sign-in',
      resource: { type: 'account', id: account, region, account, attributes: {} },
      severity,
      occurredAt: requireIso(record.eventTime, 'cloudtrail', 'detail.eventTime'),
      correlationId: record.eventID,
      actor,
      details: compactDetails({
        eventName: record.eventName,
        eventSource: record.eventSource,
        loginResult: result ?? (succeeded ? 'Success' : 'Failure'),
        succeeded,
        mfaUsed: mfaUsed === undefined ? undefined : mfaUsed === 'Yes',
        root: isRoot,
        withoutMfa: withoutMfa || (isRoot && succeeded && mfaUsed === 'No'),
        errorCode: record.errorCode,
        errorMessage: record.errorMessage,
        userAgent: record.userAgent,
        eventBridgeId: envelope.id,
      }),
      link: cloudTrailLink(region, record.eventID),
      summary: oneLine(
        `${isRoot ? 'Root' : who} console sign-in ${outcome} (${mfa}) from ${actor.sourceIp ?? 'unknown IP'} in account ${account}`,
      ),
      raw,
    },
    'cloudtrail',
  );
}

/** CloudTrail via EventBridge → Signal. */
export function normaliseCloudTrail(raw: unknown, options: NormaliseOptions = {}): Signal {
  const event = parseOrThrow(CloudTrailEventSchema, raw, 'cloudtrail', 'CloudTrail event');
  const record = event.detail;
  if (event['detail-type'] === CLOUDTRAIL_CONSOLE_SIGN_IN) return signInSignal(record, event, raw, options);

  const region = record.awsRegion;
  const account = record.recipientAccountId ?? event.account ?? record.userIdentity.accountId;
  const facts = factsFor(record, region, account);
  const actor = actorFromIdentity(record.userIdentity, record.sourceIPAddress, options.automationRolePrefix);
  const severity = severityOf(facts.alert, record.errorCode);
  const failed = record.errorCode ? ` (failed: ${record.errorCode})` : '';
  const alert = facts.alert ? `${facts.alert}: ` : '';
  const details: Record<string, DetailValue | undefined> = {
    eventName: record.eventName,
    eventSource: record.eventSource,
    errorCode: record.errorCode,
    errorMessage: record.errorMessage,
    readOnly: record.readOnly,
    userAgent: record.userAgent,
    mfaAuthenticated:
      record.userIdentity.sessionContext?.attributes?.mfaAuthenticated === undefined
        ? undefined
        : record.userIdentity.sessionContext?.attributes?.mfaAuthenticated === 'true',
    securityRelevant: facts.alert !== undefined,
    securityReason: facts.alert,
    eventBridgeId: event.id,
    ...facts.details,
    change: facts.change,
  };
  return finalise(
    {
      source: 'cloudtrail',
      kind: 'cloudtrail.api-call',
      resource: facts.resource,
      severity,
      occurredAt: requireIso(record.eventTime, 'cloudtrail', 'detail.eventTime'),
      correlationId: record.eventID,
      actor,
      details: compactDetails(details),
      link: cloudTrailLink(region, record.eventID),
      summary: oneLine(
        `${alert}${record.eventName} on ${facts.what} by ${actorLabel({ actor })}${failed}${facts.alert && facts.change ? ` (${facts.change})` : ''}`,
      ),
      raw,
    },
    'cloudtrail',
  );
}
