/**
 * The key ring: which signing key signs for each algorithm, and the public JWKS.
 *
 * Decrypted private keys and the JWKS are cached in memory so the token endpoint pays neither a
 * store read nor an AES-GCM open per request; `refresh()` re-reads the store (after a rotation, and
 * on a timer, `key-maintenance.ts`, so instances sharing a store follow each other).
 *
 * Rotation without a single failed verification: every algorithm in use keeps a `next` key, in
 * the JWKS but not signing, so verifiers have it cached before it signs anything. Rotation promotes
 * the oldest `next` key to `current` and makes a new `next`; the old `current` becomes `previous`
 * and stays in the JWKS until every token it signed has expired (the longest token lifetime after
 * its retirement), then leaves it. A key starts signing only once it has been published for
 * `publishLeadMs` (every instance sharing the store and every verifier's cached JWKS then hold
 * it): a rotation that promotes a younger `next` key (a second rotation soon after the first, or
 * one right after the first start) makes it current from that moment on, `activatedAt` in the
 * future, and the key it replaces keeps signing until then (its `retiredAt`). Revoking a key
 * removes it at once; revoking the key that signs rotates first, at once, so the server can always
 * sign.
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  type SigningAlg,
  type SigningKeyRecord,
  type Store,
  StoreConflictError,
  StoreNotFoundError,
} from '../store/store.ts';
import type { Kek } from './kek.ts';
import { generateSigningKey } from './signing-key.ts';

/** A decrypted signing key, ready for `crypto.sign`. */
export interface Signer {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
}

/** A JWK Set (RFC 7517 section 5). Cached and frozen: do not mutate. */
export interface Jwks {
  keys: JsonWebKey[];
}

/** The signing keys of one authorization server. */
export interface KeyRing {
  /** Makes sure `alg` has a current key: promotes a `next` one or generates one. Safe to call concurrently. */
  ensureSigningKey(alg: SigningAlg): Promise<void>;
  /**
   * The key that signs for `alg` now (the current key, or the one it replaces until the current
   * key's start: `signingKeyAt`), decrypted once and cached; KeyRingError when there is none.
   */
  getSigner(alg: SigningAlg): Promise<Signer>;
  /** Public JWKs of every key that is next, current, or previous within PREVIOUS_KEY_RETENTION_MS (+ publishLeadMs; never revoked). */
  getJwks(): Promise<Jwks>;
  /** Every key record as stored, newest first (fresh from the store). */
  listKeys(): Promise<SigningKeyRecord[]>;
  /** Re-reads the store; cached signers whose key no longer signs are dropped. */
  refresh(): Promise<void>;
  /**
   * Promotes the oldest `next` key of `alg` (published ahead, so verifiers already hold it) to
   * current and publishes a new `next`; the old current key becomes `previous` and keeps verifying
   * its tokens. The promoted key signs once it has been published for `publishLeadMs`: at once
   * when it was published that long ago (a `next` key normally has been since the last rotation),
   * else from then on (its `activatedAt`), the key that signed until now going on meanwhile.
   * Without a `next` key, a new key is made, and waits likewise. Returns the new current key.
   */
  rotateSigningKey(alg: SigningAlg): Promise<SigningKeyRecord>;
  /**
   * Revokes a key: it leaves the JWKS at once, so every token it signed stops verifying, and the
   * revocation feed lists it. The current key is first rotated away (the server never stops being
   * able to sign), the new key signing at once when the revoked one was signing; a revoked `next`
   * key is replaced. StoreNotFoundError for an unknown kid.
   * Returns the revoked key.
   */
  revokeSigningKey(kid: string): Promise<SigningKeyRecord>;
  /**
   * One round of upkeep (`key-maintenance.ts` runs it on a timer): re-reads the store, rotates an
   * algorithm whose current key has signed for `rotationMs` (0: never) once its `next` key has been
   * published for `prepublishMs`, and makes sure each algorithm in use has a `next` key. Instances
   * sharing a store rotate once: they promote the same `next` key, and promoting a current key
   * changes nothing. Returns the keys it made current.
   */
  maintain(opts: { now: number; rotationMs: number; prepublishMs: number }): Promise<SigningKeyRecord[]>;
}

/** Why a signing key cannot be used. */
export type KeyRingErrorCode = 'ERR_NO_SIGNING_KEY' | 'ERR_SIGNING_KEY_UNREADABLE';

