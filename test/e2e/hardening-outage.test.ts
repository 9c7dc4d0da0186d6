/**
 * Store outages over real connections: a TCP relay sits between the server and PostgreSQL (or
 * DynamoDB Local), and cutting it makes the store unreachable without touching the database other
 * suites share. While it is cut, every endpoint that needs the store answers 503 with
 * `Retry-After` in its own error shape (never a 500); once it is back, service resumes by itself.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ApiAndClient, startTestServer, type TestServer } from '@gatehouse/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStoreTable } from '../../packages/server/src/store/dynamodb-table.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../services/dynamodb-local.ts';
import { createTestDatabase, type TestDatabase } from '../services/postgres.ts';

/** A TCP relay to `target` that can be cut (refusing and dropping every connection) and restored. */
interface Relay {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  let listening = false;
  const listen = () =>
    new Promise<void>((resolve) => {
      if (listening) {
        resolve();
        return;
      }
      listening = true;
      server = createServer((inbound) => {
        const outbound = connect(targetPort, '127.0.0.1');
        sockets.add(inbound).add(outbound);
        inbound.pipe(outbound).pipe(inbound);
        const drop = () => {
          inbound.destroy();
          outbound.destroy();
          sockets.delete(inbound);
          sockets.delete(outbound);
        };
        inbound.on('error', drop).on('close', drop);
        outbound.on('error', drop).on('close', drop);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!listening) {
        resolve();
        return;
      }
      listening = false;
      server.close(() => resolve());
    });
  await listen();
  return { port, cut, restore: listen, close: cut };
}

const form = (c: ApiAndClient) =>
  new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: c.clientId,
    client_secret: c.clientSecret,
    audience: c.audience,
  });

/** The outage scenario, whatever the store. */
async function expectOutageAndRecovery(server: TestServer, client: ApiAndClient, relay: Relay) {
  expect((await fetch(`${server.url}/oauth/token`, { method: 'POST', body: form(client) })).status).toBe(200);
  const mgmt = `Bearer ${await server.managementToken()}`;
  await relay.cut();

  // Several attempts: the first ones may meet a pooled connection that has just been cut.
  for (let i = 0; i < 3; i++) {
    const token = await fetch(`${server.url}/oauth/token`, { method: 'POST', body: form(client) });
    expect(token.status).toBe(503);
    expect(Number(token.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await token.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.any(String),
    });

    const list = await fetch(`${server.url}/api/v2/clients`, { headers: { authorization: mgmt } });
    expect(list.status).toBe(503);
    expect(Number(list.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await list.json()).toMatchObject({ statusCode: 503, errorCode: 'service_unavailable' });

    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
  }
  expect(server.logs.join('\n')).not.toContain(client.clientSecret);

  await relay.restore();
  await expect
    .poll(
      async () => (await fetch(`${server.url}/oauth/token`, { method: 'POST', body: form(client) })).status,
      {
        timeout: 30_000,
        interval: 250,
      },
    )
    .toBe(200);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${server.url}/api/v2/clients`, { headers: { authorization: mgmt } })).status).toBe(
    200,
  );
}

describe('PostgreSQL unreachable', () => {
  let db: TestDatabase;
  let relay: Relay;
  let server: TestServer;
  let client: ApiAndClient;
  beforeAll(async () => {
    db = await createTestDatabase();
    const url = new URL(db.connectionString);
    relay = await startRelay(Number(url.port || 5432));
    url.port = String(relay.port);
    server = await startTestServer({
      env: {
        GATEHOUSE_STORE: 'postgres',
        GATEHOUSE_DATABASE_URL: url.toString(),
        GATEHOUSE_KEK: randomBytes(32).toString('base64url'),
      },
    });
    client = await server.createApiAndClient();
  });
  afterAll(async () => {
    await relay?.restore().catch(() => {});
    await server?.close();
    await relay?.close();
    await db?.drop();
  });

  it('answers 503 with Retry-After while the database is unreachable, and recovers by itself', async () => {
    await expectOutageAndRecovery(server, client, relay);
  }, 90_000);
});

describe('DynamoDB unreachable', () => {
  let dynamo: DynamoDbLocal;
  let relay: Relay;
  let server: TestServer;
  let client: ApiAndClient;
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    relay = await startRelay(dynamo.port);
    const table = `outage-${randomBytes(3).toString('hex')}`;
    const ddb = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await createStoreTable({ table, client: ddb });
    ddb.destroy();
    server = await startTestServer({
      env: {
        GATEHOUSE_STORE: 'dynamodb',
        GATEHOUSE_DYNAMODB_ENDPOINT: `http://127.0.0.1:${relay.port}`,
        GATEHOUSE_DYNAMODB_TABLE: table,
        GATEHOUSE_KEK: randomBytes(32).toString('base64url'),
      },
    });
    client = await server.createApiAndClient();
  }, 120_000);
  afterAll(async () => {
    await relay?.restore().catch(() => {});
    await server?.close();
    await relay?.close();
    await dynamo?.stop();
  });

  it('answers 503 with Retry-After while DynamoDB is unreachable, and recovers by itself', async () => {
    await expectOutageAndRecovery(server, client, relay);
  }, 120_000);
});
