import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('discovery', () => {
  it('serves the public JWK Set, cacheable, without private members', async () => {
    const res = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    }
  });

  it('serves the same RFC 8414 metadata at both well-known paths', async () => {
    const a = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
    const b = await fetch(`${server.url}/.well-known/openid-configuration`);
    const meta = await a.json();
    expect(await b.json()).toEqual(meta);
    expect(a.headers.get('cache-control')).toBe('public, max-age=300');
    expect(meta).toEqual({
      issuer: server.issuer,
      token_endpoint: `${server.issuer}oauth/token`,
      jwks_uri: `${server.issuer}.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: expect.arrayContaining([
        'RS256',
        'PS256',
        'ES256',
        'EdDSA',
      ]),
      revocation_endpoint: `${server.issuer}oauth/revoke`,
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      revocation_endpoint_auth_signing_alg_values_supported: expect.arrayContaining(['RS256']),
      introspection_endpoint: `${server.issuer}oauth/introspect`,
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      introspection_endpoint_auth_signing_alg_values_supported: expect.arrayContaining(['RS256']),
      response_types_supported: [],
      service_documentation: `${server.issuer}docs`,
      gatehouse_revocation_feed_endpoint: `${server.issuer}feeds/revocations`,
      gatehouse_policy_endpoint: `${server.issuer}feeds/policy`,
    });
    const algs = (meta as { token_endpoint_auth_signing_alg_values_supported: string[] })
      .token_endpoint_auth_signing_alg_values_supported;
    expect(algs).not.toContain('HS256');
    expect(algs).not.toContain('none');
  });

  it('answers If-None-Match with 304 until the keys change (strong ETag, weak comparison)', async () => {
    const jwksUrl = `${server.url}/.well-known/jwks.json`;
    const first = await fetch(jwksUrl);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(first.headers.get('access-control-expose-headers')).toBe('ETag');
    const before = (await first.json()) as { keys: { kid: string }[] };

    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await fetch(jwksUrl, { headers: { 'if-none-match': tag } });
      expect(again.status, tag).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      expect(again.headers.get('cache-control')).toBe('public, max-age=300');
    }
    const other = await fetch(jwksUrl, { headers: { 'if-none-match': '"other"' } });
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual(before);

    // a rotation publishes a new next key: a new document, a new tag
    const rotated = await server.management('POST', 'keys/signing/rotate');
    expect(rotated.status).toBe(201);
    const changed = await fetch(jwksUrl, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const after = (await changed.json()) as { keys: { kid: string }[] };
    expect(after.keys.map((k) => k.kid)).not.toEqual(before.keys.map((k) => k.kid));

    const meta = await fetch(`${server.url}/.well-known/openid-configuration`);
    const metaTag = meta.headers.get('etag')!;
    const metaAgain = await fetch(`${server.url}/.well-known/oauth-authorization-server`, {
      headers: { 'if-none-match': metaTag },
    });
    expect(metaAgain.status).toBe(304);
  });

  it('sends security headers on every answer', async () => {
    for (const path of ['/.well-known/jwks.json', '/healthz', '/nope', '/api/v2/clients']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('content-security-policy'), path).toMatch(/default-src 'none'/);
    }
  });
});
