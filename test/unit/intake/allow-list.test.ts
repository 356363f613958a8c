import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { AutomationConfig } from '../../../config/schema.js';
import { allowList } from '../../../functions/intake/guards.js';

/**
 * The intake's allow-list guard with allow-lists written here by hand: what it must let through
 * and what it must block. The expected verdicts come from the table, not from the matcher.
 */

const base = loadStage('dev').automation;
const automation: AutomationConfig = {
  ...base,
  allowLists: {
    ...base.allowLists,
    nodeGroups: [
      { cluster: 'prod-eks', nodegroup: 'prod-*', ceiling: 10, stepSize: 2, scaleBackAfterMinutes: 0 },
      { cluster: 'dev-eks', nodegroup: 'dev-platform', ceiling: 4, stepSize: 2, scaleBackAfterMinutes: 0 },
    ],
    hostedZones: [
      {
        zoneName: 'dev.example.com',
        records: ['*.apps.dev.example.com', 'api.dev.example.com'],
        overrideExternalDns: false,
      },
    ],
  },
};

const verdict = (runbook: string, params: Record<string, unknown>) =>
  allowList(runbook, params, automation).outcome;

describe('intake allow-list guard: node groups', () => {
  it.each([
    ['prod-eks', 'prod-a', 'pass'],
    ['prod-eks', 'prod-', 'pass'],
    ['prod-eks', 'xprod-a', 'block'], // start anchor
    ['prod-eks', 'Prod-a', 'block'], // case-sensitive: AWS names are
    ['dev-eks', 'dev-platform', 'pass'],
    ['dev-eks', 'dev-platform-a', 'block'], // end anchor: an exact name is not a prefix
    ['dev-eks', 'dev-platfor', 'block'],
    ['dev-eks', 'prod-a', 'block'], // allowed in another cluster only
    ['other', 'prod-a', 'block'], // unknown cluster
  ])('%s/%s → %s', (cluster, nodegroup, expected) => {
    expect(verdict('scale-node-group', { cluster, nodegroup })).toBe(expected);
  });
});

describe('intake allow-list guard: DNS records (DNS ignores case, compared normalised)', () => {
  it.each([
    ['dev.example.com', 'api.dev.example.com', 'pass'],
    ['dev.example.com', 'API.Dev.Example.com', 'pass'], // RFC 4343: case-insensitive
    ['dev.example.com', 'api.dev.example.com.', 'pass'], // trailing dot as Route 53 returns it
    ['dev.example.com', 'web.apps.dev.example.com', 'pass'],
    ['dev.example.com', 'apps.dev.example.com', 'block'], // the wildcard needs a label before it
    ['dev.example.com', 'api2.dev.example.com', 'block'], // end anchor
    ['dev.example.com', 'xapi.dev.example.com', 'block'], // start anchor
    ['dev.example.com', 'www.dev.example.com', 'block'],
    ['prod.example.com', 'api.dev.example.com', 'block'], // zone not allow-listed
  ])('zone %s record %s → %s', (zoneName, recordName, expected) => {
    expect(verdict('update-dns', { zoneName, recordName })).toBe(expected);
  });
});

describe('intake allow-list guard: the other runbooks', () => {
  const lists = automation.allowLists;
  const secret = lists.secrets[0]?.name as string;
  const namespace = lists.volumes.pvcNamespaces[0] as string;

  it.each([
    ['rotate-secret', { secretId: secret }, 'pass'],
    ['rotate-secret', { secretId: `${secret}-other` }, 'block'], // exact names only
    ['rotate-secret', { secretId: secret.toUpperCase() }, 'block'],
    ['rotate-secret', {}, 'block'],
    ['snapshot-volume', { volumeId: 'vol-0abc1234def567890' }, 'pass'], // the workflow checks the tag
    ['snapshot-volume', { namespace }, 'pass'],
    ['snapshot-volume', { namespace: `${namespace}-x` }, 'block'],
    ['snapshot-volume', {}, 'block'],
    ['verify-backups', {}, 'pass'], // only reads
    ['scale-node-group', { cluster: 'dev-eks' }, 'pass'], // no node group named: the cluster's entry
    ['scale-node-group', { cluster: 'nope' }, 'block'],
    ['delete-everything', {}, 'block'], // an unknown runbook has no allow-list: fail closed
  ] as const)('%s %j → %s', (runbook, params, expected) => {
    expect(verdict(runbook, params)).toBe(expected);
  });

  it('says why, naming what was refused', () => {
    expect(
      allowList('scale-node-group', { cluster: 'dev-eks', nodegroup: 'dev-platform-a' }, automation),
    ).toEqual({
      name: 'allow-list',
      outcome: 'block',
      detail: 'node group dev-eks/dev-platform-a is not allow-listed',
    });
    expect(
      allowList('update-dns', { zoneName: 'dev.example.com', recordName: 'www.dev.example.com' }, automation)
        .detail,
    ).toBe('record www.dev.example.com is not allow-listed in zone dev.example.com');
    expect(allowList('delete-everything', {}, automation).detail).toBe(
      'runbook delete-everything has no allow-list',
    );
  });
});
