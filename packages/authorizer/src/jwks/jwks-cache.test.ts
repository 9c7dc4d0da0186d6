import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/errors.ts';
import { createTestKey, startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { createVerifier } from '../verifier/create-verifier.ts';
import { createJwksCache, type JwksCache, type JwksCacheOptions } from './jwks-cache.ts';

/** Waits (in real time, briefly) until `condition` holds; the background refresh runs on a timer. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

/** A verifier of `issuer`'s tokens starting from preloaded `keys`, refreshing on use, with no feed. */
function preloadedVerifier(issuer: TestIssuer, keys: unknown[], jwks: Record<string, number> = {}) {
  return createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    revocationFeed: false,
    backgroundRefresh: false,
    jwks: { keys, ...jwks },
  });
}

describe('a preloaded JWKS (jwks.keys)', () => {
  let idp: TestIssuer;

  beforeAll(async () => {
    idp = await startTestIssuer();
  });

  afterAll(async () => {
    await idp.close();
  });

  it('verifies at once with no issuer reachable', async () => {
    const gone = await startTestIssuer();
    const token = await gone.mint();
    await gone.close();
    const verifier = preloadedVerifier(
      gone,
      Object.values(gone.keys).map((k) => k.jwk),
    );
    try {
      // synchronously: no key has to be fetched
      expect(verifier.verifyNow(token)?.clientId).toBe('svc-a');
      expect(verifier.usable()).toBe(true);
    } finally {
      verifier.close();
    }
  });

  it('fetches the JWKS only after the first answer, without making it wait', async () => {
    const before = idp.hits.jwks;
    const verifier = preloadedVerifier(idp, [idp.keys.RS256.jwk]);
    try {
      expect(verifier.verifyNow(await idp.mint())?.clientId).toBe('svc-a');
      expect(idp.hits.jwks).toBe(before);
      await until(() => idp.hits.jwks === before + 1);
    } finally {
      verifier.close();
    }
  });

  it('refetches the JWKS for an unknown kid', async () => {
    const before = idp.hits.jwks;
    const verifier = preloadedVerifier(idp, [idp.keys.ES256.jwk]);
    try {
      const token = await idp.mint({}, { alg: 'RS256' });
      expect(verifier.verifyNow(token)).toBeUndefined();
      expect((await verifier.verify(token)).clientId).toBe('svc-a');
      expect(idp.hits.jwks).toBe(before + 1);
    } finally {
      verifier.close();
    }
  });

  it('drops a key the issuer no longer publishes at the next refresh, cached tokens included', async () => {
    const rotating = await startTestIssuer();
    rotating.setJwks([rotating.keys.ES256.jwk]);
    const verifier = preloadedVerifier(rotating, [rotating.keys.RS256.jwk, rotating.keys.ES256.jwk]);
    try {
      const token = await rotating.mint({}, { alg: 'RS256' });
      expect((await verifier.verify(token)).clientId).toBe('svc-a');
      // the refresh the first use started, in the background
      await until(() => rotating.hits.jwks === 1);
      await verifier.refresh();
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
      await expect(verifier.verify(await rotating.mint({}, { alg: 'ES256' }))).resolves.toMatchObject({
        clientId: 'svc-a',
      });
    } finally {
      verifier.close();
      await rotating.close();
    }
  });

  it('keeps the preloaded keys while the issuer is unreachable', async () => {
    const down = await startTestIssuer();
    down.setAvailable(false);
    const verifier = preloadedVerifier(down, [down.keys.RS256.jwk]);
    try {
      const token = await down.mint();
      expect((await verifier.verify(token)).clientId).toBe('svc-a');
      await expect(verifier.refresh()).rejects.toThrow(/HTTP 503/);
      expect(verifier.verifyNow(token)?.clientId).toBe('svc-a');
    } finally {
      verifier.close();
      await down.close();
    }
  });

  const rsa = createTestKey('RS256').jwk;
  it.each<[string, () => unknown[], RegExp]>([
    ['no key', () => [], /jwks.keys must hold 1 to 100 keys/],
    ['a private key', () => [{ ...rsa, d: 'private' }], /jwks.keys\[0\] refused: private key material/],
    [
      'a symmetric key',
      () => [{ kty: 'oct', kid: 'h', k: 'c2VjcmV0' }],
      /jwks.keys\[0\] refused: private key material/,
    ],
    [
      'a key type it does not verify',
      () => [{ kty: 'OKP', crv: 'X25519', kid: 'x', x: 'AAAA' }],
      /jwks.keys\[0\] refused: crv/,
    ],
    [
      'an RSA key under 2048 bits',
      () => [{ kty: 'RSA', kid: 's', n: Buffer.alloc(128, 0xff).toString('base64url'), e: 'AQAB' }],
      /jwks.keys\[0\] refused: RSA key too short/,
    ],
    ['a key without kid', () => [{ ...rsa, kid: undefined }], /jwks.keys\[0\] refused: kid/],
    [
      'a repeated kid',
      () => [rsa, { ...createTestKey('ES256').jwk, kid: rsa.kid }],
      /jwks.keys\[1\] refused: repeated kid/,
    ],
    ['a key that is not an object', () => ['key'], /jwks.keys\[0\] refused: not an object/],
  ])('refuses at creation a preloaded JWKS with %s', (_name, keys, message) => {
    expect(() => createJwksCache({ issuer: 'https://id.example/', keys: keys() })).toThrow(
      ConfigurationError,
    );
    expect(() => createJwksCache({ issuer: 'https://id.example/', keys: keys() })).toThrow(message);
  });
});

