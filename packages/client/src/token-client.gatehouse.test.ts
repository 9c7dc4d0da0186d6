/**
 * The token client against the real gatehouse authorization server (`startTestServer()`), with
 * token requests counted at the wire by a proxy in front of it, and an API protected by the real
 * gatehouse verifier for 401 recovery.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier, type Verifier } from '@gatehouse/authorizer';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenRequestError } from './errors.ts';
import { type CountingProxy, startCountingProxy } from './testing/counting-proxy.ts';
import { createTokenClient, type TokenClient, type TokenClientOptions } from './token-client.ts';

let server: TestServer;
let proxy: CountingProxy;
let api: { audience: string; clientId: string; clientSecret: string };
let shortApi: { audience: string; clientId: string; clientSecret: string };
const clients: TokenClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startCountingProxy(server.url);
  api = await server.createApiAndClient({
    scopes: ['read:contacts', 'write:contacts'],
    grantScopes: ['read:contacts'],
  });
  shortApi = await server.createApiAndClient({ scopes: ['read:contacts'], tokenLifetime: 3 });
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function client(options: Partial<TokenClientOptions> = {}, target = api): TokenClient {
  const c = createTokenClient({
    tokenEndpoint: `${proxy.url}/oauth/token`,
    clientId: target.clientId,
    clientSecret: target.clientSecret,
    audience: target.audience,
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
  clients.push(c);
  return c;
}

const tokenRequests = () => proxy.count('POST', '/oauth/token');

describe('token client against gatehouse', () => {
  it('discovers the token endpoint from the issuer and gets an RFC 9068 token for the API', async () => {
    const c = createTokenClient({
      issuer: server.issuer,
      clientId: api.clientId,
      clientSecret: api.clientSecret,
      audience: api.audience,
    });
    clients.push(c);
    const claims = decodeJwt(await c.getToken());
    expect(claims).toMatchObject({
      iss: server.issuer,
      aud: api.audience,
      client_id: api.clientId,
      sub: api.clientId,
      scope: 'read:contacts',
    });
  });

  it('answers 1,000 calls with exactly one token request on the wire', async () => {
    const before = tokenRequests();
    const c = client();
    const first = await c.getToken();
    for (let i = 1; i < 1000; i++) expect(await c.getToken()).toBe(first);
    expect(tokenRequests() - before).toBe(1);
  });

  it('makes one token request for 100 concurrent calls', async () => {
    const before = tokenRequests();
    const c = client();
    const tokens = await Promise.all(Array.from({ length: 100 }, () => c.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(tokenRequests() - before).toBe(1);
  });

  it('renews a short-lived token before it expires', async () => {
    const before = tokenRequests();
    const c = client({}, shortApi);
    const first = await c.getToken();
    let second = first;
    const deadline = Date.now() + 10_000;
    while (second === first && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      second = await c.getToken();
    }
    expect(second).not.toBe(first);
    expect(decodeJwt(second).iat!).toBeLessThan(decodeJwt(first).exp!);
    expect(tokenRequests() - before).toBe(2);
  });

  it('gets invalid_client for a wrong secret with one request and no retry', async () => {
    const before = tokenRequests();
    const wrong = `${api.clientSecret.slice(0, -4)}AAAA`;
    const error = await client({ clientSecret: wrong })
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(wrong);
    expect(tokenRequests() - before).toBe(1);
  });

  it('gets access_denied or invalid_scope without retrying when asking beyond the grant', async () => {
    const before = tokenRequests();
    const error = await client({ scope: 'write:contacts' })
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as TokenRequestError).status).toBeGreaterThanOrEqual(400);
    expect((error as TokenRequestError).status).toBeLessThan(500);
    expect(tokenRequests() - before).toBe(1);
  });
});

describe('token client 401 recovery against an API guarded by the gatehouse verifier', () => {
  let verifier: Verifier;
  let apiServer: Server;
  let apiUrl: string;
  const revoked = new Set<string>();
  const seen: string[] = [];

  beforeAll(async () => {
    verifier = createVerifier({
      issuer: server.issuer,
      audience: api.audience,
      isRevoked: (claims) => typeof claims.jti === 'string' && revoked.has(claims.jti),
    });
    apiServer = createServer((req, res) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      seen.push(token);
      verifier.verify(token).then(
        () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"items":[]}');
        },
        () => {
          res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
          res.end();
        },
      );
    });
    await new Promise<void>((r) => apiServer.listen(0, '127.0.0.1', () => r()));
    apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    verifier?.close();
    await new Promise<void>((r) => apiServer?.close(() => r()));
  });

  it('fetches one fresh token after the API says invalid_token (revoked) and retries once', async () => {
    const c = client();
    const first = await c.getToken();
    expect((await c.fetch(`${apiUrl}/contacts`)).status).toBe(200);
    // Revoke the cached token through the verifier's deny-list hook (what a revocation feed drives).
    revoked.add(String(decodeJwt(first).jti));
    const before = tokenRequests();
    const res = await c.fetch(`${apiUrl}/contacts`);
    expect(res.status).toBe(200);
    expect(tokenRequests() - before).toBe(1);
    expect(seen.slice(-2)[0]).toBe(first);
    expect(seen.slice(-1)[0]).not.toBe(first);
  });
});
