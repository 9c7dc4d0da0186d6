import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../../test/services/dynamodb-local.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/services/postgres.ts';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';
import { createStoreTable } from './dynamodb-table.ts';
import { dynamoDbConnection } from './open-store.ts';

/** Two servers on one shared store: tokens and administrative changes cross between them. */
async function checkSharedStore(a: TestServer, b: TestServer): Promise<void> {
  const { audience, clientId, clientSecret } = await a.createApiAndClient({
    scopes: ['read:things'],
    grantScopes: ['read:things'],
  });
  const token = await a.getToken({ clientId, clientSecret, audience });
  // Issued by A, verified with nothing but B's JWKS.
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${b.url}/.well-known/jwks.json`)), {
    issuer: b.issuer,
    audience,
    typ: 'at+jwt',
  });
  expect(payload.client_id).toBe(clientId);
  // The client created through A gets tokens from B at once.
  expect(await b.getToken({ clientId, clientSecret, audience })).toMatch(/^eyJ/);
}

describe('the server on PostgreSQL', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      GATEHOUSE_STORE: 'postgres',
      GATEHOUSE_DATABASE_URL: db.connectionString,
      GATEHOUSE_ISSUER: 'http://127.0.0.1:4999/',
    };
    // Both start at once against an empty database: migrations run under an advisory lock.
    const kek = 'a'.repeat(43);
    [a, b] = await Promise.all([
      startTestServer({ env: { ...env, GATEHOUSE_KEK: kek } }),
      startTestServer({ env: { ...env, GATEHOUSE_KEK: kek } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await db?.drop();
  });

  it('issues tokens one instance verifies with the other instance’s keys, and shares clients', async () => {
    await checkSharedStore(a, b);
  });
});

describe('the server on DynamoDB Local', () => {
  let ddb: DynamoDbLocal;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
    const client = new DynamoDBClient(dynamoDbConnection(ddb.endpoint));
    await createStoreTable({ table: 'gatehouse_open_store_test', client });
    client.destroy();
    const env = {
      GATEHOUSE_STORE: 'dynamodb',
      GATEHOUSE_DYNAMODB_ENDPOINT: ddb.endpoint,
      GATEHOUSE_DYNAMODB_TABLE: 'gatehouse_open_store_test',
      GATEHOUSE_ISSUER: 'http://127.0.0.1:4998/',
      GATEHOUSE_KEK: 'b'.repeat(43),
    };
    a = await startTestServer({ env });
    b = await startTestServer({ env });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await ddb?.stop();
  });

  it('issues tokens one instance verifies with the other instance’s keys, and shares clients', async () => {
    await checkSharedStore(a, b);
  }, 60_000);
});
