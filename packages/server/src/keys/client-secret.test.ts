import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretHasher, generateClientSecret, secretId } from './client-secret.ts';
import { createKek } from './kek.ts';

describe('client secrets', () => {
  it('generates 256-bit base64url secrets that never repeat', () => {
    const secrets = new Set(Array.from({ length: 200 }, generateClientSecret));
    expect(secrets.size).toBe(200);
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    }
  });

  const hasher = createSecretHasher(createKek(randomBytes(32)).deriveKey('client-secret'));

  it('hashes to 64 hex characters, deterministically, without containing the secret', () => {
    const secret = generateClientSecret();
    const hash = hasher.hash(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hasher.hash(secret)).toBe(hash);
    expect(hash).not.toContain(Buffer.from(secret, 'base64url').toString('hex'));
  });

  it('verifies the right secret and refuses any other', () => {
    const secret = generateClientSecret();
    const hash = hasher.hash(secret);
    expect(hasher.verify(secret, hash)).toBe(true);
    expect(hasher.verify(generateClientSecret(), hash)).toBe(false);
    expect(hasher.verify(`${secret}x`, hash)).toBe(false);
    expect(hasher.verify('', hash)).toBe(false);
  });

  it('refuses a malformed stored hash instead of throwing', () => {
    const secret = generateClientSecret();
    const hash = hasher.hash(secret);
    expect(hasher.verify(secret, hash.slice(2))).toBe(false);
    expect(hasher.verify(secret, `${hash}00`)).toBe(false);
    expect(hasher.verify(secret, 'zz'.repeat(32))).toBe(false);
    expect(hasher.verify(secret, hash.toUpperCase())).toBe(true);
  });

  it('does not verify a hash made under another key', () => {
    const other = createSecretHasher(createKek(randomBytes(32)).deriveKey('client-secret'));
    const secret = generateClientSecret();
    expect(other.verify(secret, hasher.hash(secret))).toBe(false);
  });

  it('refuses a hashing key shorter than 32 bytes', () => {
    expect(() => createSecretHasher(randomBytes(16))).toThrow(RangeError);
  });

  it('gives a short id that is a prefix of the hash', () => {
    const hash = hasher.hash(generateClientSecret());
    expect(secretId(hash)).toMatch(/^[0-9a-f]{16}$/);
    expect(hash.startsWith(secretId(hash))).toBe(true);
  });
});
