import {
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../../test/services/dynamodb-local.ts';
import { runAuditLogContract, sampleAuditEvent } from './audit-log-contract.ts';
import { createDynamoDbStore } from './dynamodb-store.ts';
import { createStoreTable, TTL_ATTRIBUTE } from './dynamodb-table.ts';

let ddb: DynamoDbLocal;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  client = new DynamoDBClient({
    endpoint: ddb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client?.destroy();
  await ddb?.stop();
});

async function newTable(): Promise<string> {
  tables += 1;
  const table = `gatehouse-audit-${tables}`;
  await createStoreTable({ table, client });
  return table;
}

runAuditLogContract(
  'dynamodb',
  async () => {
    const table = await newTable();
    const store = createDynamoDbStore({ table, client });
    await store.migrate();
    return {
      store,
      async cleanup() {
        await store.close();
        await client.send(new DeleteTableCommand({ TableName: table }));
      },
    };
  },
  { pruneByTtl: true },
);

describe('DynamoDB audit log', () => {
  it('sets the table TTL attribute on every event, in epoch seconds', async () => {
    const table = await newTable();
    const store = createDynamoDbStore({ table, client });
    try {
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
      expect(ttl.TimeToLiveDescription?.AttributeName).toBe(TTL_ATTRIBUTE);
      const event = sampleAuditEvent(Date.UTC(2026, 0, 1), { expiresAt: Date.UTC(2026, 3, 1) + 1 });
      await store.appendAuditEvent(event);
      const out = await client.send(
        new GetItemCommand({ TableName: table, Key: { PK: { S: 'AUDIT' }, SK: { S: `LOG#${event.id}` } } }),
      );
      expect(out.Item?.[TTL_ATTRIBUTE]?.N).toBe(String(Math.ceil(event.expiresAt / 1000)));
    } finally {
      await store.close();
      await client.send(new DeleteTableCommand({ TableName: table }));
    }
  });
});
