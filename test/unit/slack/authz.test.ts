import { describe, expect, it, vi } from 'vitest';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import {
  authorise,
  isKnownUser,
  NO_GROUPS,
  type SlackAuthConfig,
  UserGroupResolver,
} from '../../../functions/slack/authz.js';

/** Who may do what: a configuration written here by hand, and the verdicts it must give. */
const CFG: SlackAuthConfig = {
  users: {
    U0ADMIN: { run: ['*'], approve: ['*'] },
    U0SNAP: { run: ['snapshot-volume'], approve: [] },
    U0NOTHING: { run: [], approve: [] },
  },
  userGroups: {
    S0DNS: { run: ['update-dns'], approve: ['update-dns'] },
    S0APPROVERS: { run: [], approve: ['*'] },
  },
};

describe('slack authz: authorise', () => {
  it.each([
    ['U0ADMIN', [], 'run', 'rotate-secret', 'user U0ADMIN'],
    ['U0ADMIN', [], 'approve', 'rotate-secret', 'user U0ADMIN'],
    ['U0SNAP', [], 'run', 'snapshot-volume', 'user U0SNAP'],
    ['U0SNAP', ['S0DNS'], 'run', 'update-dns', 'user group S0DNS'],
    ['U0NOTHING', ['S0APPROVERS'], 'approve', 'scale-node-group', 'user group S0APPROVERS'],
    ['U0GROUPONLY', ['S0DNS'], 'approve', 'update-dns', 'user group S0DNS'],
    ['U0GROUPONLY', ['S0UNKNOWN', 'S0DNS'], 'run', 'update-dns', 'user group S0DNS'],
  ] as const)('%s (groups %j) may %s %s, via %s', (user, groups, permission, runbook, via) => {
    expect(authorise(CFG, 'dev', user, groups, permission, runbook)).toEqual({ allowed: true, via });
  });

  it.each([
    ['U0SNAP', [], 'approve', 'snapshot-volume'], // run is not approve
    ['U0SNAP', [], 'run', 'snapshot-volume-2'], // names are exact
    ['U0SNAP', [], 'run', 'Snapshot-Volume'],
    ['U0NOTHING', [], 'run', 'snapshot-volume'],
    ['U0GROUPONLY', ['S0DNS'], 'run', 'rotate-secret'],
    ['U0GROUPONLY', ['S0APPROVERS'], 'run', 'update-dns'],
  ] as const)('%s (groups %j) may not %s %s', (user, groups, permission, runbook) => {
    expect(authorise(CFG, 'prod', user, groups, permission, runbook)).toEqual({
      allowed: false,
      reason: 'not-permitted',
      message: `<@${user}> may not ${permission} \`${runbook}\` in *prod*.`,
    });
  });

  it('an unknown user (not listed, in no configured group) is told how to get access', () => {
    expect(authorise(CFG, 'stage', 'U0STRANGER', ['S0UNKNOWN'], 'run', 'snapshot-volume')).toEqual({
      allowed: false,
      reason: 'unknown-user',
      message:
        '<@U0STRANGER> is not set up for ops automation in *stage*. Ask the platform team to add you (automation.slack.users or a user group).',
    });
  });

  it('isKnownUser: listed directly or through a configured group', () => {
    expect(isKnownUser(CFG, 'U0NOTHING', [])).toBe(true);
    expect(isKnownUser(CFG, 'U0STRANGER', ['S0DNS'])).toBe(true);
    expect(isKnownUser(CFG, 'U0STRANGER', ['S0UNKNOWN'])).toBe(false);
    expect(isKnownUser(CFG, 'U0STRANGER', [])).toBe(false);
    expect(isKnownUser(CFG, 'toString', [])).toBe(false);
    expect(isKnownUser(CFG, 'U0STRANGER', ['constructor'])).toBe(false);
  });

  it('a user id or group id that names an Object.prototype member is nobody, not a crash', () => {
    expect(authorise(CFG, 'dev', 'toString', [], 'run', 'snapshot-volume')).toMatchObject({
      allowed: false,
      reason: 'unknown-user',
    });
    expect(authorise(CFG, 'dev', 'U0NOTHING', ['hasOwnProperty'], 'run', 'snapshot-volume')).toMatchObject({
      allowed: false,
      reason: 'not-permitted',
    });
  });
});

describe('slack authz: user group membership', () => {
  const logger = () => ({
    info: vi.fn(),
    warn: vi.fn(),
    error: vi.fn(),
    debug: vi.fn(),
    appendKeys: vi.fn(),
  });

  it('answers the configured groups a user is in, reading each group once per TTL', async () => {
    // Prepare
    let now = 1_000_000;
    const members: Record<string, string[]> = { S0DNS: ['U0A', 'U0B'], S0APPROVERS: ['U0B'] };
    const userGroupMembers = vi.fn(async (g: string) => members[g] ?? []);
    const resolver = new UserGroupResolver(
      { userGroupMembers },
      logger() as unknown as OpsLogger,
      60_000,
      () => now,
    );

    // Act + Assess
    expect(await resolver.groupsOf('U0B', ['S0DNS', 'S0APPROVERS'])).toEqual(['S0DNS', 'S0APPROVERS']);
    expect(await resolver.groupsOf('U0A', ['S0DNS', 'S0APPROVERS'])).toEqual(['S0DNS']);
    expect(await resolver.groupsOf('U0C', ['S0DNS'])).toEqual([]);
    expect(userGroupMembers).toHaveBeenCalledTimes(2);
    members.S0DNS = ['U0C'];
    now += 59_999;
    expect(await resolver.groupsOf('U0C', ['S0DNS'])).toEqual([]); // still cached
    now += 1;
    expect(await resolver.groupsOf('U0C', ['S0DNS'])).toEqual(['S0DNS']); // expired: read again
    expect(userGroupMembers).toHaveBeenCalledTimes(3);
  });

  it('a group that cannot be read grants nothing, is logged, and is read again next time', async () => {
    // Prepare
    const log = logger();
    let fail = true;
    const userGroupMembers = vi.fn(async () => {
      if (fail) throw new Error('missing_scope');
      return ['U0A'];
    });
    const resolver = new UserGroupResolver(
      { userGroupMembers },
      log as unknown as OpsLogger,
      60_000,
      () => 0,
    );

    // Act
    const during = await resolver.groupsOf('U0A', ['S0DNS']);
    fail = false;
    const after = await resolver.groupsOf('U0A', ['S0DNS']);

    // Assess
    expect(during).toEqual([]);
    expect(after).toEqual(['S0DNS']);
    expect(log.warn).toHaveBeenCalledWith('could not read Slack user group; treating as no members', {
      groupId: 'S0DNS',
      error: 'missing_scope',
    });
  });

  it('keeps a group for five minutes by default', async () => {
    // Prepare
    let now = 0;
    const userGroupMembers = vi.fn(async () => ['U0A']);
    const resolver = new UserGroupResolver(
      { userGroupMembers },
      logger() as unknown as OpsLogger,
      undefined,
      () => now,
    );

    // Act
    await resolver.groupsOf('U0A', ['S0DNS']);
    now = 299_999;
    await resolver.groupsOf('U0A', ['S0DNS']);
    const cachedCalls = userGroupMembers.mock.calls.length;
    now = 300_000;
    await resolver.groupsOf('U0A', ['S0DNS']);

    // Assess
    expect(cachedCalls).toBe(1);
    expect(userGroupMembers).toHaveBeenCalledTimes(2);
  });

  it('without a Slack token only direct grants count', async () => {
    expect(await NO_GROUPS.groupsOf('U0A', ['S0DNS'])).toEqual([]);
  });
});
