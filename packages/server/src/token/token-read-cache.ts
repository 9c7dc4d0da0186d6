/**
 * The three store reads of a token request (the client, the API, the client's grant), served from
 * memory while the store's `changeStamp` says nothing was written since they were read.
 *
 * Why it is exact, not "eventually" fresh: the stamp moves with every write that commits, by this
 * instance or by another one sharing the back-end (SQLite: `total_changes()` + `data_version`), and
 * it is read on every request after the request's issue time was taken. A cached record is thus
 * the store's state at that moment, as a fresh read would be, so DESIGN.md's revocation semantics
 * hold unchanged: a grant reduced, a client disabled or a secret rotated takes effect with the very
 * next request, here and on every other instance. Only positive answers are cached (an unknown
 * client or API always reaches the store, so failures cost what they did). Back-ends without a
 * stamp (PostgreSQL, DynamoDB: it would cost a round trip) are read through, uncached.
 */
import type { ClientGrantRecord, ClientRecord, ResourceServerRecord, Store } from '../store/store.ts';

/** The reads the token path makes; a `Store` satisfies it. */
export type TokenReads = Pick<Store, 'getClient' | 'getResourceServerByIdentifier' | 'findClientGrant'>;

/** Entries kept per kind; past it the kind starts over (a bound against floods of distinct ids). */
export const MAX_CACHED_ENTRIES = 10_000;

/** Options of `createTokenReadCache`. */
export interface TokenReadCacheOptions {
  /** Entries per kind before it starts over (default MAX_CACHED_ENTRIES). */
  maxEntries?: number;
}

/** The cache; one `snapshot()` per request. */
export interface TokenReadCache {
  /**
   * Reads for one request, current as of this call (one stamp read): take it after the request's
   * issue time. Without a stamp on the store, the store itself.
   */
  snapshot(): TokenReads;
}

/** Creates the cache over `store`. */
export function createTokenReadCache(store: Store, opts: TokenReadCacheOptions = {}): TokenReadCache {
  const readStamp = store.changeStamp?.bind(store);
  if (readStamp === undefined) return { snapshot: () => store };
  const maxEntries = opts.maxEntries ?? MAX_CACHED_ENTRIES;
  const clients = new Map<string, ClientRecord>();
  const apis = new Map<string, ResourceServerRecord>();
  const grants = new Map<string, ClientGrantRecord>();
  let stamp: string | undefined;

  /** The current stamp, emptying the cache when it moved; undefined when it cannot be read. */
  const current = (): string | undefined => {
    let now: string;
    try {
      now = readStamp();
    } catch {
      // The back-end is failing: read through, so the request gets the store's own error.
      stamp = undefined;
      return undefined;
    }
    if (now !== stamp) {
      clients.clear();
      apis.clear();
      grants.clear();
      stamp = now;
    }
    return now;
  };

  /** Reads through and remembers a non-null answer read under stamp `at`. */
  const fill = async <T extends object>(
    map: Map<string, T>,
    key: string,
    at: string,
    read: () => Promise<T | null>,
  ): Promise<T | null> => {
    const value = await read();
    // Kept only if no write committed meanwhile (an async back-end could interleave one).
    if (value !== null && stamp === at && current() === at) {
      if (map.size >= maxEntries) map.clear();
      map.set(key, Object.freeze(value));
    }
    return value;
  };

  /** Reads valid as of stamp `at`: served from memory while the cache still holds that stamp. */
  const readsAt = (at: string): TokenReads => ({
    async getClient(clientId) {
      return (
        (stamp === at ? clients.get(clientId) : undefined) ??
        fill(clients, clientId, at, () => store.getClient(clientId))
      );
    },
    async getResourceServerByIdentifier(identifier) {
      return (
        (stamp === at ? apis.get(identifier) : undefined) ??
        fill(apis, identifier, at, () => store.getResourceServerByIdentifier(identifier))
      );
    },
    async findClientGrant(clientId, audience) {
      // Length-prefixed: unambiguous whatever characters the two hold.
      const key = `${clientId.length}:${clientId}${audience}`;
      return (
        (stamp === at ? grants.get(key) : undefined) ??
        fill(grants, key, at, () => store.findClientGrant(clientId, audience))
      );
    },
  });

  return {
    snapshot() {
      const at = current();
      return at === undefined ? store : readsAt(at);
    },
  };
}
