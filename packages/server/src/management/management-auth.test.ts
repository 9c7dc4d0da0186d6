import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function call(path: string, authorization?: string) {
  const res = await fetch(`${server.url}/api/v2/${path}`, {
    headers: authorization ? { authorization } : {},
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

/** A Management API caller holding only `scopes`. */
async function callerWith(scopes: string[]): Promise<string> {
  // the helper throws unless the client and its grant are created (201)
  return server.getToken(await server.createManagementClient(scopes));
}

describe('Management API authentication', () => {
  it('answers 401 in Auth0 shape without a token', async () => {
    const { status, json, headers } = await call('clients');
    expect(status).toBe(401);
    expect(json).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Missing authentication',
      errorCode: 'missing_authorization',
    });
    expect(headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('answers 401 to a malformed Authorization header and to a forged token', async () => {
    expect((await call('clients', 'Basic abc')).status).toBe(401);
    expect((await call('clients', 'Bearer not-a-jwt')).status).toBe(401);
    const token = await server.managementToken();
    const [h, p, s] = token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), scope: 'read:clients' }),
    ).toString('base64url');
    const forged = await call('clients', `Bearer ${h}.${forgedPayload}.${s}`);
    expect(forged.status).toBe(401);
    expect(forged.json.errorCode).toBe('invalid_token');
  });

  it('answers 401 to a valid gatehouse token for another audience', async () => {
    const x = await server.createApiAndClient();
    const token = await server.getToken(x);
    const { status, json } = await call('clients', `Bearer ${token}`);
    expect(status).toBe(401);
    expect(json.errorCode).toBe('invalid_token');
  });

  it('answers 403 insufficient_scope when the token lacks the route scope', async () => {
    const token = await callerWith(['read:clients']);
    expect((await call('clients', `Bearer ${token}`)).status).toBe(200);
    const { status, json } = await call('resource-servers', `Bearer ${token}`);
    expect(status).toBe(403);
    expect(json).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'Insufficient scope, expected any of: read:resource_servers',
      errorCode: 'insufficient_scope',
    });
  });

  it('cuts off Management API tokens of a reduced grant at once, before they expire', async () => {
    const client = (await (
      await server.management('POST', 'clients', { name: 'shrinking admin' })
    ).json()) as {
      client_id: string;
      client_secret: string;
    };
    const grant = (await (
      await server.management('POST', 'client-grants', {
        client_id: client.client_id,
        audience: `${server.issuer}api/v2/`,
        scope: ['read:clients', 'read:resource_servers'],
      })
    ).json()) as { id: string };
    const token = await server.getToken({
      clientId: client.client_id,
      clientSecret: client.client_secret,
      audience: `${server.issuer}api/v2/`,
    });
    expect((await call('resource-servers', `Bearer ${token}`)).status).toBe(200);
    await server.management('PATCH', `client-grants/${grant.id}`, { scope: ['read:clients'] });
    // The reduction cut the old token off altogether; a new one carries the reduced grant.
    const revoked = await call('clients', `Bearer ${token}`);
    expect(revoked.status).toBe(401);
    expect(revoked.json.message).toMatch(/revoked/);
    await new Promise((r) => setTimeout(r, 2));
    const fresh = await server.getToken({
      clientId: client.client_id,
      clientSecret: client.client_secret,
      audience: `${server.issuer}api/v2/`,
    });
    expect((await call('resource-servers', `Bearer ${fresh}`)).status).toBe(403);
    expect((await call('clients', `Bearer ${fresh}`)).status).toBe(200);
    await server.management('DELETE', `clients/${client.client_id}`);
    expect((await call('clients', `Bearer ${fresh}`)).status).toBe(401);
  });

  it('answers 404 in Auth0 shape for unknown routes', async () => {
    const token = await server.managementToken();
    const { status, json } = await call('no-such-thing', `Bearer ${token}`);
    expect(status).toBe(404);
    expect(json).toMatchObject({ statusCode: 404, error: 'Not Found', errorCode: 'inexistent_route' });
    expect((await call('no-such-thing')).status).toBe(404);
  });
});
