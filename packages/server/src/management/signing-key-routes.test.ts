import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../testing/oauth-requests.ts';
import {
  type ApiAndClient,
  ageNextSigningKeys,
  startTestServer,
  type TestServer,
} from '../testing/start-test-server.ts';

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
    // The current key, and the next one published ahead of its turn.
    expect(keys).toHaveLength(2);
    expect(keys.find((k) => k.next === true)).toMatchObject({ alg: 'RS256', current: false, revoked: false });
    const key = keys.find((k) => k.current === true)!;
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

interface KeyAnswer {
  kid: string;
  alg: string;
  current: boolean;
  next: boolean;
  previous: boolean;
  revoked: boolean;
  current_since?: string;
  current_until?: string;
}

describe('signing key rotation and revocation', () => {
  let app: ApiAndClient;
  beforeAll(async () => {
    app = await server.createApiAndClient();
  });

  const keys = async (alg = 'RS256') =>
    ((await (await server.management('GET', 'keys/signing')).json()) as KeyAnswer[]).filter(
      (k) => k.alg === alg,
    );
  const jwksKids = async () =>
    (
      (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    ).keys.map((k) => k.kid);
  const kidOf = (token: string) =>
    (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
  const isActive = async (token: string) =>
    ((await postForm(`${server.url}/oauth/introspect`, { token }, app)).json as { active: boolean }).active;

  it('rotates to a key published too recently at its start, the current key signing until then', async () => {
    const before = await keys();
    const current = before.find((k) => k.current)!;
    const next = before.find((k) => k.next)!;
    const res = await server.management('POST', 'keys/signing/rotate');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ kid: next.kid });
    const after = await keys();
    const promoted = after.find((k) => k.kid === next.kid)!;
    const startsAt = Date.parse(promoted.current_since!);
    // published when the server started, moments ago: it signs 10 minutes after that
    expect(promoted).toMatchObject({ current: true });
    expect(startsAt).toBeGreaterThan(Date.now() + 5 * 60_000);
    expect(after.find((k) => k.kid === current.kid)).toMatchObject({
      previous: true,
      current_until: promoted.current_since,
    });
    expect(kidOf(await server.getToken(app))).toBe(current.kid);
    const published = await jwksKids();
    for (const kid of [current.kid, next.kid]) expect(published).toContain(kid);
    // the key that signs now is revoked: its successor signs at once
    expect((await server.management('PUT', `keys/signing/${current.kid}/revoke`)).status).toBe(200);
    expect(kidOf(await server.getToken(app))).toBe(next.kid);
  });

  it('rotates to the key published ahead, publishes a new next key, and keeps the old one verifying', async () => {
    await ageNextSigningKeys(server);
    const before = await keys();
    const current = before.find((k) => k.current)!;
    const next = before.find((k) => k.next)!;
    expect(await jwksKids()).toContain(next.kid);
    const oldToken = await server.getToken(app);
    expect(kidOf(oldToken)).toBe(current.kid);

    const res = await server.management('POST', 'keys/signing/rotate');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ kid: next.kid });

    const after = await keys();
    expect(after.find((k) => k.kid === next.kid)).toMatchObject({ current: true });
    expect(after.find((k) => k.kid === current.kid)).toMatchObject({ previous: true });
    const newNext = after.find((k) => k.next)!;
    expect(newNext.kid).not.toBe(next.kid);
    const published = await jwksKids();
    for (const kid of [next.kid, current.kid, newNext.kid]) expect(published).toContain(kid);
    expect(kidOf(await server.getToken(app))).toBe(next.kid);
    expect(await isActive(oldToken)).toBe(true);
  });

  it('rotates the key of another algorithm with ?alg=', async () => {
    const es = await server.createApiAndClient({ signingAlg: 'ES256' });
    await ageNextSigningKeys(server);
    const current = (await keys('ES256')).find((k) => k.current)!;
    const res = await server.management('POST', 'keys/signing/rotate?alg=ES256');
    expect(res.status).toBe(201);
    const { kid } = (await res.json()) as { kid: string };
    expect(kid).not.toBe(current.kid);
    expect(kidOf(await server.getToken(es))).toBe(kid);
    expect((await server.management('POST', 'keys/signing/rotate?alg=HS256')).status).toBe(400);
  });

  it('revokes a previous key at once: gone from the JWKS, listed in the feed, its tokens inactive', async () => {
    const oldToken = await server.getToken(app);
    const oldKid = kidOf(oldToken);
    await server.management('POST', 'keys/signing/rotate');
    expect(await isActive(oldToken)).toBe(true);
    const res = await server.management('PUT', `keys/signing/${oldKid}/revoke`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ kid: oldKid });
    expect(await jwksKids()).not.toContain(oldKid);
    expect((await keys()).find((k) => k.kid === oldKid)).toMatchObject({ revoked: true });
    expect(await isActive(oldToken)).toBe(false);
    const feed = (await (await fetch(`${server.url}/feeds/revocations`)).json()) as {
      keys: { kid: string; revoked_at: number }[];
    };
    expect(feed.keys.map((k) => k.kid)).toContain(oldKid);
    // Revoking again changes nothing.
    expect((await server.management('PUT', `keys/signing/${oldKid}/revoke`)).status).toBe(200);
  });

  it('rotates before revoking the current key, so the server keeps signing', async () => {
    const token = await server.getToken(app);
    const currentKid = kidOf(token);
    const res = await server.management('PUT', `keys/signing/${currentKid}/revoke`);
    expect(res.status).toBe(200);
    const fresh = await server.getToken(app);
    expect(kidOf(fresh)).not.toBe(currentKid);
    expect(await isActive(fresh)).toBe(true);
    expect(await isActive(token)).toBe(false);
    const after = await keys();
    expect(after.filter((k) => k.current)).toHaveLength(1);
    expect(after.filter((k) => k.next).length).toBeGreaterThanOrEqual(1);
  });

  it('replaces a revoked next key with a new one', async () => {
    const next = (await keys()).find((k) => k.next)!;
    expect((await server.management('PUT', `keys/signing/${next.kid}/revoke`)).status).toBe(200);
    const after = await keys();
    expect(after.find((k) => k.kid === next.kid)).toMatchObject({ revoked: true });
    expect(after.filter((k) => k.next)).toHaveLength(1);
  });

  it('answers 404 for an unknown kid and 403 without the scopes', async () => {
    const unknown = await server.management('PUT', 'keys/signing/unknownkid/revoke');
    expect(unknown.status).toBe(404);
    const token = await server.getToken(await server.createManagementClient(['read:signing_keys'], 'reader'));
    const kid = (await keys()).find((k) => k.current)!.kid;
    for (const [method, path] of [
      ['POST', 'keys/signing/rotate'],
      ['PUT', `keys/signing/${kid}/revoke`],
    ] as const) {
      const res = await fetch(`${server.url}/api/v2/${path}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status, path).toBe(403);
    }
  });
});