/** A signing key cannot be used. Messages name the kid (public), never key material. */
export class KeyRingError extends Error {
  readonly code: KeyRingErrorCode;
  constructor(code: KeyRingErrorCode, message: string) {
    super(message);
    this.name = 'KeyRingError';
    this.code = code;
  }
}

/**
 * How long a retired key stays in the JWKS: the longest token lifetime (86400 s, DESIGN.md) plus a
 * margin for verifier clock skew. Every token it signed has expired by then. A key ring with a
 * `publishLeadMs` keeps it that much longer, covering instances that sign on with it until they
 * re-read the keys.
 */
export const PREVIOUS_KEY_RETENTION_MS = 86_400_000 + 5 * 60_000;

/** Public JWK members published in the JWKS; anything else (a private `d`, ...) is never copied. */
const PUBLIC_JWK_MEMBERS = ['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y'] as const;
const STATUS_ORDER = { current: 0, next: 1, previous: 2, revoked: 3 } as const;

/** Options of `createKeyRing`. */
export interface KeyRingOptions {
  store: Store;
  kek: Kek;
  /**
   * How long a key must have been published before a rotation lets it sign (default 0: at once).
   * The server passes `keyPublishLeadMs` of its sync interval (key-maintenance.ts).
   */
  publishLeadMs?: number;
  /** Clock in ms (tests); default Date.now. */
  now?: () => number;
}

/** A signer being loaded or loaded, with the kid it signs with and until when it may. */
interface CachedSigner {
  readonly promise: Promise<Signer>;
  /** Set once loaded. */
  kid: string | undefined;
  /** When another key starts signing (ms), Infinity when no start is ahead. */
  until: number;
}

