import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const json = async (res: Response) => ({
  status: res.status,
  body: (await res.json()) as Record<string, unknown>,
});

describe('/api/v2/clients', () => {
  it('creates a client and shows its secret once, never again', async () => {
    const created = await json(
      await server.management('POST', 'clients', {
        name: 'billing',
        description: 'Billing service',
        client_metadata: { team: 'payments' },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      client_id: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      name: 'billing',
      description: 'Billing service',
      app_type: 'non_interactive',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      client_metadata: { team: 'payments' },
      disabled: false,
      is_first_party: true,
    });
    const id = created.body.client_id as string;
    const secret = created.body.client_secret as string;

    const read = await server.management('GET', `clients/${id}`);
    const readText = await read.text();
    expect(readText).not.toContain(secret);
    expect(JSON.parse(readText)).not.toHaveProperty('client_secret');
    const listText = await (await server.management('GET', 'clients?per_page=100')).text();
    expect(listText).not.toContain(secret);
    expect(listText).not.toMatch(/hash|secrets/);
  });

  it('updates and deletes a client; deleting removes its grants', async () => {
    const x = await server.createApiAndClient();
    const patched = await json(
      await server.management('PATCH', `clients/${x.clientId}`, {
        name: 'renamed',
        client_metadata: { a: 'b' },
      }),
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'renamed', client_metadata: { a: 'b' } });
    expect((await server.management('DELETE', `clients/${x.clientId}`)).status).toBe(204);
    expect((await json(await server.management('GET', `clients/${x.clientId}`))).body).toMatchObject({
      statusCode: 404,
      errorCode: 'inexistent_client',
    });
    expect((await server.management('GET', `client-grants/${x.grantId}`)).status).toBe(404);
    const grants = (await (
      await server.management('GET', `client-grants?client_id=${x.clientId}`)
    ).json()) as unknown[];
    expect(grants).toEqual([]);
    await expect(server.getToken(x)).rejects.toThrow(/401/);
  });

  it('rotates the secret: the new one works at once and the old one no longer does', async () => {
    const x = await server.createApiAndClient();
    await server.getToken(x);
    const rotated = await json(await server.management('POST', `clients/${x.clientId}/rotate-secret`));
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.client_secret as string;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(x.clientSecret);
    expect(rotated.body.previous_secret_expires_at).toBeNull();
    await expect(server.getToken(x)).rejects.toThrow(/invalid_client/);
    await server.getToken({ ...x, clientSecret: fresh });
    expect(await (await server.management('GET', `clients/${x.clientId}`)).text()).not.toContain(fresh);
  });

  it('keeps the previous secret working for the grace period it is given, and says until when', async () => {
    const x = await server.createApiAndClient();
    const before = Date.now();
    const res = await server.management('POST', `clients/${x.clientId}/rotate-secret`, {
      grace_period_seconds: 3600,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { client_secret: string; previous_secret_expires_at: string };
    const until = Date.parse(body.previous_secret_expires_at);
    expect(until).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 3_600_000);
    // Both secrets work until then.
    await server.getToken(x);
    await server.getToken({ ...x, clientSecret: body.client_secret });
    // A second rotation without grace ends both the first secret and the second at once.
    const again = (await (await server.management('POST', `clients/${x.clientId}/rotate-secret`)).json()) as {
      client_secret: string;
      previous_secret_expires_at: unknown;
    };
    expect(again.previous_secret_expires_at).toBeNull();
    await expect(server.getToken(x)).rejects.toThrow(/invalid_client/);
    await expect(server.getToken({ ...x, clientSecret: body.client_secret })).rejects.toThrow(
      /invalid_client/,
    );
    await server.getToken({ ...x, clientSecret: again.client_secret });
  });

  it('ends the previous secret when its grace period is over', async () => {
    const x = await server.createApiAndClient();
    const res = await server.management('POST', `clients/${x.clientId}/rotate-secret?grace_period_seconds=1`);
    expect(res.status).toBe(200);
    const { client_secret: fresh } = (await res.json()) as { client_secret: string };
    await server.getToken(x);
    await new Promise((r) => setTimeout(r, 1100));
    await expect(server.getToken(x)).rejects.toThrow(/invalid_client/);
    await server.getToken({ ...x, clientSecret: fresh });
  });

  it('refuses a malformed or out-of-range grace period, and contradicting ones', async () => {
    const x = await server.createApiAndClient();
    for (const [query, body] of [
      ['?grace_period_seconds=-1', undefined],
      ['?grace_period_seconds=abc', undefined],
      ['', { grace_period_seconds: 2_592_001 }],
      ['', { grace_period_seconds: 1.5 }],
      ['', { grace: 10 }],
      ['?grace_period_seconds=10', { grace_period_seconds: 20 }],
    ] as const) {
      const res = await server.management('POST', `clients/${x.clientId}/rotate-secret${query}`, body);
      expect(res.status, `${query} ${JSON.stringify(body)}`).toBe(400);
    }
    // Nothing rotated: the original secret still works.
    await server.getToken(x);
  });

  it('disables a client: its token requests fail as invalid_client until enabled again', async () => {
    const x = await server.createApiAndClient();
    await server.management('PATCH', `clients/${x.clientId}`, { disabled: true });
    await expect(server.getToken(x)).rejects.toThrow(/invalid_client/);
    await server.management('PATCH', `clients/${x.clientId}`, { disabled: false });
    await server.getToken(x);
  });

  it('validates bodies and ids', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /name/],
      [{ name: '' }, /name/],
      [{ name: 'x'.repeat(129) }, /name/],
      [{ name: 'a', description: 'x'.repeat(141) }, /description/],
      [{ name: 'a', app_type: 'spa' }, /app_type/],
      [{ name: 'a', token_endpoint_auth_method: 'none' }, /token_endpoint_auth_method/],
      [{ name: 'a', grant_types: ['password'] }, /grant_types/],
      [{ name: 'a', client_metadata: { 'bad key': 'x' } }, /client_metadata/],
      [
        {
          name: 'a',
          client_metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])),
        },
        /client_metadata/,
      ],
      [{ name: 'a', client_secret: 'chosen' }, /client_secret/],
      [{ name: 'a', client_id: 'chosen' }, /client_id/],
    ];
    for (const [body, field] of cases) {
      const res = await json(await server.management('POST', 'clients', body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message, JSON.stringify(body)).toMatch(field);
    }
    const badId = await json(await server.management('GET', `clients/${encodeURIComponent('bad id!')}`));
    expect(badId.status).toBe(400);
    expect(badId.body.errorCode).toBe('invalid_uri');
    expect((await server.management('GET', 'clients/NoSuchClient')).status).toBe(404);
    expect((await server.management('POST', 'clients/NoSuchClient/rotate-secret')).status).toBe(404);
  });

  it('lists with totals', async () => {
    const page = (await (
      await server.management('GET', 'clients?include_totals=true&per_page=1')
    ).json()) as {
      clients: unknown[];
      total: number;
      limit: number;
      start: number;
      length: number;
    };
    expect(page.clients).toHaveLength(1);
    expect(page).toMatchObject({ start: 0, limit: 1, length: 1 });
    expect(page.total).toBeGreaterThan(1);
  });
});
