/**
 * The verifier following the revocation feed (docs/feeds.md) of a real HTTP test issuer: revoked
 * tokens, cut-offs and revoked keys refused on their next use, cached or not, within the interval.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { createTestUlid } from '../testing/test-ulid.ts';
import { createVerifier, type Verifier } from './create-verifier.ts';

let idp: TestIssuer;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterEach(() => {
  for (const v of verifiers.splice(0)) v.close();
  idp.feeds.setAvailable(true);
  idp.setAvailable(true);
  idp.setDiscoveryExtra({});
});
afterAll(async () => {
  await idp.close();
});

function create(options: Partial<Parameters<typeof createVerifier>[0]> = {}) {
  const verifier = createVerifier({
    issuer: idp.issuer,
    audience: idp.audience,
    syncSeconds: 0.1,
    ...options,
  });
  verifiers.push(verifier);
  return verifier;
}

/** A token minted now with a ULID jti, as gatehouse issues them. */
async function mintNow(overrides: Record<string, unknown> = {}, alg: 'RS256' | 'ES256' = 'RS256') {
  const ms = Date.now();
  return idp.mint({ jti: createTestUlid(ms), iat: Math.floor(ms / 1000), ...overrides }, { alg });
}

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  );

describe('a verifier following the revocation feed', () => {
  it('refuses a cached token once its jti is revoked, within the interval', async () => {
    const verifier = create();
    const token = await mintNow();
    await verifier.verify(token);
    expect(verifier.verifyNow(token)).toBeDefined(); // cached
    const { jti, exp } = (await verifier.verify(token)).claims;
    idp.feeds.revokeToken(jti as string, exp);
    await vi.waitFor(async () => expect(await code(verifier.verify(token))).toBe('ERR_JWT_REVOKED'), {
      timeout: 3000,
    });
    expect(await code(verifier.verify(await mintNow()))).toBe('ok');
  });

  it('refuses tokens of a client issued before its cut-off, and accepts those issued after', async () => {
    const verifier = create();
    const before = await mintNow({ client_id: 'svc-cut', sub: 'svc-cut' });
    await verifier.verify(before);
    await new Promise((resolve) => setTimeout(resolve, 2));
    idp.feeds.cutOff('svc-cut', idp.audience, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 2));
    const after = await mintNow({ client_id: 'svc-cut', sub: 'svc-cut' });
    await vi.waitFor(async () => expect(await code(verifier.verify(before))).toBe('ERR_JWT_REVOKED'), {
      timeout: 3000,
    });
    expect(await code(verifier.verify(after))).toBe('ok');
    expect(await code(verifier.verify(await mintNow()))).toBe('ok'); // another client
  });

  it('refuses every token of a revoked key at once, though the JWKS cache still holds it', async () => {
    const verifier = create({ jwks: { minRefreshSeconds: 3600, maxRefreshSeconds: 3600 } });
    const es = await mintNow({}, 'ES256');
    await verifier.verify(es);
    idp.feeds.revokeKey(idp.keys.ES256.kid);
    await vi.waitFor(async () => expect(await code(verifier.verify(es))).toBe('ERR_JWT_REVOKED'), {
      timeout: 3000,
    });
    expect(verifier.jwks.getKey(idp.keys.ES256.kid)).toBeDefined();
    expect(await code(verifier.verify(await mintNow({}, 'ES256')))).toBe('ERR_JWT_REVOKED');
    expect(await code(verifier.verify(await mintNow()))).toBe('ok');
  });

  it('answers 503 until the deny-list is fetched once, and verifies when it is', async () => {
    idp.feeds.setAvailable(false);
    const verifier = create();
    const token = await mintNow();
    expect(await code(verifier.verify(token))).toBe('ERR_VERIFICATION_UNAVAILABLE');
    expect(verifier.usable()).toBe(false);
    expect(verifier.verifyNow(token)).toBeUndefined();
    idp.feeds.setAvailable(true);
    await vi.waitFor(async () => expect(await code(verifier.verify(token))).toBe('ok'), { timeout: 3000 });
    expect(verifier.usable()).toBe(true);
  });

  it('still refuses a bad token, or answers for missing keys, before the deny-list is known', async () => {
    idp.setAvailable(false);
    const verifier = create();
    expect(await code(verifier.verify('not.a.token'))).toBe('ERR_JWT_MALFORMED');
    expect(await code(verifier.verify(await mintNow()))).toBe('ERR_JWKS_UNAVAILABLE');
  });

  it('keeps verifying with the last deny-list while the issuer is down', async () => {
    const verifier = create();
    const revoked = await mintNow();
    const fine = await mintNow();
    const { jti, exp } = (await verifier.verify(revoked)).claims;
    await verifier.verify(fine);
    idp.feeds.revokeToken(jti as string, exp);
    await vi.waitFor(async () => expect(await code(verifier.verify(revoked))).toBe('ERR_JWT_REVOKED'), {
      timeout: 3000,
    });
    idp.setAvailable(false);
    const failures = () => idp.feeds.requests.filter((r) => r.status === 503).length;
    const seen = failures();
    await vi.waitFor(() => expect(failures()).toBeGreaterThan(seen + 3), { timeout: 3000 });
    expect(await code(verifier.verify(fine))).toBe('ok');
    expect(await code(verifier.verify(revoked))).toBe('ERR_JWT_REVOKED');
  });

  it('follows the feed the discovery document advertises', async () => {
    idp.setDiscoveryExtra({ gatehouse_revocation_feed_endpoint: `${idp.issuer}elsewhere/feeds/revocations` });
    const verifier = create();
    await verifier.refresh();
    expect(idp.feeds.requests.at(-1)?.path).toBe('/elsewhere/feeds/revocations');
  });

  it('follows no feed when told not to', async () => {
    const before = idp.feeds.requests.length;
    const verifier = create({ revocationFeed: false });
    await verifier.refresh();
    expect(await code(verifier.verify(await mintNow()))).toBe('ok');
    expect(idp.feeds.requests.length).toBe(before);
  });
});
