import type { VerificationKey } from '../jwks/import-jwk.ts';

/** A token that passed full verification, kept so its signature is not checked again. */
export interface TokenCacheEntry<T> {
  readonly token: string;
  readonly value: T;
  /** `exp` of the token, seconds. */
  readonly exp: number;
  /** The key object it verified with: a hit is only good while the JWKS still holds this exact key. */
  readonly key: VerificationKey;
  readonly kid: string;
}

/** A bounded, least-recently-used cache of verified tokens. */
export interface TokenCache<T> {
  get(token: string): TokenCacheEntry<T> | undefined;
  set(entry: TokenCacheEntry<T>): void;
  delete(token: string): void;
}

/** Characters of the signature the map is keyed by: 192 bits, so distinct tokens do not share one. */
const KEY_LENGTH = 32;

/**
 * Creates a token cache holding at most `capacity` entries (0 disables caching). Entries are found
 * by the end of the signature (hashing 32 characters instead of the whole token on every request)
 * and then compared in full, so a look-alike can only miss. Recency is refreshed only for entries
 * in the older half, which keeps hits to one map lookup while still evicting the least used.
 */
export function createTokenCache<T>(capacity: number): TokenCache<T> {
  const map = new Map<string, TokenCacheEntry<T> & { stamp: number }>();
  let clock = 0;
  const half = Math.max(1, capacity >> 1);
  // the entry found last: a client repeating its token is answered by one full comparison, with no
  // key sliced and hashed (cleared whenever an entry is removed or replaced)
  let last: (TokenCacheEntry<T> & { stamp: number }) | undefined;
  return {
    get(token) {
      if (last !== undefined && last.token === token && clock - last.stamp <= half) return last;
      const key = token.slice(-KEY_LENGTH);
      const entry = map.get(key);
      if (entry === undefined || entry.token !== token) return undefined;
      if (clock - entry.stamp > half) {
        map.delete(key);
        entry.stamp = ++clock;
        map.set(key, entry);
      }
      last = entry;
      return entry;
    },
    set(entry) {
      if (capacity <= 0) return;
      last = undefined;
      const key = entry.token.slice(-KEY_LENGTH);
      map.delete(key);
      map.set(key, { ...entry, stamp: ++clock });
      if (map.size > capacity) {
        const oldest = map.keys().next();
        if (!oldest.done) map.delete(oldest.value);
      }
    },
    delete(token) {
      // only ever called for a token just found here, so its key is its own
      last = undefined;
      map.delete(token.slice(-KEY_LENGTH));
    },
  };
}
