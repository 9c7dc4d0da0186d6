/**
 * The audit log and the token statistics through two server instances sharing a PostgreSQL or a
 * DynamoDB store: a change made through one is in the other's log, and both instances' token
 * counts sum up in the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DYNAMODB_BACKEND,
  POSTGRES_BACKEND,
  type StoreBackend,
} from '../../../../test/services/shared-store-backends.ts';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

const BACKENDS: StoreBackend[] = [POSTGRES_BACKEND, DYNAMODB_BACKEND];

describe.each(BACKENDS)('audit log on $name, two instances', (backend) => {
  let a: TestServer;
  let b: TestServer;
  let tearDown: () => Promise<void>;
  beforeAll(async () => {
    const setUp = await backend.setUp('gatehouse_audit');
    tearDown = setUp.tearDown;
    a = await startTestServer({ env: setUp.env });
    b = await startTestServer({
      env: {
        ...setUp.env,
        GATEHOUSE_ADMIN_CLIENT_ID: a.admin.clientId,
        GATEHOUSE_ADMIN_CLIENT_SECRET: a.admin.clientSecret,
      },
      // The same data dir: the same key-encryption key.
      dataDir: a.dataDir,
    });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await tearDown?.();
  });

  it('shows a change made through one instance in the other’s log, without the secret', async () => {
    const api = await a.createApiAndClient({ clientName: 'fleet client' });
    const rotated = (await (await a.management('POST', `clients/${api.clientId}/rotate-secret`)).json()) as {
      client_secret: string;
    };
    const res = await b.management('GET', `logs?target_id=${api.clientId}&include_totals=true`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { total: number; logs: { type: string; details: { action: string } }[] };
    expect(body.total).toBe(2);
    expect(body.logs.map((e) => e.details.action)).toEqual(['client.secret_rotated', 'client.created']);
    expect(text).not.toContain(rotated.client_secret);
    expect(text).not.toContain(api.clientSecret);
  });

  it('sums both instances’ token counts in the store', async () => {
    const api = await a.createApiAndClient({ clientName: 'counted' });
    await a.getToken(api);
    await b.getToken(api);
    await b.getToken(api);
    expect((await b.management('GET', 'stats/tokens')).status).toBe(200);
    const stats = (await (await a.management('GET', `stats/tokens?client_id=${api.clientId}`)).json()) as {
      issued: { client_id: string; total: number }[];
    };
    expect(stats.issued).toEqual([expect.objectContaining({ client_id: api.clientId, total: 3 })]);
  });
});
