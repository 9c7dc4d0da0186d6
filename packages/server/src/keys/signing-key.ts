/**
 * Signing key generation: a fresh key pair per algorithm, its public JWK identified by its RFC 7638
 * thumbprint, and its PKCS#8 private key sealed by the KEK (aad = kid) before it reaches a store.
 * @see https://www.rfc-editor.org/rfc/rfc7517
 * @see https://www.rfc-editor.org/rfc/rfc7638
 */
import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { SigningAlg, SigningKeyRecord, SigningKeyStatus } from '../store/store.ts';
import type { Kek } from './kek.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Algorithms gatehouse signs with. */
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/** Whether `value` names a signing algorithm gatehouse supports. */
export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === 'string' && (SIGNING_ALGS as readonly string[]).includes(value);
}

/** Members that RFC 7638 (and RFC 8037 for OKP) hash, per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public JWK.
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3
 * @see https://www.rfc-editor.org/rfc/rfc8037#appendix-A.3
 */
export function computeJwkThumbprint(jwk: Record<string, unknown>): string {
  const kty = jwk.kty;
  const members = typeof kty === 'string' ? THUMBPRINT_MEMBERS[kty] : undefined;
  if (!members) throw new TypeError('unsupported JWK key type for a thumbprint');
  const canonical: Record<string, string> = {};
  for (const m of members) {
    const v = jwk[m];
    if (typeof v !== 'string') throw new TypeError(`JWK member "${m}" is missing`);
    canonical[m] = v;
  }
  // JSON.stringify keeps insertion order and adds no whitespace: exactly RFC 7638's canonical form.
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

async function generatePair(alg: SigningAlg): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      // Plain `rsa` keys (not `rsa-pss`): JWK export and the JWS PS256 padding are chosen at sign time.
      return generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    case 'ES256':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairAsync('ed25519');
  }
}

/** Options of `generateSigningKey`. */
export interface GenerateSigningKeyOptions {
  /** Default `next`: a key that is published in the JWKS but does not sign yet. */
  status?: SigningKeyStatus;
  now?: number;
}

/**
 * Generates a signing key for `alg` (RS256/PS256: RSA 2048; ES256: P-256; EdDSA: Ed25519) off the
 * event loop, and returns its record with the private key sealed under `kek`.
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc8037#section-3.1
 */
export async function generateSigningKey(
  alg: SigningAlg,
  kek: Kek,
  { status = 'next', now = Date.now() }: GenerateSigningKeyOptions = {},
): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = await generatePair(alg);
  const exported = publicKey.export({ format: 'jwk' });
  const publicJwk: Record<string, string> = {};
  for (const [k, v] of Object.entries(exported)) if (typeof v === 'string') publicJwk[k] = v;
  const kid = computeJwkThumbprint(publicJwk);
  publicJwk.kid = kid;
  publicJwk.alg = alg;
  publicJwk.use = 'sig';

  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const encryptedPrivateKey = kek.seal(der, kid);
  der.fill(0);

  return {
    kid,
    alg,
    publicJwk,
    encryptedPrivateKey,
    status,
    createdAt: now,
    activatedAt: status === 'current' ? now : null,
    retiredAt: null,
    revokedAt: null,
  };
}
