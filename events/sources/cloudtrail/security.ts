import type { Resource } from '../../signal.js';
import { compactStrings } from '../shared.js';
import type { CloudTrailRecord } from './schema.js';

/**
 * CloudTrail calls that blind the account's defences or expose its data: the facts each one carries (which
 * resource, what changed) and whether the change is an incident. Decided from the request alone, so a
 * record read on its own is enough (no previous state is looked up).
 *
 * References: CloudTrail API reference (PutEventSelectors, PutInsightSelectors, UpdateTrail), EC2
 * ModifySnapshotAttribute / ModifyImageAttribute, RDS ModifyDBSnapshotAttribute /
 * ModifyDBClusterSnapshotAttribute, S3 PutBucketAcl / PutBucketPolicy / DeletePublicAccessBlock,
 * GuardDuty UpdateDetector, Config StopConfigurationRecorder.
 */

type Loose = Record<string, unknown>;
type DetailValue = string | number | boolean | string[];

export interface SecurityFacts {
  resource: Omit<Resource, 'attributes'> & { attributes: Record<string, string> };
  details: Record<string, DetailValue | undefined>;
  /** Set when the change is an incident: why, in a few words. */
  alert?: string;
  /** What changed, in words people read ("snapshot shared with account 012345678901"). */
  change?: string;
  what: string;
}