describe('unknown kids (the penalty box)', () => {
  let idp: TestIssuer;

  beforeAll(async () => {
    idp = await startTestIssuer();
  });

  afterAll(async () => {
    await idp.close();
  });

  it('costs one JWKS fetch per cooldown, however many unknown kids arrive', async () => {
    const verifier = preloadedVerifier(idp, [idp.keys.RS256.jwk], { unknownKidCooldownSeconds: 60 });
    try {
      expect(verifier.verifyNow(await idp.mint())?.clientId).toBe('svc-a');
      // the refresh the first use started, in the background
      const before = idp.hits.jwks;
      await until(() => idp.hits.jwks === before + 1);
      const forged = await Promise.all(
        Array.from({ length: 40 }, (_, i) => idp.mint({}, { header: { kid: `flood-${i}` } })),
      );
      const answers = await Promise.allSettled(forged.map((token) => verifier.verify(token)));
      for (const answer of answers)
        expect(answer).toMatchObject({ status: 'rejected', reason: { code: 'ERR_JWKS_NO_MATCHING_KEY' } });
      for (const token of forged.slice(0, 10))
        await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
      expect(idp.hits.jwks).toBe(before + 2);
    } finally {
      verifier.close();
    }
  });

  it('fetches at once a key the issuer starts using right after a refresh (a refresh spends no penalty-box time)', async () => {
    const rotating = await startTestIssuer();
    rotating.setJwks([rotating.keys.ES256.jwk]);
    const verifier = preloadedVerifier(rotating, [rotating.keys.ES256.jwk], {
      unknownKidCooldownSeconds: 60,
    });
    try {
      expect(verifier.verifyNow(await rotating.mint({}, { alg: 'ES256' }))?.clientId).toBe('svc-a');
      // a refresh just before the issuer rotates (here the one the first use started)
      await until(() => rotating.hits.jwks === 1);
      // the issuer publishes a new key and signs with it at once (as Keycloak does on rotation)
      rotating.setJwks(null);
      const token = await rotating.mint({}, { alg: 'RS256' });
      await expect(verifier.verify(token)).resolves.toMatchObject({ clientId: 'svc-a' });
      expect(rotating.hits.jwks).toBe(2);
    } finally {
      verifier.close();
      await rotating.close();
    }
  });
});

/** Runs `body` against a fresh test issuer and a cache of its JWKS (refreshed on demand), then closes both. */
async function withIssuerCache(
  body: (idp: TestIssuer, cache: JwksCache) => Promise<void>,
  options: { etag?: 'strong' | 'none' | 'not-modified'; cache?: Partial<JwksCacheOptions> } = {},
): Promise<void> {
  const idp = await startTestIssuer();
  idp.setJwksEtag(options.etag ?? 'strong');
  const cache = createJwksCache({ issuer: idp.issuer, backgroundRefresh: false, ...options.cache });
  try {
    await body(idp, cache);
  } finally {
    cache.close();
    await idp.close();
  }
}

describe('refreshing with If-None-Match (the JWKS answer’s ETag)', () => {
  it('asks with the tag of the keys it holds: a 304 keeps them, the same objects; a changed JWKS comes whole', () =>
    withIssuerCache(async (idp, cache) => {
      await cache.refresh();
      expect(idp.lastJwksIfNoneMatch).toBeUndefined();
      const key = cache.getKey(idp.keys.RS256.kid);
      expect(key).toBeDefined();

      await cache.refresh();
      expect(idp.lastJwksIfNoneMatch).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(idp.hits.jwksNotModified).toBe(1);
      expect(cache.getKey(idp.keys.RS256.kid)).toBe(key);

      idp.setJwks([idp.keys.ES256.jwk]);
      await cache.refresh();
      expect(idp.hits.jwksNotModified).toBe(1);
      expect(cache.getKey(idp.keys.RS256.kid)).toBeUndefined();
      expect(cache.getKey(idp.keys.ES256.kid)).toBeDefined();
    }));

  let t = 1_000_000;
  it('counts a 304 as a successful fetch: the keys are fresh and usable again', () =>
    withIssuerCache(
      async (idp, cache) => {
        await cache.refresh();
        t += 302_000; // past fresh (300 s) and stale-if-error (1 s)
        expect(cache.usable()).toBe(false);
        await cache.refresh();
        expect(idp.hits.jwksNotModified).toBe(1);
        expect(cache.usable()).toBe(true);
        expect(cache.getKey(idp.keys.RS256.kid)).toBeDefined();
      },
      { cache: { defaultMaxAgeSeconds: 300, staleIfErrorSeconds: 1, now: () => t } },
    ));

  it('never asks conditionally when the issuer sends no ETag', () =>
    withIssuerCache(
      async (idp, cache) => {
        await cache.refresh();
        await cache.refresh();
        expect(idp.hits.jwks).toBe(2);
        expect(idp.lastJwksIfNoneMatch).toBeUndefined();
        expect(idp.hits.jwksNotModified).toBe(0);
        expect(cache.getKey(idp.keys.RS256.kid)).toBeDefined();
      },
      { etag: 'none' },
    ));

  it('takes a 304 it did not ask for as a failed fetch', () =>
    withIssuerCache(
      async (idp, cache) => {
        await expect(cache.refresh()).rejects.toThrow('JWKS: HTTP 304');
        expect(cache.usable()).toBe(false);
        await expect(cache.resolveKey(idp.keys.RS256.kid)).rejects.toMatchObject({
          code: 'ERR_JWKS_UNAVAILABLE',
        });
      },
      { etag: 'not-modified' },
    ));
});
