import type { Actor } from '../../signal.js';
import { nonEmpty } from '../shared.js';
import type { UserIdentity } from './schema.js';

/** IAM Identity Center permission-set roles: a person signed in through SSO. */
const SSO_ROLE_PREFIX = 'AWSReservedSSO_';

export interface AssumedRoleArn {
  readonly partition: string;
  readonly account: string;
  readonly roleName: string;
  readonly sessionName: string;
}

/** `arn:aws:sts::123456789012:assumed-role/<role>/<session>` → its parts (role paths are not in this ARN). */
export function parseAssumedRoleArn(arn: string): AssumedRoleArn | undefined {
  const match = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (!match) return undefined;
  const [, partition, account, roleName, sessionName] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { partition, account, roleName, sessionName };
}

function roleActorType(roleName: string, automationRolePrefix: string | undefined): Actor['type'] {
  if (automationRolePrefix && roleName.startsWith(automationRolePrefix)) return 'automation';
  if (roleName.startsWith(SSO_ROLE_PREFIX)) return 'human';
  return 'service';
}

/**
 * Who made a CloudTrail-recorded call. For assumed roles `id` is the role ARN (from the session issuer, so
 * it keeps the role path) and `roleName` is what allow-lists and loop protection match on.
 */
export function actorFromIdentity(
  identity: UserIdentity,
  sourceIp: string | undefined,
  automationRolePrefix?: string,
): Actor {
  const ip = nonEmpty(sourceIp);
  const base = ip ? { sourceIp: ip } : {};
  const arn = nonEmpty(identity.arn);
  switch (identity.type) {
    case 'Root':
      return {
        ...base,
        type: 'root',
        id: arn ?? (identity.accountId ? `arn:aws:iam::${identity.accountId}:root` : undefined),
        name: 'root',
      };
    case 'IAMUser':
      return { ...base, type: 'human', id: arn, name: nonEmpty(identity.userName) };
    case 'IdentityCenterUser':
      return {
        ...base,
        type: 'human',
        id: arn ?? identity.onBehalfOf?.userId,
        name: nonEmpty(identity.userName),
      };
    case 'FederatedUser': {
      const name = arn ? /federated-user\/(.+)$/.exec(arn)?.[1] : undefined;
      return { ...base, type: 'human', id: arn, name };
    }
    case 'AssumedRole': {
      const parsed = arn ? parseAssumedRoleArn(arn) : undefined;
      const issuer = identity.sessionContext?.sessionIssuer;
      const roleName = nonEmpty(issuer?.userName) ?? parsed?.roleName;
      const roleArn =
        nonEmpty(issuer?.arn) ??
        (parsed ? `arn:${parsed.partition}:iam::${parsed.account}:role/${parsed.roleName}` : undefined);
      const sessionName = parsed?.sessionName ?? identity.principalId?.split(':')[1];
      const type = roleName ? roleActorType(roleName, automationRolePrefix) : 'unknown';
      // Identity Center sessions carry onBehalfOf for the person behind the role.
      const finalType = identity.onBehalfOf?.userId && type === 'service' ? 'human' : type;
      return { ...base, type: finalType, id: roleArn ?? arn, name: nonEmpty(sessionName), roleName };
    }
    case 'AWSService':
      return {
        ...base,
        type: 'service',
        id: nonEmpty(identity.invokedBy),
        name: nonEmpty(identity.invokedBy),
      };
    case 'WebIdentityUser':
      return {
        ...base,
        type: 'service',
        id: arn ?? nonEmpty(identity.principalId),
        name: nonEmpty(identity.userName),
      };
    default:
      return {
        ...base,
        type: 'unknown',
        id: arn ?? nonEmpty(identity.principalId) ?? nonEmpty(identity.accountId),
      };
  }
}
