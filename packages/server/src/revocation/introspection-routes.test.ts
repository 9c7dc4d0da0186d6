import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../testing/oauth-requests.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
let app: ApiAndClient;
/** A client with a grant for another API only. */
let stranger: ApiAndClient;

const nextMillisecond = () => new Promise((r) => setTimeout(r, 2));
const decode = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function introspect(token: string, as: { clientId: string; clientSecret: string } = app) {
  const res = await postForm(`${server.url}/oauth/introspect`, { token }, as);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return res.json as Record<string, unknown>;
}

/** A client with a grant for `app`'s API holding `scope`. */
async function addClient(scope: string[]): Promise<ApiAndClient> {
  const c = (await (await server.management('POST', 'clients', { name: 'peer' })).json()) as {
    client_id: string;
    client_secret: string;
  };
  const grant = (await (
    await server.management('POST', 'client-grants', {
      client_id: c.client_id,
      audience: app.audience,
      scope,
    })
  ).json()) as { id: string };
  return { ...app, clientId: c.client_id, clientSecret: c.client_secret, grantId: grant.id };
}

beforeAll(async () => {
  server = await startTestServer();
  app = await server.createApiAndClient({ scopes: ['read:things', 'write:things'] });
  stranger = await server.createApiAndClient({ scopes: ['x:y'] });
});
afterAll(async () => {
  await server?.close();
});

describe('POST /oauth/introspect (RFC 7662)', () => {
  it('describes an active token with exactly the RFC 7662 members', async () => {
    const token = await server.getToken(app);
    const claims = decode(token);
    expect(await introspect(token)).toEqual({
      active: true,
      scope: 'read:things write:things',
      client_id: app.clientId,
      sub: app.clientId,
      aud: app.audience,
      iss: server.issuer,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'Bearer',
    });
  });

  it('lets any client with a grant for the token’s API introspect it, and nobody else', async () => {
    const token = await server.getToken(app);
    const peer = await addClient(['read:things']);
    expect((await introspect(token, peer)).active).toBe(true);
    expect(await introspect(token, stranger)).toEqual({ active: false });
  });

  it('answers only {active:false} for a malformed, forged or unknown-key token', async () => {
    const token = await server.getToken(app);
    const [h, , s] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...decode(token), scope: 'admin' })).toString(
      'base64url',
    );
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = (await exportJWK(publicKey)).n!.slice(0, 16);
    const unknownKey = await new SignJWT({ ...decode(token) })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
      .sign(privateKey);
    const realKid = JSON.parse(Buffer.from(h!, 'base64url').toString()).kid as string;
    const wrongKeySameKid = await new SignJWT({ ...decode(token) })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: realKid })
      .sign(privateKey);
    for (const bad of ['nope', 'a.b.c', `${h}.${forgedPayload}.${s}`, unknownKey, wrongKeySameKid]) {
      expect(await introspect(bad), bad.slice(0, 20)).toEqual({ active: false });
    }
  });

  it('answers {active:false} once the token has expired', async () => {
    // 2 s, not 1: exp is iat + lifetime in whole seconds, so a 1-second token issued late in a second
    // has expired by the next one, possibly before the first introspection.
    const short = await server.createApiAndClient({ grantTokenLifetime: 2 });
    const token = await server.getToken(short);
    expect((await introspect(token, short)).active).toBe(true);
    await new Promise((r) => setTimeout(r, 2100));
    expect(await introspect(token, short)).toEqual({ active: false });
  });

  it('answers {active:false} for a deny-listed token at once', async () => {
    const token = await server.getToken(app);
    const res = await server.management('POST', 'blacklists/tokens', {
      aud: app.audience,
      jti: decode(token).jti,
    });
    expect(res.status).toBe(201);
    expect(await introspect(token)).toEqual({ active: false });
  });

  it('cuts off tokens issued before a grant lost a scope, and not those issued after', async () => {
    const peer = await addClient(['read:things', 'write:things']);
    const before = await server.getToken(peer);
    const widened = await server.management('PATCH', `client-grants/${peer.grantId}`, {
      scope: ['read:things', 'write:things'],
    });
    expect(widened.status).toBe(200);
    expect((await introspect(before)).active).toBe(true);
    expect(
      (await server.management('PATCH', `client-grants/${peer.grantId}`, { scope: ['read:things'] })).status,
    ).toBe(200);
    expect(await introspect(before)).toEqual({ active: false });
    // A token issued in the very millisecond of the change counts as before it: wait for the next one.
    await nextMillisecond();
    const after = await server.getToken(peer);
    expect(await introspect(after)).toMatchObject({ active: true, scope: 'read:things' });
    // The token endpoint refuses the removed scope at once.
    const refused = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'client_credentials', audience: app.audience, scope: 'write:things' },
      peer,
    );
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'invalid_scope' });
  });

  it('cuts off a client’s tokens when its grant is deleted, and when it is disabled', async () => {
    const deleted = await addClient(['read:things']);
    const token1 = await server.getToken(deleted);
    expect((await server.management('DELETE', `client-grants/${deleted.grantId}`)).status).toBe(204);
    expect(await introspect(token1)).toEqual({ active: false });

    const disabled = await addClient(['read:things']);
    const token2 = await server.getToken(disabled);
    expect(
      (await server.management('PATCH', `clients/${disabled.clientId}`, { disabled: true })).status,
    ).toBe(200);
    expect(await introspect(token2)).toEqual({ active: false });
    expect(
      (await server.management('PATCH', `clients/${disabled.clientId}`, { disabled: false })).status,
    ).toBe(200);
    const token3 = await server.getToken(disabled);
    expect((await introspect(token3)).active).toBe(true);
  });

  it('refuses an unauthenticated caller and a missing token', async () => {
    const token = await server.getToken(app);
    const res = await postForm(`${server.url}/oauth/introspect`, { token });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: 'invalid_client' });
    const missing = await postForm(`${server.url}/oauth/introspect`, {}, app);
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: 'invalid_request' });
  });

  it('works from oauth4webapi, found through discovery', async () => {
    const issuer = new URL(server.issuer);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }),
    );
    expect(as.introspection_endpoint).toBe(`${server.issuer}oauth/introspect`);
    const token = await server.getToken(app);
    const response = await oauth.introspectionRequest(
      as,
      { client_id: app.clientId },
      oauth.ClientSecretBasic(app.clientSecret),
      token,
      { [oauth.allowInsecureRequests]: true },
    );
    const result = await oauth.processIntrospectionResponse(as, { client_id: app.clientId }, response);
    expect(result).toMatchObject({ active: true, client_id: app.clientId, token_type: 'Bearer' });
  });
});
