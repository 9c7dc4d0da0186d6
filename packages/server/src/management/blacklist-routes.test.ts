import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../testing/oauth-requests.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
let app: ApiAndClient;

const decode = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const nextMillisecond = () => new Promise((r) => setTimeout(r, 2));

async function isActive(token: string): Promise<boolean> {
  const res = await postForm(`${server.url}/oauth/introspect`, { token }, app);
  return (res.json as { active: boolean }).active;
}

/** A Management API token holding only `scopes`. */
async function callerWith(scopes: string[]): Promise<string> {
  return server.getToken(await server.createManagementClient(scopes, 'limited'));
}

beforeAll(async () => {
  server = await startTestServer();
  app = await server.createApiAndClient();
});
afterAll(async () => {
  await server?.close();
});

describe('/api/v2/blacklists/tokens (Auth0 shape)', () => {
  it('deny-lists {aud, jti}, lists it, and the token is inactive at once', async () => {
    const token = await server.getToken(app);
    const jti = decode(token).jti as string;
    const res = await server.management('POST', 'blacklists/tokens', { aud: app.audience, jti });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ aud: app.audience, jti });
    expect(await isActive(token)).toBe(false);
    const listed = await server.management(
      'GET',
      `blacklists/tokens?aud=${encodeURIComponent(app.audience)}`,
    );
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual([{ aud: app.audience, jti }]);
    const all = (await (await server.management('GET', 'blacklists/tokens')).json()) as unknown[];
    expect(all).toContainEqual({ aud: app.audience, jti });
    const other = await server.management('GET', 'blacklists/tokens?aud=https%3A%2F%2Fother.test%2F');
    expect(await other.json()).toEqual([]);
  });

  it('keeps an entry for a jti that is not a gatehouse one as well', async () => {
    const res = await server.management('POST', 'blacklists/tokens', {
      aud: app.audience,
      jti: 'external-id-1',
    });
    expect(res.status).toBe(201);
    const feed = (await (await fetch(`${server.url}/feeds/revocations`)).json()) as {
      tokens: { jti: string; exp: number }[];
    };
    const entry = feed.tokens.find((t) => t.jti === 'external-id-1');
    expect(entry?.exp).toBeGreaterThan(Date.now() / 1000 + 86_000);
  });

  it('refuses a body without aud or jti with a 400 naming the field', async () => {
    for (const [body, field] of [
      [{ jti: 'x' }, 'aud'],
      [{ aud: app.audience }, 'jti'],
      [{ aud: app.audience, jti: 'has space' }, 'jti'],
      [{ aud: app.audience, jti: 'x', extra: 1 }, 'extra'],
    ] as const) {
      const res = await server.management('POST', 'blacklists/tokens', body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toContain(field);
    }
  });

  it('needs the blacklist:tokens scope', async () => {
    const token = await callerWith(['read:clients']);
    for (const [method, body] of [
      ['GET', undefined],
      ['POST', JSON.stringify({ aud: app.audience, jti: 'x' })],
    ] as const) {
      const res = await fetch(`${server.url}/api/v2/blacklists/tokens`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body ? { body } : {}),
      });
      expect(res.status).toBe(403);
    }
  });
});

describe('POST /api/v2/clients/{id}/revoke-tokens (gatehouse extension)', () => {
  it('cuts off every token the client holds for one API, and not tokens issued afterwards', async () => {
    const x = await server.createApiAndClient();
    const token = await server.getToken(x);
    const res = await server.management('POST', `clients/${x.clientId}/revoke-tokens`, {
      audience: x.audience,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { client_id: string; audience: string; revoked_before: string };
    expect(body).toEqual({ client_id: x.clientId, audience: x.audience, revoked_before: expect.any(String) });
    expect(Date.parse(body.revoked_before)).toBeGreaterThan(0);
    const introspect = async (t: string) =>
      ((await postForm(`${server.url}/oauth/introspect`, { token: t }, x)).json as { active: boolean })
        .active;
    expect(await introspect(token)).toBe(false);
    await nextMillisecond();
    expect(await introspect(await server.getToken(x))).toBe(true);
  });

  it('cuts off every API when no audience is given, with no body at all', async () => {
    const x = await server.createApiAndClient();
    const token = await server.getToken(x);
    const res = await fetch(`${server.url}/api/v2/clients/${x.clientId}/revoke-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await server.managementToken()}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { audience: unknown }).audience).toBeNull();
    const answer = await postForm(`${server.url}/oauth/introspect`, { token }, x);
    expect(answer.json).toEqual({ active: false });
  });

  it('answers 404 for an unknown client', async () => {
    const res = await server.management('POST', 'clients/NoSuchClient00000000000000000000/revoke-tokens', {});
    expect(res.status).toBe(404);
  });
});
