import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('/api/v2/keys/signing', () => {
  it('lists keys with Auth0 fields, alg and the public JWK only', async () => {
    const res = await server.management('GET', 'keys/signing');
    expect(res.status).toBe(200);
    const keys = (await res.json()) as Record<string, unknown>[];
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(key).toMatchObject({ alg: 'RS256', current: true, next: false, previous: false, revoked: false });
    expect(typeof key.kid).toBe('string');
    expect(Date.parse(key.current_since as string)).not.toBeNaN();
    const jwk = key.jwk as Record<string, string>;
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
      expect(jwk).not.toHaveProperty(privateMember);
    expect(JSON.stringify(keys)).not.toMatch(/encrypted|PRIVATE|v1\./);
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; n: string }[];
    };
    expect(jwks.keys.find((k) => k.kid === key.kid)?.n).toBe(jwk.n);
  });

  it('gets one key by kid, 404 for an unknown one, 400 for a malformed one', async () => {
    const [key] = (await (await server.management('GET', 'keys/signing')).json()) as { kid: string }[];
    const one = await server.management('GET', `keys/signing/${key!.kid}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { kid: string }).kid).toBe(key!.kid);
    const unknown = await server.management('GET', 'keys/signing/unknownkid');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { errorCode: string }).errorCode).toBe('inexistent_signing_key');
    expect((await server.management('GET', `keys/signing/${encodeURIComponent('bad kid!')}`)).status).toBe(
      400,
    );
  });
});
