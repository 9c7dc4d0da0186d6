/**
 * Client secrets: generated with 256 bits of entropy, shown once, stored only as a keyed hash.
 *
 * Why HMAC-SHA-256 and not bcrypt/scrypt/argon2: those slow hashes exist to protect low-entropy,
 * human-chosen passwords against offline guessing. A generated 256-bit secret cannot be guessed
 * however fast the hash is, so a slow hash would only cost the token endpoint (its hot path,
 * every request verifies a secret) tens of milliseconds of CPU per request and make it a DoS lever.
 * The HMAC key comes from the KEK (`kek.deriveKey('client-secret')`), so a leaked store alone does
 * not even allow checking a candidate secret.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 * @see https://www.rfc-editor.org/rfc/rfc2104
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes of entropy in a generated client secret. */
export const CLIENT_SECRET_BYTES = 32;

/** A new client secret: 32 CSPRNG bytes (256 bits) as base64url, 43 characters. */
export function generateClientSecret(): string {
  return randomBytes(CLIENT_SECRET_BYTES).toString('base64url');
}

/** Hashes and verifies client secrets under one HMAC key. */
export interface SecretHasher {
  /** Hex HMAC-SHA-256 of the secret: what the store keeps. */
  hash(secret: string): string;
  /** Whether `secret` hashes to `hash`, compared in constant time. */
  verify(secret: string, hash: string): boolean;
}

/** Creates a hasher keyed with `key` (use `kek.deriveKey('client-secret')`). */
export function createSecretHasher(key: Buffer): SecretHasher {
  if (key.length < 32) throw new RangeError('the client-secret hashing key must be at least 32 bytes');
  const hmacKey = Buffer.from(key);
  const digest = (secret: string): Buffer => createHmac('sha256', hmacKey).update(secret, 'utf8').digest();
  return {
    hash: (secret) => digest(secret).toString('hex'),
    verify(secret, hash) {
      // A stored hash of the wrong shape can match nothing; checked before timingSafeEqual, which
      // needs equal lengths. The length of a hash is public, so this leaks nothing.
      if (hash.length !== 64) return false;
      const expected = Buffer.from(hash, 'hex');
      if (expected.length !== 32) return false;
      return timingSafeEqual(digest(secret), expected);
    },
  };
}

/** A short, non-secret id for a stored secret (first 16 hex of its keyed hash), for listing and rotation. */
export function secretId(hash: string): string {
  return hash.slice(0, 16);
}
