import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalStore, newApprovalId } from '../../functions/approval/store.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

/**
 * The approval store against dynalite: every refusal below is DynamoDB evaluating the store's
 * own condition expressions, not a fake deciding.
 */

let db: LocalDynamo;
let store: ApprovalStore;
const TABLE = 'ops-dev-approvals';

beforeAll(async () => {
  db = await startDynalite([{ name: TABLE, partitionKey: 'pk' }]);
  store = new ApprovalStore(db.doc, TABLE);
});

afterAll(async () => {
  await db?.stop();
});

function request(id: string, execution = `snapshot-volume-${id}`) {
  return {
    id,
    taskToken: `token-${id}`,
    execution,
    runbook: 'snapshot-volume',
    stage: 'dev',
    resourceKey: 'vol-0abc1234def567890',
    requestedBy: 'U0REQUESTER',
    expiresAt: 1_795_000_000,
    summary: 'snapshot vol-0abc1234def567890 before detach',
  };
}

describe('approval store (dynalite)', () => {
  it('creates a pending approval, indexed by its execution, kept a day after expiry', async () => {
    // Prepare
    const id = newApprovalId();

    // Act
    const created = await store.create(request(id));

    // Assess
    expect(created.status).toBe('pending');
    expect(await store.get(id)).toEqual({ ...request(id), status: 'pending' });
    expect(await store.idsOf(`snapshot-volume-${id}`)).toEqual([id]);
    const { Item } = await db.doc.send(new GetCommand({ TableName: TABLE, Key: { pk: `approval#${id}` } }));
    expect(Item?.ttl).toBe(1_795_000_000 + 86_400);
    expect(Item?.kind).toBe('approval');
    const index = await db.doc.send(
      new GetCommand({ TableName: TABLE, Key: { pk: `approval-exec#snapshot-volume-${id}` } }),
    );
    expect(index.Item).toMatchObject({ kind: 'approval-index', ttl: 1_795_000_000 + 86_400 });
  });

  it('refuses to create an approval id twice (the first keeps its token)', async () => {
    // Prepare
    const id = newApprovalId();
    await store.create(request(id));

    // Act
    const again = await store
      .create({ ...request(id), taskToken: 'another-token' })
      .catch((err: unknown) => err);

    // Assess
    expect(again).toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect((await store.get(id))?.taskToken).toBe(`token-${id}`);
  });

  it('lists every approval of one execution', async () => {
    // Prepare
    const [a, b] = [newApprovalId(), newApprovalId()];

    // Act
    await store.create(request(a, 'rotate-secret-two'));
    await store.create(request(b, 'rotate-secret-two'));

    // Assess
    expect((await store.idsOf('rotate-secret-two')).sort()).toEqual([a, b].sort());
    expect(await store.idsOf('rotate-secret-none')).toEqual([]);
  });

  it('resolves once: a second click, or another outcome, finds it no longer pending', async () => {
    // Prepare
    const id = newApprovalId();
    await store.create(request(id));
    const at = new Date('2026-11-23T10:00:00Z');

    // Act
    const first = await store.resolve(id, 'approved', 'U0APPROVER', at);
    const second = await store.resolve(id, 'approved', 'U0APPROVER', at);
    const other = await store.resolve(id, 'rejected', 'U0SOMEONEELSE', new Date('2026-11-23T10:00:05Z'));

    // Assess
    expect([first, second, other]).toEqual([true, false, false]);
    expect(await store.get(id)).toMatchObject({
      status: 'approved',
      resolvedBy: 'U0APPROVER',
      resolvedAt: '2026-11-23T10:00:00.000Z',
    });
  });

  it('of two concurrent clicks exactly one wins', async () => {
    // Prepare
    const id = newApprovalId();
    await store.create(request(id));
    const at = new Date('2026-11-23T10:00:00Z');

    // Act
    const results = await Promise.all([
      store.resolve(id, 'approved', 'U0ONE', at),
      store.resolve(id, 'rejected', 'U0TWO', at),
    ]);

    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results[0] ? 'U0ONE' : 'U0TWO';
    expect((await store.get(id))?.resolvedBy).toBe(winner);
  });

  it('does not resolve an approval that does not exist (and does not create one)', async () => {
    // Act
    const resolved = await store.resolve('nonexistent-approval-id', 'approved', 'U0APPROVER', new Date());

    // Assess
    expect(resolved).toBe(false);
    expect(await store.get('nonexistent-approval-id')).toBeUndefined();
  });

  it('reopens after a failed hand-over: pending again, without the resolver, and resolvable', async () => {
    // Prepare
    const id = newApprovalId();
    await store.create(request(id));
    await store.resolve(id, 'approved', 'U0APPROVER', new Date('2026-11-23T10:00:00Z'));

    // Act
    await store.reopen(id);

    // Assess
    const reopened = await store.get(id);
    expect(reopened?.status).toBe('pending');
    expect(reopened).not.toHaveProperty('resolvedBy');
    expect(reopened).not.toHaveProperty('resolvedAt');
    expect(await store.resolve(id, 'rejected', 'U0OTHER', new Date('2026-11-23T10:01:00Z'))).toBe(true);
  });

  it('attaches the Slack message to an existing approval only', async () => {
    // Prepare
    const id = newApprovalId();
    await store.create(request(id));

    // Act
    await store.attachMessage(id, { channel: 'C0DEVOPS001', ts: '1700000000.000100' });
    const missing = await store
      .attachMessage('nonexistent-approval-id', { channel: 'C0DEVOPS001', ts: '1.2' })
      .catch((err: unknown) => err);

    // Assess
    expect((await store.get(id))?.message).toEqual({ channel: 'C0DEVOPS001', ts: '1700000000.000100' });
    expect(missing).toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await store.get('nonexistent-approval-id')).toBeUndefined();
  });

  it('reads nothing for an id that is not one (wrong shape) or for an execution index item', async () => {
    // Prepare
    const id = newApprovalId();
    await store.create(request(id, 'snapshot-volume-index'));

    // Act + Assess
    expect(await store.get('short')).toBeUndefined();
    expect(await store.get('has spaces in it!')).toBeUndefined();
    expect(await store.get(`${'a'.repeat(65)}`)).toBeUndefined();
    expect(await store.get('-exec#snapshot-volume-index'.replace('#', '_'))).toBeUndefined();
  });

  it('does not ask DynamoDB about an id of the wrong shape', async () => {
    // Prepare: a client that fails every call
    const calls: unknown[] = [];
    const failing = new ApprovalStore(
      {
        send: async (command: unknown) => {
          calls.push(command);
          throw new Error('no call expected');
        },
      } as unknown as DynamoDBDocumentClient,
      TABLE,
    );

    // Act + Assess
    for (const id of ['short', 'has spaces in it!', 'a'.repeat(65), '!aaaaaaaaaa', 'aaaaaaaaaa!'])
      expect(await failing.get(id), id).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('a resolve that DynamoDB cannot answer is an error, not a "no longer pending"', async () => {
    // Prepare
    const elsewhere = new ApprovalStore(db.doc, 'no-such-table');

    // Act
    const err = await elsewhere
      .resolve(newApprovalId(), 'approved', 'U0APPROVER', new Date())
      .catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('makes unguessable ids: 128 random bits, URL-safe', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newApprovalId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
