/**
 * The token client against oidc-provider@8.8.1, a real OAuth 2.0 / OpenID Connect server from npm:
 * client credentials with an RFC 8707 resource indicator, JWT access tokens. Token requests are
 * counted inside the server.
 */
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenRequestError } from './errors.ts';
import { type OidcProviderIssuer, startOidcProviderIssuer } from './testing/oidc-provider-issuer.ts';
import { createTokenClient, type TokenClient } from './token-client.ts';

const RESOURCE = 'https://contacts.gatehouse.local/';
const SECRET = 'oidc-provider-client-secret-0123456789-abcdefghijklmnop';

type Issuer = OidcProviderIssuer;

function startProvider(ttl: number): Promise<Issuer> {
  return startOidcProviderIssuer({
    clientId: 'read-service',
    clientSecret: SECRET,
    resource: RESOURCE,
    scopes: 'read:contacts write:contacts',
    accessTokenTtlSeconds: ttl,
  });
}

let long: Issuer;
let short: Issuer;
const clients: TokenClient[] = [];

beforeAll(async () => {
  [long, short] = await Promise.all([startProvider(3600), startProvider(3)]);
});
afterAll(async () => {
  await Promise.all([long?.close(), short?.close()]);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function client(issuer: Issuer, secret = SECRET): TokenClient {
  const c = createTokenClient({
    issuer: issuer.issuer,
    clientId: 'read-service',
    clientSecret: secret,
    resource: RESOURCE,
    scope: 'read:contacts',
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
  });
  clients.push(c);
  return c;
}

describe('token client against oidc-provider', () => {
  it('discovers the token endpoint and gets a JWT access token for the resource', async () => {
    const token = await client(long).getToken();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: long.issuer,
      aud: RESOURCE,
      client_id: 'read-service',
      scope: 'read:contacts',
    });
  });

  it('answers 1,000 calls with exactly one token request at the server', async () => {
    const before = long.tokenRequests();
    const c = client(long);
    for (let i = 0; i < 1000; i++) await c.getToken();
    expect(long.tokenRequests() - before).toBe(1);
  });

  it('makes one token request for 100 concurrent calls', async () => {
    const before = long.tokenRequests();
    const c = client(long);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => c.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(long.tokenRequests() - before).toBe(1);
  });

  it('renews the token before it expires', async () => {
    const before = short.tokenRequests();
    const c = client(short);
    const first = await c.getToken();
    const deadline = Date.now() + 10_000;
    let second = first;
    while (second === first && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      second = await c.getToken();
    }
    expect(second).not.toBe(first);
    // The renewal was issued while the first token was still valid (judged by the tokens' own claims).
    expect(decodeJwt(second).iat!).toBeLessThan(decodeJwt(first).exp!);
    expect(short.tokenRequests() - before).toBe(2);
  });

  it('gets invalid_client for a wrong secret, once, without retrying', async () => {
    const before = long.tokenRequests();
    const wrong = 'wrong-secret-wrong-secret-wrong-secret';
    const error = await client(long, wrong)
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(String(error)).not.toContain(wrong);
    expect(long.tokenRequests() - before).toBe(1);
  });
});
