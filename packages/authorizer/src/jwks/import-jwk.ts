import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { JwsAlgorithm } from '../jose/algorithms.ts';
import { createRs256Verify } from '../jose/rsa-pkcs1.ts';

/**
 * One algorithm's signature check with one key, prepared once: true when `signature` (already
 * checked to be the key's signature length) signs `input`; may throw on a malformed signature.
 */
export type PreparedVerify = (input: Uint8Array, signature: Uint8Array) => boolean;

/** A public key from the issuer's JWKS, imported once and ready for every algorithm it allows. */
export interface VerificationKey {
  readonly kid: string;
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** Exact signature length in bytes for this key (RSA modulus size, 64 for ES256 and Ed25519). */
  readonly signatureLength: number;
  readonly algorithms: Readonly<Partial<Record<JwsAlgorithm, PreparedVerify>>>;
  /** Identifies the key material, so a refresh that returns the same key keeps the same object. */
  readonly fingerprint: string;
}

/** Smallest RSA modulus accepted, in bits. */
export const MIN_RSA_BITS = 2048;
const MAX_KID_LENGTH = 256;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Per key type: the curve it must have (if any), its public members, and the algorithms it serves. */
const KEY_TYPES: Record<string, { crv?: string; members: string[]; algorithms: JwsAlgorithm[] }> = {
  RSA: { members: ['n', 'e'], algorithms: ['RS256', 'PS256'] },
  EC: { crv: 'P-256', members: ['crv', 'x', 'y'], algorithms: ['ES256'] },
  OKP: { crv: 'Ed25519', members: ['crv', 'x'], algorithms: ['EdDSA'] },
};

/** `crypto.verify` with its hash and key options fixed. */
function withVerify(hash: string | null, options: Parameters<typeof verify>[2]): PreparedVerify {
  return (input, signature) => verify(hash, input, options, signature);
}

const PREPARE: Record<JwsAlgorithm, (key: KeyObject, bytes: number) => PreparedVerify> = {
  RS256: createRs256Verify,
  // RSA_PKCS1_PSS_PADDING (6), salt as long as the digest (RSA_PSS_SALTLEN_DIGEST, -1): RFC 7518 3.5
  PS256: (key) => withVerify('sha256', { key, padding: 6, saltLength: -1 }),
  // JOSE carries ECDSA signatures as raw r || s
  ES256: (key) => withVerify('sha256', { key, dsaEncoding: 'ieee-p1363' }),
  EdDSA: (key) => withVerify(null, key),
};

/**
 * Imports one JWK from a JWKS into a {@link VerificationKey}; returns the member at fault when the
 * key is unusable (missing `kid`, not for signatures, private or symmetric material, RSA under 2048
 * bits, a `kty`, `crv` or `alg` gatehouse does not verify).
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4
 */
export function importJwk(jwk: Record<string, unknown>): VerificationKey | string {
  const { kid, kty, alg, use, key_ops: ops } = jwk;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return 'kid';
  if (use !== undefined && use !== 'sig') return 'use';
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return 'key_ops';
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return 'private key material';
  const type = typeof kty === 'string' && Object.hasOwn(KEY_TYPES, kty) ? KEY_TYPES[kty] : undefined;
  if (type === undefined) return 'kty';
  if (type.crv !== undefined && jwk.crv !== type.crv) return 'crv';
  let algorithms = type.algorithms;
  if (alg !== undefined) {
    if (!algorithms.includes(alg as JwsAlgorithm)) return 'alg';
    algorithms = [alg as JwsAlgorithm];
  }
  const material: Record<string, unknown> = { kty };
  for (const member of type.members) {
    if (typeof jwk[member] !== 'string') return member;
    material[member] = jwk[member];
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: material, format: 'jwk' });
  } catch {
    return 'key material';
  }
  let signatureLength = 64;
  if (kty === 'RSA') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return 'RSA key too short';
    signatureLength = Math.ceil(bits / 8);
  }
  const prepared: Partial<Record<JwsAlgorithm, PreparedVerify>> = {};
  for (const a of algorithms) prepared[a] = PREPARE[a](key, signatureLength);
  return {
    kid,
    kty: kty as VerificationKey['kty'],
    signatureLength,
    algorithms: prepared,
    fingerprint: `${alg}|${Object.values(material).join('|')}`,
  };
}

/**
 * Imports the `keys` of a JWKS by `kid`. A member that is not a usable key (see {@link importJwk}),
 * or repeats a `kid` already taken, is left out and handed to `refused` with its index and the
 * reason; `refused` may throw, to refuse the whole set.
 */
export function importJwks(
  list: readonly unknown[],
  refused: (index: number, reason: string, jwk: unknown) => void,
): Map<string, VerificationKey> {
  const keys = new Map<string, VerificationKey>();
  list.forEach((jwk, i) => {
    let key =
      typeof jwk === 'object' && jwk !== null ? importJwk(jwk as Record<string, unknown>) : 'not an object';
    if (typeof key !== 'string' && keys.has(key.kid)) key = 'repeated kid';
    if (typeof key === 'string') refused(i, key, jwk);
    else keys.set(key.kid, key);
  });
  return keys;
}
