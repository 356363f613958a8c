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

type Draft = { -readonly [K in keyof Actor]?: Actor[K] };

/**
 * An actor's first keys: the source IP when there is one, then type and id (the order signals have
 * always had). Built key by key rather than as `{ ...base, type, … }`: V8 copies a spread-first literal
 * slowly, and this runs for every CloudTrail event (issue 17, intake speed).
 */
function draft(ip: string | undefined, type: Actor['type'], id: string | undefined): Draft {
  const actor: Draft = ip ? { sourceIp: ip } : {};
  actor.type = type;
  actor.id = id;
  return actor;
}

/** The actor with its name (present even when undefined, as it always was). */
function named(actor: Draft, name: string | undefined): Actor {
  actor.name = name;
  return actor as Actor;
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
  const arn = nonEmpty(identity.arn);
  switch (identity.type) {
    case 'Root':
      return named(
        draft(
          ip,
          'root',
          arn ?? (identity.accountId ? `arn:aws:iam::${identity.accountId}:root` : undefined),
        ),
        'root',
      );
    case 'IAMUser':
      return named(draft(ip, 'human', arn), nonEmpty(identity.userName));
    case 'IdentityCenterUser':
      return named(draft(ip, 'human', arn ?? identity.onBehalfOf?.userId), nonEmpty(identity.userName));
    case 'FederatedUser': {
      const name = arn ? /federated-user\/(.+)$/.exec(arn)?.[1] : undefined;
      return named(draft(ip, 'human', arn), name);
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
      const actor = draft(ip, finalType, roleArn ?? arn);
      actor.name = nonEmpty(sessionName);
      actor.roleName = roleName;
      return actor as Actor;
    }
    case 'AWSService':
      return named(draft(ip, 'service', nonEmpty(identity.invokedBy)), nonEmpty(identity.invokedBy));
    case 'WebIdentityUser':
      return named(draft(ip, 'service', arn ?? nonEmpty(identity.principalId)), nonEmpty(identity.userName));
    default:
      return draft(
        ip,
        'unknown',
        arn ?? nonEmpty(identity.principalId) ?? nonEmpty(identity.accountId),
      ) as Actor;
  }
}
