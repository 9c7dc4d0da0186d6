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
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
      service_documentation: `${server.issuer}docs`,
    });
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
