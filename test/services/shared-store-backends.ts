/**
 * The shared store back-ends a gatehouse server runs on beside SQLite, each set up fresh for one
 * suite: a new PostgreSQL database, or DynamoDB Local with the store table created. `env` is what
 * `startTestServer({ env })` (or `gatehouse serve`) needs to use it; `tearDown` removes it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStoreTable } from '../../packages/server/src/store/dynamodb-table.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { createTestDatabase } from './postgres.ts';

/** One back-end, set up on demand. */
export interface StoreBackend {
  name: string;
  /** `name` is the database prefix or table name (unique per suite). */
  setUp(name: string): Promise<{ env: Record<string, string>; tearDown(): Promise<void> }>;
}

export const POSTGRES_BACKEND: StoreBackend = {
  name: 'PostgreSQL',
  async setUp(name) {
    const db = await createTestDatabase({ prefix: name });
    return {
      env: { GATEHOUSE_STORE: 'postgres', GATEHOUSE_DATABASE_URL: db.connectionString },
      tearDown: () => db.drop(),
    };
  },
};

export const DYNAMODB_BACKEND: StoreBackend = {
  name: 'DynamoDB Local',
  async setUp(name) {
    const ddb = await startDynamoDbLocal();
    const client = new DynamoDBClient({
      endpoint: ddb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await createStoreTable({ table: name, client });
    client.destroy();
    return {
      env: {
        GATEHOUSE_STORE: 'dynamodb',
        GATEHOUSE_DYNAMODB_TABLE: name,
        GATEHOUSE_DYNAMODB_ENDPOINT: ddb.endpoint,
      },
      tearDown: () => ddb.stop(),
    };
  },
};

/** The default embedded store: nothing to set up. */
export const SQLITE_BACKEND: StoreBackend = {
  name: 'SQLite',
  setUp: async () => ({ env: {}, tearDown: async () => {} }),
};
