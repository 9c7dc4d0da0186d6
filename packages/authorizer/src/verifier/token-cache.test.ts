import { describe, expect, it } from 'vitest';
import type { VerificationKey } from '../jwks/import-jwk.ts';
import { createTokenCache } from './token-cache.ts';

const key = {} as VerificationKey;
const entry = (token: string) => ({ token, value: token, exp: 0, key, kid: 'k' });
const token = (n: number) => `header.payload.${String(n).padStart(40, 'x')}`;

describe('createTokenCache', () => {
  it('returns an entry only for the very same token', () => {
    const cache = createTokenCache<string>(10);
    cache.set(entry(token(1)));
    expect(cache.get(token(1))?.value).toBe(token(1));
    // same signature tail, different token: a miss, never the other token's entry
    expect(cache.get(`forged.${token(1).slice(7)}`)).toBeUndefined();
  });

  it('holds at most its capacity, evicting the least recently used', () => {
    const cache = createTokenCache<string>(4);
    for (let i = 0; i < 4; i++) cache.set(entry(token(i)));
    for (let round = 0; round < 3; round++) cache.get(token(0)); // keep 0 in use
    for (let i = 4; i < 7; i++) cache.set(entry(token(i)));
    expect(cache.get(token(0))).toBeDefined();
    expect(cache.get(token(1))).toBeUndefined();
    expect([4, 5, 6].every((i) => cache.get(token(i)) !== undefined)).toBe(true);
  });

  it('stores nothing with capacity 0, and deletes on request', () => {
    const none = createTokenCache<string>(0);
    none.set(entry(token(1)));
    expect(none.get(token(1))).toBeUndefined();
    const cache = createTokenCache<string>(2);
    cache.set(entry(token(1)));
    cache.delete(token(1));
    expect(cache.get(token(1))).toBeUndefined();
  });
});

describe('createTokenCache, a token found again at once', () => {
  it('is found no more once deleted or replaced, even though it was the last one found', () => {
    const cache = createTokenCache<string>(8);
    cache.set(entry(token(1)));
    expect(cache.get(token(1))?.value).toBe(token(1));
    cache.delete(token(1));
    expect(cache.get(token(1))).toBeUndefined();
    cache.set(entry(token(2)));
    expect(cache.get(token(2))?.value).toBe(token(2));
    cache.set({ ...entry(token(2)), value: 'again' });
    expect(cache.get(token(2))?.value).toBe('again');
  });

  it('keeps a token used over and over from being evicted', () => {
    const cache = createTokenCache<string>(4);
    cache.set(entry(token(0)));
    for (let i = 1; i < 20; i++) {
      cache.set(entry(token(i)));
      expect(cache.get(token(0))).toBeDefined();
      expect(cache.get(token(0))).toBeDefined();
    }
  });
});