export function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(obj: unknown, key: string): string | undefined {
  if (!isObject(obj)) return undefined;
  const value = obj[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** CloudTrail renders lists as `{ items: [...] }`; some records use plain arrays. */
export function items(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isObject(value) && Array.isArray(value.items)) return value.items;
  return [];
}

/** A CIDR with prefix length 0 spans every address, whatever its address bits (anonymisers rewrite them). */
export function isWorldCidr(cidr: string): boolean {
  return /\/0$/.test(cidr.trim());
}

function strings(value: unknown): string[] {
  return items(value).filter((v): v is string => typeof v === 'string' && v !== '');
}

function bool(obj: unknown, key: string): boolean | undefined {
  if (!isObject(obj)) return undefined;
  const value = obj[key];
  return typeof value === 'boolean' ? value : undefined;
}

type Base = { region: string; account: string | undefined };

/**
 * The resource a call is about: region and account first, then type, id and attributes (the order it has
 * always had). A literal rather than `{ ...base, type, … }`: V8 copies a spread-first literal slowly, and
 * every CloudTrail event builds one (issue 17, intake speed).
 */
export function at(
  base: Base,
  type: Resource['type'],
  id: string,
  attributes: Record<string, string>,
): SecurityFacts['resource'] {
  return { region: base.region, account: base.account, type, id, attributes };
}

/** `{ ...details, change }` without a spread-first copy: the same keys in the same order. */
function withChange(
  details: Record<string, DetailValue | undefined>,
  change: string | undefined,
): Record<string, DetailValue | undefined> {
  const out: Record<string, DetailValue | undefined> = {};
  for (const key in details) out[key] = details[key];
  out.change = change;
  return out;
}

function facts(
  base: Base,
  type: Resource['type'],
  id: string,
  attributes: Record<string, string | undefined>,
  what: string,
  details: Record<string, DetailValue | undefined>,
  change: string | undefined,
  alert: string | undefined,
): SecurityFacts {
  return {
    resource: at(base, type, id, compactStrings(attributes)),
    details: withChange(details, change),
    alert,
    change,
    what,
  };
}

// ------------------------------------------------------------------------------------------- CloudTrail

/** What a PutEventSelectors request leaves out. Empty when it keeps management and data events whole. */
export function eventSelectorNarrowing(request: Loose | undefined): string[] {
  const basic = items(request?.eventSelectors).filter(isObject);
  const advanced = items(request?.advancedEventSelectors).filter(isObject);
  if (basic.length === 0 && advanced.length === 0) return ['every event selector removed'];
  const out: string[] = [];
  if (basic.length > 0) {
    const management = basic.filter((s) => s.includeManagementEvents !== false);
    if (management.length === 0) out.push('management events excluded');
    else if (!management.some((s) => (str(s, 'readWriteType') ?? 'All') === 'All')) {
      out.push(`management events narrowed to ${str(management[0], 'readWriteType')}`);
    }
    const excluded = management.flatMap((s) => strings(s.excludeManagementEventSources));
    if (excluded.length > 0) out.push(`management events from ${excluded.join(', ')} excluded`);
    const data = basic.flatMap((s) => items(s.dataResources)).filter(isObject);
    if (basic.some((s) => 'dataResources' in s) && data.every((d) => strings(d.values).length === 0)) {
      if (data.length > 0) out.push('data events dropped (data resources select nothing)');
    }
  }
  if (advanced.length > 0) {
    const fieldSelectors = (s: Loose) => items(s.fieldSelectors).filter(isObject);
    const category = (s: Loose) => fieldSelectors(s).find((f) => str(f, 'field') === 'eventCategory');
    const management = advanced.filter((s) => strings(category(s)?.equals).includes('Management'));
    if (management.length === 0) out.push('management events excluded');
    else {
      const readOnly = (s: Loose) => fieldSelectors(s).find((f) => str(f, 'field') === 'readOnly');
      if (management.every((s) => readOnly(s) !== undefined)) {
        out.push(
          `management events narrowed to readOnly=${strings(readOnly(management[0] as Loose)?.equals)}`,
        );
      }
      const sources = management.flatMap((s) =>
        fieldSelectors(s)
          .filter((f) => str(f, 'field') === 'eventSource')
          .flatMap((f) => strings(f.notEquals)),
      );
      if (sources.length > 0) out.push(`management events from ${sources.join(', ')} excluded`);
    }
  }
  return out;
}

/** What an UpdateTrail request turns off or moves away. */
export function trailNarrowing(request: Loose | undefined): string[] {
  const out: string[] = [];
  if (bool(request, 'isMultiRegionTrail') === false) out.push('no longer multi-Region');
  if (bool(request, 'includeGlobalServiceEvents') === false) out.push('global service events excluded');
  if (bool(request, 'enableLogFileValidation') === false) out.push('log file validation turned off');
  const bucket = str(request, 's3BucketName');
  if (bucket) out.push(`log delivery moved to bucket ${bucket}`);
  return out;
}

function cloudTrailFacts(record: CloudTrailRecord, base: Base): SecurityFacts | undefined {
  const request = record.requestParameters ?? undefined;
  const response = record.responseElements ?? undefined;
  const trail =
    str(request, 'name') ??
    str(request, 'trailName') ??
    str(response, 'trailARN') ??
    record.resources?.find((r) => r.ARN)?.ARN;
  if (!trail) return undefined;
  const trailName = /:trail\/(.+)$/.exec(trail)?.[1] ?? trail;
  const trailArn = trail.startsWith('arn:') ? trail : str(response, 'trailARN');
  let change: string | undefined;
  let alert: string | undefined;
  switch (record.eventName) {
    case 'StopLogging':
      change = 'logging stopped';
      alert = 'audit logging stopped';
      break;
    case 'DeleteTrail':
      change = 'trail deleted';
      alert = 'audit trail deleted';
      break;
    case 'PutEventSelectors': {
      const narrowed = eventSelectorNarrowing(request);
      change = narrowed.length ? `event selectors now: ${narrowed.join('; ')}` : 'event selectors updated';
      alert = narrowed.length ? 'audit trail narrowed' : undefined;
      break;
    }
    case 'PutInsightSelectors': {
      const kinds = items(request?.insightSelectors)
        .map((s) => str(s, 'insightType'))
        .filter((s): s is string => s !== undefined);
      change = kinds.length ? `Insights selectors: ${kinds.join(', ')}` : 'CloudTrail Insights turned off';
      alert = kinds.length ? undefined : 'audit trail narrowed';
      break;
    }
    case 'UpdateTrail': {
      const narrowed = trailNarrowing(request);
      change = narrowed.length ? `trail ${narrowed.join('; ')}` : 'trail settings updated';
      alert = narrowed.length ? 'audit trail narrowed' : undefined;
      break;
    }
    default:
      change = undefined;
  }
  return facts(
    base,
    'trail',
    trailName,
    { trailName, trailArn },
    `trail ${trailName}`,
    { trailName, trailArn },
    change,
    alert,
  );
}

// ------------------------------------------------------------------------------ other defences (logs, detectors)

/** DeleteFlowLogs: the SDK shape (`flowLogIds`) and the EC2 query shape (`DeleteFlowLogsRequest.FlowLogId`). */
export function flowLogIds(request: Loose | undefined): string[] {
  const found = new Set<string>();
  for (const id of strings(request?.flowLogIds)) found.add(id);
  const query = isObject(request?.DeleteFlowLogsRequest) ? request.DeleteFlowLogsRequest : undefined;
  const raw = query?.FlowLogId;
  for (const entry of Array.isArray(raw) ? raw : [raw]) {
    if (typeof entry === 'string' && entry !== '') found.add(entry);
    const content = str(entry, 'content');
    if (content) found.add(content);
  }
  return [...found];
}

function defenceFacts(record: CloudTrailRecord, base: Base): SecurityFacts | undefined {
  const request = record.requestParameters ?? undefined;
  const source = record.eventSource;
  const name = record.eventName;
  if (source === 'ec2.amazonaws.com' && name === 'DeleteFlowLogs') {
    const ids = flowLogIds(request);
    const id = ids.join(',') || 'unknown-flow-log';
    return facts(
      base,
      'flow-log',
      id,
      { flowLogIds: ids.join(',') },
      `flow log ${id}`,
      { flowLogIds: ids },
      `VPC flow log ${id} deleted`,
      'VPC flow logs deleted',
    );
  }
  if (
    source === 'route53resolver.amazonaws.com' &&
    /^(Delete|Disassociate)ResolverQueryLogConfig$/.test(name)
  ) {
    const id = str(request, 'resolverQueryLogConfigId') ?? 'unknown-query-log-config';
    const vpc = str(request, 'resourceId');
    const change =
      name === 'DeleteResolverQueryLogConfig'
        ? `resolver query logging config ${id} deleted`
        : `resolver query logging ${id} detached from ${vpc ?? 'a VPC'}`;
    return facts(
      base,
      'dns-query-log',
      id,
      { resolverQueryLogConfigId: id, vpcId: vpc },
      `query logging config ${id}`,
      { resolverQueryLogConfigId: id, vpcId: vpc },
      change,
      'DNS query logging removed',
    );
  }
  if (source === 'guardduty.amazonaws.com' && /^(DeleteDetector|UpdateDetector)$/.test(name)) {
    const id = str(request, 'detectorId') ?? 'unknown-detector';
    const disabled = name === 'DeleteDetector' || bool(request, 'enable') === false;
    return facts(
      base,
      'detector',
      id,
      { detectorId: id },
      `GuardDuty detector ${id}`,
      { detectorId: id },
      name === 'DeleteDetector'
        ? `GuardDuty detector ${id} deleted`
        : disabled
          ? `GuardDuty detector ${id} disabled`
          : 'GuardDuty detector updated',
      disabled ? 'GuardDuty switched off' : undefined,
    );
  }
  if (
    source === 'config.amazonaws.com' &&
    /^(StopConfigurationRecorder|DeleteConfigurationRecorder|DeleteDeliveryChannel)$/.test(name)
  ) {
    const id = str(request, 'configurationRecorderName') ?? str(request, 'deliveryChannelName') ?? 'default';
    const verb =
      name === 'StopConfigurationRecorder'
        ? `recorder ${id} stopped`
        : name === 'DeleteConfigurationRecorder'
          ? `recorder ${id} deleted`
          : `delivery channel ${id} deleted`;
    return facts(
      base,
      'config-recorder',
      id,
      { name: id },
      `AWS Config ${id}`,
      { configName: id },
      `AWS Config ${verb}`,
      'AWS Config switched off',
    );
  }
  if (source === 'organizations.amazonaws.com' && name === 'LeaveOrganization') {
    const id = base.account ?? 'unknown-account';
    return facts(
      base,
      'account',
      id,
      {},
      `account ${id}`,
      {},
      `account ${id} left its organization`,
      'account leaving its organization',
    );
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------ data exposure

/** Who an add-permission list names: account ids, and `all` when a `group: all` entry makes it public. */
export function permissionGrantees(permission: unknown): { accounts: string[]; isPublic: boolean } {
  const add = isObject(permission) ? permission.add : undefined;
  const accounts: string[] = [];
  let isPublic = false;
  for (const item of items(add)) {
    const userId = str(item, 'userId');
    if (userId) accounts.push(userId);
    if (str(item, 'group') === 'all') isPublic = true;
  }
  return { accounts, isPublic };
}

function sharingChange(kind: string, id: string, accounts: string[], isPublic: boolean): string | undefined {
  const parts: string[] = [];
  if (isPublic) parts.push('made public (group all)');
  if (accounts.length)
    parts.push(`shared with account${accounts.length > 1 ? 's' : ''} ${accounts.join(', ')}`);
  return parts.length ? `${kind} ${id} ${parts.join(' and ')}` : undefined;
}

const PUBLIC_CANNED_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);
const PUBLIC_GROUPS = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

/** Whether a PutBucketAcl request grants anything to everyone (canned ACL, grant header or ACL body). */
export function aclIsPublic(request: Loose | undefined): boolean {
  const canned = [
    ...strings(request?.['x-amz-acl']),
    ...(str(request, 'x-amz-acl') ? [str(request, 'x-amz-acl') as string] : []),
  ];
  if (canned.some((c) => PUBLIC_CANNED_ACLS.has(c))) return true;
  const text = JSON.stringify(request ?? {});
  return PUBLIC_GROUPS.test(text);
}

/** Whether a bucket policy allows a principal of `*` without a condition. */
export function policyIsPublic(request: Loose | undefined): boolean {
  let policy: unknown = request?.bucketPolicy ?? request?.policy;
  if (typeof policy === 'string') {
    try {
      policy = JSON.parse(policy);
    } catch {
      return false;
    }
  }
  const statements = isObject(policy) ? policy.Statement : undefined;
  for (const statement of Array.isArray(statements) ? statements : [statements]) {
    if (!isObject(statement) || statement.Effect !== 'Allow' || statement.Condition !== undefined) continue;
    const principal = statement.Principal;
    const aws = isObject(principal) ? principal.AWS : undefined;
    if (principal === '*' || aws === '*' || (Array.isArray(aws) && aws.includes('*'))) return true;
  }
  return false;
}

function exposureFacts(record: CloudTrailRecord, base: Base): SecurityFacts | undefined {
  const request = record.requestParameters ?? undefined;
  const source = record.eventSource;
  const name = record.eventName;
  if (source === 'ec2.amazonaws.com' && name === 'ModifySnapshotAttribute') {
    const id = str(request, 'snapshotId') ?? 'unknown-snapshot';
    const { accounts, isPublic } = permissionGrantees(request?.createVolumePermission);
    const change = sharingChange('snapshot', id, accounts, isPublic);
    return facts(
      base,
      'snapshot',
      id,
      { snapshotId: id },
      `snapshot ${id}`,
      { snapshotId: id, sharedWith: accounts, madePublic: isPublic },
      change ?? 'snapshot permissions changed (nothing shared)',
      change ? 'EBS snapshot shared' : undefined,
    );
  }
  if (source === 'ec2.amazonaws.com' && name === 'ModifyImageAttribute') {
    const id = str(request, 'imageId') ?? 'unknown-image';
    const { accounts, isPublic } = permissionGrantees(request?.launchPermission);
    const change = sharingChange('image', id, accounts, isPublic);
    return facts(
      base,
      'machine-image',
      id,
      { imageId: id },
      `image ${id}`,
      { imageId: id, sharedWith: accounts, madePublic: isPublic },
      change ?? 'image attribute changed (nothing shared)',
      change ? 'AMI shared' : undefined,
    );
  }
  if (source === 'rds.amazonaws.com' && /^ModifyDB(Cluster)?SnapshotAttribute$/.test(name)) {
    const cluster = name === 'ModifyDBClusterSnapshotAttribute';
    const id =
      (cluster ? str(request, 'dBClusterSnapshotIdentifier') : str(request, 'dBSnapshotIdentifier')) ??
      'unknown-db-snapshot';
    const restore = str(request, 'attributeName') === 'restore';
    const added = restore ? strings(request?.valuesToAdd) : [];
    const isPublic = added.includes('all');
    const accounts = added.filter((v) => v !== 'all');
    const change = sharingChange(cluster ? 'DB cluster snapshot' : 'DB snapshot', id, accounts, isPublic);
    return facts(
      base,
      'db-snapshot',
      id,
      { snapshotIdentifier: id },
      `${cluster ? 'DB cluster snapshot' : 'DB snapshot'} ${id}`,
      { dbSnapshotIdentifier: id, sharedWith: accounts, madePublic: isPublic },
      change ?? 'DB snapshot attribute changed (nothing shared)',
      change ? 'RDS snapshot shared' : undefined,
    );
  }
  if (
    source === 's3.amazonaws.com' &&
    /^(PutBucketPolicy|PutBucketAcl|DeleteBucketPublicAccessBlock|DeletePublicAccessBlock)$/.test(name)
  ) {
    const bucket = str(request, 'bucketName') ?? 'unknown-bucket';
    let change: string;
    let open: boolean;
    if (name === 'PutBucketPolicy') {
      open = policyIsPublic(request);
      change = open
        ? `bucket ${bucket} policy allows everyone (Principal *)`
        : `bucket ${bucket} policy changed`;
    } else if (name === 'PutBucketAcl') {
      open = aclIsPublic(request);
      change = open
        ? `bucket ${bucket} ACL grants public access`
        : `bucket ${bucket} ACL changed (not public)`;
    } else {
      open = true;
      change = `bucket ${bucket} public access block deleted`;
    }
    return facts(
      base,
      's3-bucket',
      bucket,
      { bucketName: bucket },
      `bucket ${bucket}`,
      { bucketName: bucket, madePublic: open },
      change,
      open ? 'bucket opened to the public' : undefined,
    );
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------- Lambda permission

/**
 * AddPermission (CloudTrail names it by API version: `AddPermission20150331v2`, `AddPermission20150331`)
 * adds a statement to a function's resource policy. `principal: "*"` with none of the request members
 * that narrow it (`sourceAccount`, `sourceArn`, `principalOrgID`) lets anyone invoke the function: the
 * backdoor technique Stratus Red Team's `aws.persistence.lambda-backdoor-function` detonates.
 * A function URL with `functionUrlAuthType: AWS_IAM` still needs signed requests, so it is not public.
 * Reference: Lambda API reference, AddPermission (request members).
 */
export function lambdaPermissionIsPublic(request: Loose | undefined): boolean {
  const principal = request?.principal;
  const everyone = principal === '*' || (isObject(principal) && principal.AWS === '*');
  if (!everyone) return false;
  if (str(request, 'sourceAccount') || str(request, 'sourceArn') || str(request, 'principalOrgID'))
    return false;
  return str(request, 'functionUrlAuthType') !== 'AWS_IAM';
}

function lambdaFacts(record: CloudTrailRecord, base: Base): SecurityFacts | undefined {
  if (
    record.eventSource !== 'lambda.amazonaws.com' ||
    !/^AddPermission(\d{8}(v\d+)?)?$/.test(record.eventName)
  ) {
    return undefined;
  }
  const request = record.requestParameters ?? undefined;
  const fn = str(request, 'functionName') ?? 'unknown-function';
  // The function name may be given as a name, a partial ARN or a full ARN.
  const name = /:function:([^:]+)/.exec(fn)?.[1] ?? fn;
  const action = str(request, 'action') ?? 'an action';
  const isPublic = lambdaPermissionIsPublic(request);
  const change = isPublic
    ? `function ${name} resource policy lets anyone (Principal *) call ${action}`
    : `function ${name} resource policy grants ${action} to ${typeof request?.principal === 'string' ? request.principal : 'a principal'}`;
  return facts(
    base,
    'lambda-function',
    name,
    { functionName: name, statementId: str(request, 'statementId') },
    `function ${name}`,
    { functionName: name, statementId: str(request, 'statementId'), madePublic: isPublic },
    change,
    isPublic ? 'Lambda function opened to everyone' : undefined,
  );
}

// ----------------------------------------------------------------------------------------------- identity

function identityFacts(record: CloudTrailRecord, base: Base): SecurityFacts | undefined {
  if (record.eventSource !== 'iam.amazonaws.com' || record.eventName !== 'CreateAccessKey') return undefined;
  const request = record.requestParameters ?? undefined;
  const key = isObject(record.responseElements?.accessKey) ? record.responseElements.accessKey : undefined;
  const forUser = str(request, 'userName') ?? str(key, 'userName');
  const rootKey = record.userIdentity.type === 'Root' && !forUser;
  const id = str(key, 'accessKeyId') ?? 'unknown-access-key';
  const owner = rootKey ? 'root' : (forUser ?? 'the caller');
  return facts(
    base,
    'access-key',
    id,
    { accessKeyId: id, userName: forUser },
    `access key ${id}`,
    { accessKeyId: id, keyOwner: owner, rootAccessKey: rootKey },
    `access key ${id} created for ${owner}`,
    rootKey ? 'root access key created' : undefined,
  );
}

/** Facts for the defence-evasion, data-exposure and identity calls; undefined for any other call. */
export function securityFacts(record: CloudTrailRecord, base: Base): SecurityFacts | undefined {
  if (record.eventSource === 'cloudtrail.amazonaws.com') return cloudTrailFacts(record, base);
  return (
    defenceFacts(record, base) ??
    exposureFacts(record, base) ??
    lambdaFacts(record, base) ??
    identityFacts(record, base)
  );
}
