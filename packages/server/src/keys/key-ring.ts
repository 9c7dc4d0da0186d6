/**
 * The key ring: which signing key signs for each algorithm, and the public JWKS.
 *
 * Decrypted private keys and the JWKS are cached in memory so the token endpoint pays neither a
 * store read nor an AES-GCM open per request; `refresh()` re-reads the store (after a rotation or
 * on a timer when instances share a store).
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
  /** The current key for `alg`, decrypted once and cached; KeyRingError when there is none. */
  getSigner(alg: SigningAlg): Promise<Signer>;
  /** Public JWKs of every key that is next, current or previous (never revoked). */
  getJwks(): Promise<Jwks>;
  /** Every key record as stored, newest first (fresh from the store). */
  listKeys(): Promise<SigningKeyRecord[]>;
  /** Re-reads the store; cached signers whose key is no longer current are dropped. */
  refresh(): Promise<void>;
  /**
   * Generates a new key for `alg` and makes it current in one store step; the old current key
   * becomes `previous` and stays in the JWKS, so tokens it signed keep verifying. Returns the new key.
   */
  rotateSigningKey(alg: SigningAlg): Promise<SigningKeyRecord>;
  /**
   * Revokes a key that no longer signs (`next` or `previous`): it leaves the JWKS, so every token it
   * signed stops verifying. StoreConflictError for the current key (rotate first), StoreNotFoundError
   * for an unknown kid. Returns the revoked key.
   */
  revokeSigningKey(kid: string): Promise<SigningKeyRecord>;
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

/** Public JWK members published in the JWKS; anything else (a private `d`, ...) is never copied. */
const PUBLIC_JWK_MEMBERS = ['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y'] as const;
const STATUS_ORDER = { current: 0, next: 1, previous: 2, revoked: 3 } as const;

/** Options of `createKeyRing`. */
export interface KeyRingOptions {
  store: Store;
  kek: Kek;
}

/** Creates the key ring over a store's signing keys and the KEK that sealed them. */
export function createKeyRing({ store, kek }: KeyRingOptions): KeyRing {
  let records: Promise<SigningKeyRecord[]> | null = null;
  let jwks: Promise<Jwks> | null = null;
  const signers = new Map<SigningAlg, Promise<Signer>>();
  const signerKids = new Map<SigningAlg, string>();
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

  const loadSigner = async (alg: SigningAlg): Promise<Signer> => {
    const current = findCurrent(await loadRecords(), alg);
    if (!current) {
      throw new KeyRingError('ERR_NO_SIGNING_KEY', `no current signing key for ${alg}`);
    }
    let der: Buffer;
    try {
      der = kek.open(current.encryptedPrivateKey, current.kid);
    } catch {
      throw new KeyRingError(
        'ERR_SIGNING_KEY_UNREADABLE',
        `signing key ${current.kid} cannot be decrypted with this key-encryption key (kek id ${kek.id}); ` +
          'instances that share a store must share GATEHOUSE_KEK or the data dir holding it',
      );
    }
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    signerKids.set(alg, current.kid);
    return { kid: current.kid, alg, privateKey };
  };

  const refresh = async (): Promise<void> => {
    const p = store.listSigningKeys();
    records = p;
    jwks = null;
    const fresh = await p;
    for (const alg of [...signers.keys()]) {
      const kid = signerKids.get(alg);
      if (kid === undefined || findCurrent(fresh, alg)?.kid !== kid) {
        signers.delete(alg);
        signerKids.delete(alg);
      }
    }
  };

  const ensure = async (alg: SigningAlg): Promise<void> => {
    const keys = await store.listSigningKeys();
    if (findCurrent(keys, alg)) return;
    const next = keys.find((k) => k.alg === alg && k.status === 'next');
    try {
      if (next) await store.activateSigningKey(next.kid, Date.now());
      else await store.createSigningKey(await generateSigningKey(alg, kek, { status: 'current' }));
    } catch (err) {
      // Another instance made a current key first: theirs is as good as ours.
      if (!(err instanceof StoreConflictError)) throw err;
    }
    await refresh();
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
    // Not `async`: the hot path gets the cached promise itself, with no extra wrapping per request.
    getSigner(alg) {
      let p = signers.get(alg);
      if (!p) {
        const loading = loadSigner(alg);
        p = loading;
        signers.set(alg, loading);
        loading.catch(() => {
          if (signers.get(alg) === loading) signers.delete(alg);
        });
      }
      return p;
    },
    getJwks() {
      if (!jwks) {
        const p = loadRecords().then(buildJwks);
        jwks = p;
        p.catch(() => {
          if (jwks === p) jwks = null;
        });
      }
      return jwks;
    },
    listKeys: () => store.listSigningKeys(),
    refresh,
    async rotateSigningKey(alg) {
      const fresh = await store.createSigningKey(await generateSigningKey(alg, kek));
      const activated = await store.activateSigningKey(fresh.kid, Date.now());
      await refresh();
      return activated;
    },
    async revokeSigningKey(kid) {
      const key = await store.getSigningKey(kid);
      if (!key) throw new StoreNotFoundError(`signing key ${kid} not found`);
      if (key.status === 'current') {
        throw new StoreConflictError(`signing key ${kid} is current; rotate before revoking it`);
      }
      const revoked =
        key.status === 'revoked'
          ? key
          : await store.updateSigningKey(kid, { status: 'revoked', revokedAt: Date.now() });
      await refresh();
      return revoked;
    },
  };
}

function findCurrent(keys: readonly SigningKeyRecord[], alg: SigningAlg): SigningKeyRecord | undefined {
  let best: SigningKeyRecord | undefined;
  for (const k of keys) {
    if (k.alg !== alg || k.status !== 'current') continue;
    if (!best || (k.activatedAt ?? 0) > (best.activatedAt ?? 0)) best = k;
  }
  return best;
}

function buildJwks(keys: readonly SigningKeyRecord[]): Jwks {
  const published = keys
    .filter((k) => k.status !== 'revoked')
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
