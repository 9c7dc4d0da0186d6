import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../../test/services/dynamodb-local.ts';
import { createContactId } from '../contacts/contact-id.ts';
import { StoreUnavailableError } from '../problems/errors.ts';
import { runContactStoreContract } from './contact-store-contract.ts';
import { createDynamoDbContactStore } from './dynamodb-contact-store.ts';
import { createContactsTable, TableMismatchError } from './dynamodb-table.ts';

let ddb: DynamoDbLocal;
let client: DynamoDBClient;
let n = 0;

function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  client = localClient(ddb.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await ddb?.stop();
});

runContactStoreContract('dynamodb', async () => {
  const table = `contacts-${n++}`;
  await createContactsTable(client, table);
  return {
    store: createDynamoDbContactStore({ client, table }),
    dispose: async () => {
      await client.send(new DeleteTableCommand({ TableName: table }));
    },
  };
});

describe('DynamoDB contacts table', () => {
  it('is created idempotently: a second creation finds it and leaves it', async () => {
    expect(await createContactsTable(client, 'idempotent')).toBe('created');
    expect(await createContactsTable(client, 'idempotent')).toBe('exists');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'idempotent' }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table?.TableStatus).toBe('ACTIVE');
  });

  it('refuses to adopt a table of that name with another key schema', async () => {
    const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
    await client.send(
      new CreateTableCommand({
        TableName: 'foreign',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await expect(createContactsTable(client, 'foreign')).rejects.toBeInstanceOf(TableMismatchError);
  });

  it('answers StoreUnavailableError when the table is missing', async () => {
    const store = createDynamoDbContactStore({ client, table: 'never-created' });
    await expect(store.get(createContactId())).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('answers StoreUnavailableError when DynamoDB cannot be reached', async () => {
    const dead = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const store = createDynamoDbContactStore({ client: dead, table: 'contacts', ownsClient: true });
    await expect(store.get(createContactId())).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });
});
