/**
 * Identifiers the authorization server mints. They are unguessable (drawn from the CSPRNG) but not
 * secret: a client id alone authenticates nothing.
 */
import { randomBytes } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Largest multiple of 62 below 256: bytes at or above it are dropped so every character is equally likely. */
const UNBIASED_LIMIT = 248;

/** `length` characters of [A-Za-z0-9], uniformly drawn (rejection sampling, no modulo bias). */
export function createRandomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    // 1.1x over-draw: about 3% of bytes are rejected, so one round almost always suffices.
    const bytes = randomBytes(Math.ceil((length - out.length) * 1.1) + 4);
    for (const b of bytes) {
      if (b >= UNBIASED_LIMIT) continue;
      out += ALPHANUMERIC[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A client id: 32 alphanumeric characters (log2(62^32) ≈ 190 bits), the length Auth0 uses. */
export function createClientId(): string {
  return createRandomAlphanumeric(32);
}

/** A resource server (API) id: 24 lower-case hex characters (96 bits), Auth0's shape. */
export function createResourceServerId(): string {
  return randomBytes(12).toString('hex');
}

/** A client grant id: `cgr_` and 16 alphanumeric characters, Auth0's shape. */
export function createClientGrantId(): string {
  return `cgr_${createRandomAlphanumeric(16)}`;
}