/** Creates the key ring over a store's signing keys and the KEK that sealed them. */
export function createKeyRing({
  store,
  kek,
  publishLeadMs = 0,
  now: clock = Date.now,
}: KeyRingOptions): KeyRing {
  let records: Promise<SigningKeyRecord[]> | null = null;
  let jwks: Promise<Jwks> | null = null;
  const signers = new Map<SigningAlg, CachedSigner>();
  const ensuring = new Map<SigningAlg, Promise<void>>();

  const loadRecords = (): Promise<SigningKeyRecord[]> => {
    if (!records) {
      const p = store.listSigningKeys();
      records = p;
      p.catch(() => {
        if (records === p) records = null;
      });
    }
    return records;
  };

  /** Decrypts the key that signs for `alg` now; `loaded` learns its kid and until when it signs. */
  const loadSigner = async (
    alg: SigningAlg,
    loaded: (kid: string, until: number) => void,
  ): Promise<Signer> => {
    const keys = await loadRecords();
    const now = clock();
    const signing = signingKeyAt(keys, alg, now);
    if (!signing) {
      throw new KeyRingError('ERR_NO_SIGNING_KEY', `no current signing key for ${alg}`);
    }
    let der: Buffer;
    try {
      der = kek.open(signing.encryptedPrivateKey, signing.kid);
    } catch {
      throw new KeyRingError(
        'ERR_SIGNING_KEY_UNREADABLE',
        `signing key ${signing.kid} cannot be decrypted with this key-encryption key (kek id ${kek.id}); ` +
          'instances that share a store must share GATEHOUSE_KEK or the data dir holding it',
      );
    }
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    loaded(signing.kid, nextStartAfter(keys, alg, now));
    return { kid: signing.kid, alg, privateKey };
  };

  const refresh = async (): Promise<void> => {
    const p = store.listSigningKeys();
    records = p;
    jwks = null;
    const fresh = await p;
    const now = clock();
    for (const [alg, cached] of [...signers]) {
      if (cached.kid === undefined || signingKeyAt(fresh, alg, now)?.kid !== cached.kid) signers.delete(alg);
      // the same key signs on, until a key whose start is ahead (a rotation just made) takes over
      else cached.until = nextStartAfter(fresh, alg, now);
    }
  };

  /** Publishes a new `next` key for `alg` unless one is there. */
  const ensureNext = async (alg: SigningAlg, keys?: readonly SigningKeyRecord[]): Promise<void> => {
    const known = keys ?? (await store.listSigningKeys());
    if (findOldestNext(known, alg)) return;
    await store.createSigningKey(await generateSigningKey(alg, kek));
  };

  const ensure = async (alg: SigningAlg): Promise<void> => {
    let keys = await store.listSigningKeys();
    if (!findCurrent(keys, alg)) {
      const next = findOldestNext(keys, alg);
      try {
        if (next) await store.activateSigningKey(next.kid, clock());
        else await store.createSigningKey(await generateSigningKey(alg, kek, { status: 'current' }));
      } catch (err) {
        // Another instance made a current key first: theirs is as good as ours.
        if (!(err instanceof StoreConflictError)) throw err;
      }
      keys = await store.listSigningKeys();
    }
    await ensureNext(alg, keys);
    await refresh();
  };

  /**
   * Rotates `alg`. `revoking`: the kid about to be revoked; when it is the key signing now, the
   * promoted key signs at once, however recently published (verifiers fetch an unknown kid).
   */
  const rotate = async (alg: SigningAlg, now: number, revoking?: string): Promise<SigningKeyRecord> => {
    const keys = await store.listSigningKeys();
    const signing = signingKeyAt(keys, alg, now);
    const next =
      findOldestNext(keys, alg) ?? (await store.createSigningKey(await generateSigningKey(alg, kek)));
    // Until every instance and verifier can hold the promoted key, the key signing now goes on; with
    // none signing (nothing to go on with), or that key being revoked, the promoted key starts at once.
    const startsAt =
      signing === undefined || signing.kid === revoking ? now : Math.max(now, next.createdAt + publishLeadMs);
    const activated = await store.activateSigningKey(next.kid, startsAt);
    await ensureNext(alg);
    await refresh();
    return activated;
  };

  return {
    ensureSigningKey(alg) {
      let p = ensuring.get(alg);
      if (!p) {
        p = ensure(alg).finally(() => ensuring.delete(alg));
        ensuring.set(alg, p);
      }
      return p;
    },
    // Not `async`: the hot path gets the cached promise itself, with no extra wrapping per request,
    // and reads the clock only while a rotation's start is ahead.
    getSigner(alg) {
      const known = signers.get(alg);
      if (known !== undefined && (known.until === Number.POSITIVE_INFINITY || clock() < known.until))
        return known.promise;
      const cached: CachedSigner = {
        promise: loadSigner(alg, (kid, until) => {
          cached.kid = kid;
          cached.until = until;
        }),
        kid: undefined,
        until: Number.POSITIVE_INFINITY,
      };
      signers.set(alg, cached);
      cached.promise.catch(() => {
        if (signers.get(alg) === cached) signers.delete(alg);
      });
      return cached.promise;
    },
    getJwks() {
      if (!jwks) {
        // publishLeadMs is at least two sync intervals: more than any instance signs on with a
        // key retired through another one before it re-reads the keys
        const p = loadRecords().then((keys) => buildJwks(keys, clock(), publishLeadMs));
        jwks = p;
        p.catch(() => {
          if (jwks === p) jwks = null;
        });
      }
      return jwks;
    },
    listKeys: () => store.listSigningKeys(),
    refresh,
    rotateSigningKey: (alg) => rotate(alg, clock()),
    async revokeSigningKey(kid) {
      let key = await store.getSigningKey(kid);
      if (!key) throw new StoreNotFoundError(`signing key ${kid} not found`);
      if (key.status === 'revoked') return key;
      if (key.status === 'current') {
        // A current key whose start is still ahead is replaced like any rotation, the key signing
        // now going on; one that signs is replaced at once.
        await rotate(key.alg, clock(), kid);
        key = (await store.getSigningKey(kid)) ?? key;
      }
      const revoked = await store.updateSigningKey(kid, { status: 'revoked', revokedAt: clock() });
      if (key.status === 'next') await ensureNext(key.alg);
      await refresh();
      return revoked;
    },
    async maintain({ now, rotationMs, prepublishMs }) {
      const keys = await store.listSigningKeys();
      const rotated: SigningKeyRecord[] = [];
      for (const alg of new Set(keys.filter((k) => k.status === 'current').map((k) => k.alg))) {
        const current = findCurrent(keys, alg)!;
        const next = findOldestNext(keys, alg);
        const due = rotationMs > 0 && (current.activatedAt ?? current.createdAt) + rotationMs <= now;
        if (due && next && next.createdAt + prepublishMs <= now) {
          const activated = await store.activateSigningKey(next.kid, now);
          // Another instance may have promoted the same key first (activation then changes nothing):
          // only the instance that did it counts the rotation and publishes the new `next` key, so a
          // fleet rotates once and adds one key. Should the winner die before that, the next round of
          // any instance publishes it (the branch below).
          if (activated.activatedAt === now) {
            rotated.push(activated);
            await ensureNext(alg);
          }
        } else if (!next && (current.activatedAt ?? current.createdAt) + NEXT_KEY_GRACE_MS <= now) {
          // A key made current just now belongs to a rotation another instance (or this one) is
          // finishing, and that instance publishes the new `next` key itself: publishing one here
          // too would race it and leave two. Only a `next` key missing for longer is replaced here.
          await ensureNext(alg, keys);
        }
      }
      await refresh();
      return rotated;
    },
  };
}

