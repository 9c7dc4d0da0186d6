import { constants, createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SigningAlg } from '../store/store.ts';
import { createKek } from './kek.ts';
import { computeJwkThumbprint, generateSigningKey, isSigningAlg, SIGNING_ALGS } from './signing-key.ts';

const kek = createKek(randomBytes(32));

/** Signs a compact JWS with node:crypto alone, the way a token endpoint does. */
function signCompact(alg: SigningAlg, kid: string, key: KeyObject, payload: object): string {
  const header = Buffer.from(JSON.stringify({ alg, kid, typ: 'at+jwt' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const input = Buffer.from(`${header}.${body}`);
  const signature =
    alg === 'RS256'
      ? sign('sha256', input, key)
      : alg === 'PS256'
        ? sign('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
        : alg === 'ES256'
          ? sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' })
          : sign(null, input, key);
  return `${header}.${body}.${signature.toString('base64url')}`;
}

describe('signing keys', () => {
  it.each(SIGNING_ALGS)('generates a %s key whose tokens jose verifies with the public JWK', async (alg) => {
    const record = await generateSigningKey(alg, kek);
    const jwk = record.publicJwk;
    expect(jwk).toMatchObject({ kid: record.kid, alg, use: 'sig' });
    expect(jwk.d).toBeUndefined();
    expect(jwk.p).toBeUndefined();
    expect(record.kid).toBe(await calculateJwkThumbprint(jwk, 'sha256'));

    const privateKey = createPrivateKey({
      key: kek.open(record.encryptedPrivateKey, record.kid),
      format: 'der',
      type: 'pkcs8',
    });
    const publicKey = await importJWK(jwk, alg);
    const claims = { iss: 'https://issuer.test/', aud: 'https://api.test/', sub: 'client' };

    const raw = signCompact(alg, record.kid, privateKey, {
      ...claims,
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    const viaNode = await jwtVerify(raw, publicKey, {
      issuer: claims.iss,
      audience: claims.aud,
      algorithms: [alg],
    });
    expect(viaNode.protectedHeader).toMatchObject({ alg, kid: record.kid, typ: 'at+jwt' });

    const viaJose = await new SignJWT(claims)
      .setProtectedHeader({ alg, kid: record.kid })
      .setExpirationTime('1m')
      .sign(privateKey);
    await expect(jwtVerify(viaJose, publicKey, { algorithms: [alg] })).resolves.toBeTruthy();
  });

  it('uses RSA 2048, P-256 and Ed25519', async () => {
    const details = async (alg: SigningAlg) =>
      createPublicKey({ key: (await generateSigningKey(alg, kek)).publicJwk, format: 'jwk' })
        .asymmetricKeyDetails;
    expect((await details('RS256'))?.modulusLength).toBe(2048);
    expect((await details('PS256'))?.modulusLength).toBe(2048);
    expect((await details('ES256'))?.namedCurve).toBe('prime256v1');
    const ed = await generateSigningKey('EdDSA', kek);
    expect(ed.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });

  it('seals the private key to its own kid', async () => {
    const a = await generateSigningKey('ES256', kek);
    const b = await generateSigningKey('ES256', kek);
    expect(a.kid).not.toBe(b.kid);
    expect(() => kek.open(a.encryptedPrivateKey, b.kid)).toThrow(/could not be opened/);
    expect(a.encryptedPrivateKey.startsWith('v1.')).toBe(true);
  });

  it('makes a next key by default and a current one on request', async () => {
    const next = await generateSigningKey('EdDSA', kek, { now: 42 });
    expect(next).toMatchObject({
      status: 'next',
      createdAt: 42,
      activatedAt: null,
      retiredAt: null,
      revokedAt: null,
    });
    const current = await generateSigningKey('EdDSA', kek, { status: 'current', now: 43 });
    expect(current).toMatchObject({ status: 'current', activatedAt: 43 });
  });

  it('computes the RFC 7638 example thumbprint', () => {
    // https://www.rfc-editor.org/rfc/rfc7638#section-3.1
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(computeJwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(() => computeJwkThumbprint({ kty: 'oct', k: 'x' })).toThrow(TypeError);
    expect(() => computeJwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'a' })).toThrow(/"y"/);
  });

  it('recognises only the supported algorithms', () => {
    expect(SIGNING_ALGS.every(isSigningAlg)).toBe(true);
    expect(isSigningAlg('HS256')).toBe(false);
    expect(isSigningAlg('rs256')).toBe(false);
    expect(isSigningAlg(undefined)).toBe(false);
  });
});
