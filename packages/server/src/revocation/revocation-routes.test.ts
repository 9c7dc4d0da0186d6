import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../testing/oauth-requests.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
let app: ApiAndClient;
let otherClient: ApiAndClient;

const decode = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function introspect(token: string, as: ApiAndClient = app) {
  const res = await postForm(`${server.url}/oauth/introspect`, { token }, as);
  expect(res.status).toBe(200);
  return res.json as { active: boolean };
}

async function feedTokens(): Promise<{ jti: string; aud: string; exp: number }[]> {
  const res = await fetch(`${server.url}/feeds/revocations`);
  return ((await res.json()) as { tokens: { jti: string; aud: string; exp: number }[] }).tokens;
}

beforeAll(async () => {
  server = await startTestServer();
  app = await server.createApiAndClient({ scopes: ['read:things', 'write:things'] });
  // A second client with a grant for the same API.
  const second = (await (await server.management('POST', 'clients', { name: 'other' })).json()) as {
    client_id: string;
    client_secret: string;
  };
  await server.management('POST', 'client-grants', {
    client_id: second.client_id,
    audience: app.audience,
    scope: ['read:things'],
  });
  otherClient = { ...app, clientId: second.client_id, clientSecret: second.client_secret };
});
afterAll(async () => {
  await server?.close();
});

describe('POST /oauth/revoke (RFC 7009)', () => {
  it('revokes a client’s own token: 200 without a body, then the token is inactive and in the feed', async () => {
    const token = await server.getToken(app);
    expect((await introspect(token)).active).toBe(true);
    const res = await postForm(`${server.url}/oauth/revoke`, { token, token_type_hint: 'access_token' }, app);
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await introspect(token)).toEqual({ active: false });
    const claims = decode(token);
    expect(await feedTokens()).toContainEqual({ jti: claims.jti, aud: app.audience, exp: claims.exp });
  });

  it('answers 200 but revokes nothing for another client’s token', async () => {
    const token = await server.getToken(app);
    const res = await postForm(`${server.url}/oauth/revoke`, { token }, otherClient);
    expect(res.status).toBe(200);
    expect((await introspect(token)).active).toBe(true);
    expect((await feedTokens()).map((t) => t.jti)).not.toContain(decode(token).jti);
  });

  it('answers 200 for an unparseable, forged or refresh-hinted token, and lists nothing', async () => {
    const before = (await feedTokens()).length;
    const token = await server.getToken(app);
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...decode(token), jti: 'made-up' })).toString('base64url')}.${s}`;
    const cases: Record<string, string>[] = [
      { token: 'not-a-token' },
      { token: forged },
      { token: 'a.b.c', token_type_hint: 'refresh_token' },
    ];
    for (const params of cases) {
      const res = await postForm(`${server.url}/oauth/revoke`, params, app);
      expect(res.status, params.token).toBe(200);
    }
    expect((await feedTokens()).length).toBe(before);
    expect((await introspect(token)).active).toBe(true);
  });

  it('lists a token once however often it is revoked', async () => {
    const token = await server.getToken(app);
    for (let i = 0; i < 3; i++) {
      expect((await postForm(`${server.url}/oauth/revoke`, { token }, app)).status).toBe(200);
    }
    const jti = decode(token).jti;
    expect((await feedTokens()).filter((t) => t.jti === jti)).toHaveLength(1);
  });

  it('authenticates the client like the token endpoint, and requires the token', async () => {
    const token = await server.getToken(app);
    const unauthenticated = await postForm(`${server.url}/oauth/revoke`, { token });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.json).toMatchObject({ error: 'invalid_client' });
    expect(unauthenticated.headers.get('www-authenticate')).toMatch(/^Basic /);
    const wrong = await postForm(`${server.url}/oauth/revoke`, { token }, { ...app, clientSecret: 'wrong' });
    expect(wrong.status).toBe(401);
    expect((await introspect(token)).active).toBe(true);
    const missing = await postForm(`${server.url}/oauth/revoke`, {}, app);
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: 'invalid_request' });
    expect(missing.json?.error_description).toMatch(/token/);
  });

  it('works from openid-client v6, found through discovery', async () => {
    const config = await client.discovery(new URL(server.issuer), app.clientId, app.clientSecret, undefined, {
      execute: [client.allowInsecureRequests],
    });
    const { access_token } = await client.clientCredentialsGrant(config, { audience: app.audience });
    expect((await client.tokenIntrospection(config, access_token)).active).toBe(true);
    await client.tokenRevocation(config, access_token);
    expect((await client.tokenIntrospection(config, access_token)).active).toBe(false);
  });
});