/** How long after a key became current the upkeep round leaves publishing its `next` key to the rotation. */
const NEXT_KEY_GRACE_MS = 60_000;

function findCurrent(keys: readonly SigningKeyRecord[], alg: SigningAlg): SigningKeyRecord | undefined {
  let best: SigningKeyRecord | undefined;
  for (const k of keys) {
    if (k.alg !== alg || k.status !== 'current') continue;
    if (!best || (k.activatedAt ?? 0) > (best.activatedAt ?? 0)) best = k;
  }
  return best;
}

/**
 * The key that signs for `alg` at `now`: of the keys not revoked that have started signing
 * (`activatedAt` passed) and not stopped (`retiredAt` ahead, or none), the one started last. A key
 * made current with its start ahead leaves the key it replaced signing until then. Should none
 * qualify (that key was revoked meanwhile), the current key signs.
 */
function signingKeyAt(
  keys: readonly SigningKeyRecord[],
  alg: SigningAlg,
  now: number,
): SigningKeyRecord | undefined {
  let best: SigningKeyRecord | undefined;
  let bestStart = Number.NEGATIVE_INFINITY;
  for (const k of keys) {
    if (k.alg !== alg || (k.status !== 'current' && k.status !== 'previous')) continue;
    const start = k.activatedAt ?? (k.status === 'current' ? 0 : null);
    if (start === null || start > now || (k.retiredAt !== null && k.retiredAt <= now)) continue;
    if (start > bestStart) {
      best = k;
      bestStart = start;
    }
  }
  return best ?? findCurrent(keys, alg);
}

/** The first start of a key of `alg` after `now` (the signing key may change then); Infinity when none. */
function nextStartAfter(keys: readonly SigningKeyRecord[], alg: SigningAlg, now: number): number {
  let first = Number.POSITIVE_INFINITY;
  for (const k of keys) {
    if (k.alg === alg && k.status !== 'revoked' && k.activatedAt !== null && k.activatedAt > now)
      first = Math.min(first, k.activatedAt);
  }
  return first;
}

/** The `next` key of `alg` published longest (ties: lowest kid), which every instance picks alike. */
function findOldestNext(keys: readonly SigningKeyRecord[], alg: SigningAlg): SigningKeyRecord | undefined {
  let best: SigningKeyRecord | undefined;
  for (const k of keys) {
    if (k.alg !== alg || k.status !== 'next') continue;
    if (!best || k.createdAt < best.createdAt || (k.createdAt === best.createdAt && k.kid < best.kid))
      best = k;
  }
  return best;
}

/**
 * Whether a key belongs in the JWKS at `now`: not revoked, and not retired longer than its tokens
 * can live. `lagMs`: how long after its retirement another instance may still sign with it (until
 * it re-reads the keys, within one sync interval), so retention counts that much longer.
 */
function isPublished(k: SigningKeyRecord, now: number, lagMs: number): boolean {
  if (k.status === 'revoked') return false;
  if (k.status !== 'previous') return true;
  return k.retiredAt === null || k.retiredAt + PREVIOUS_KEY_RETENTION_MS + lagMs > now;
}

function buildJwks(keys: readonly SigningKeyRecord[], now: number, lagMs: number): Jwks {
  const published = keys
    .filter((k) => isPublished(k, now, lagMs))
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.createdAt - a.createdAt);
  const out: JsonWebKey[] = [];
  for (const k of published) {
    const jwk: Record<string, string> = {};
    for (const m of PUBLIC_JWK_MEMBERS) {
      const v = k.publicJwk[m];
      if (v !== undefined) jwk[m] = v;
    }
    jwk.kid = k.kid;
    jwk.alg = k.alg;
    jwk.use = 'sig';
    out.push(Object.freeze(jwk));
  }
  return Object.freeze({ keys: Object.freeze(out) as JsonWebKey[] });
}
