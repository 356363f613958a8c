import type { AutomationConfig } from '../../config/schema.js';
import type { OpsLogger } from '../shared/powertools.js';
import type { SlackApi } from '../shared/slack.js';

/**
 * Who may do what, from the stage's `automation.slack.users` / `userGroups`. Pure: the caller
 * resolves which configured user groups the person belongs to (see `UserGroupResolver`).
 */

export type SlackAuthConfig = Pick<AutomationConfig['slack'], 'users' | 'userGroups'>;
export type Permission = 'run' | 'approve';

export type AuthVerdict =
  | { readonly allowed: true; readonly via: string }
  | { readonly allowed: false; readonly reason: 'unknown-user' | 'not-permitted'; readonly message: string };

const matches = (names: readonly string[], runbook: string) => names.includes('*') || names.includes(runbook);

/** Whether the user appears in the stage's Slack config at all (directly or via a group). */
export function isKnownUser(cfg: SlackAuthConfig, userId: string, groups: readonly string[]): boolean {
  // Own keys only: `toString` or `__proto__` is nobody, whatever Object.prototype holds.
  return Object.hasOwn(cfg.users, userId) || groups.some((g) => Object.hasOwn(cfg.userGroups, g));
}

export function authorise(
  cfg: SlackAuthConfig,
  stage: string,
  userId: string,
  groups: readonly string[],
  permission: Permission,
  runbook: string,
): AuthVerdict {
  if (!isKnownUser(cfg, userId, groups)) {
    return {
      allowed: false,
      reason: 'unknown-user',
      message: `<@${userId}> is not set up for ops automation in *${stage}*. Ask the platform team to add you (automation.slack.users or a user group).`,
    };
  }
  const direct = Object.hasOwn(cfg.users, userId) ? cfg.users[userId] : undefined;
  if (direct && matches(direct[permission], runbook)) return { allowed: true, via: `user ${userId}` };
  for (const g of groups) {
    const grant = Object.hasOwn(cfg.userGroups, g) ? cfg.userGroups[g] : undefined;
    if (grant && matches(grant[permission], runbook)) return { allowed: true, via: `user group ${g}` };
  }
  return {
    allowed: false,
    reason: 'not-permitted',
    message: `<@${userId}> may not ${permission} \`${runbook}\` in *${stage}*.`,
  };
}

/** Which configured user groups someone belongs to: `usergroups.users.list`, cached per group. */
export interface GroupMembership {
  groupsOf(userId: string, groupIds: readonly string[]): Promise<string[]>;
}

export class UserGroupResolver implements GroupMembership {
  private readonly cache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly slack: Pick<SlackApi, 'userGroupMembers'>,
    private readonly logger: OpsLogger,
    private readonly ttlMs = 5 * 60_000,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async groupsOf(userId: string, groupIds: readonly string[]): Promise<string[]> {
    const member = await Promise.all(
      groupIds.map(async (g) => ((await this.members(g)).has(userId) ? g : undefined)),
    );
    return member.filter((g): g is string => g !== undefined);
  }

  private async members(groupId: string): Promise<Set<string>> {
    const hit = this.cache.get(groupId);
    if (hit && hit.until > this.nowMs()) return hit.members;
    try {
      const members = new Set(await this.slack.userGroupMembers(groupId));
      this.cache.set(groupId, { members, until: this.nowMs() + this.ttlMs });
      return members;
    } catch (err) {
      // Fail closed: a group we cannot read grants nothing (direct user grants still apply).
      this.logger.warn('could not read Slack user group; treating as no members', {
        groupId,
        error: (err as Error).message,
      });
      return new Set();
    }
  }
}

/** No Slack token (e.g. `ops serve` without one): only direct user grants count. */
export const NO_GROUPS: GroupMembership = { groupsOf: async () => [] };
