import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';

/**
 * A real DynamoDB-compatible server for tests and benchmarks: dynalite, in memory, on 127.0.0.1
 * and a free port. Tables are created on demand. dynalite has no TransactWriteItems and no
 * UpdateTimeToLive: code under test must not need them.
 *
 *   const db = await startDynalite([{ name: 'guards', partitionKey: 'pk' }]);
 *   ... db.doc / db.client / db.endpoint ...
 *   await db.stop();
 */
export interface TableSpec {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** Creates another table (ready when the promise resolves). */
  createTable(table: TableSpec): Promise<void>;
  /** Closes the server; clients pointing at it then fail (what guard-store failure tests need). */
  stop(): Promise<void>;
}

/** Settings for an SDK client aimed at a local server: fixed region, dummy credentials, few retries. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  };
}

/** A document client for `endpoint` (e.g. a port nothing listens on, to test failures). */
export function documentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(endpoint)), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export async function startDynalite(tables: readonly TableSpec[] = []): Promise<LocalDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient(localClientConfig(endpoint));
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  const createTable = async (table: TableSpec): Promise<void> => {
    const keys: KeySchemaElement[] = [{ AttributeName: table.partitionKey, KeyType: 'HASH' }];
    const attrs: AttributeDefinition[] = [{ AttributeName: table.partitionKey, AttributeType: 'S' }];
    if (table.sortKey) {
      keys.push({ AttributeName: table.sortKey, KeyType: 'RANGE' });
      attrs.push({ AttributeName: table.sortKey, AttributeType: 'S' });
    }
    await client.send(
      new CreateTableCommand({
        TableName: table.name,
        KeySchema: keys,
        AttributeDefinitions: attrs,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (let i = 0; i < 200; i++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table.name }));
      if (Table?.TableStatus === 'ACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`table ${table.name} did not become ACTIVE`);
  };
  for (const table of tables) await createTable(table);

  let stopped = false;
  return {
    endpoint,
    client,
    doc,
    createTable,
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An endpoint on 127.0.0.1 where nothing listens (a port just freed). */
export async function deadEndpoint(): Promise<string> {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
