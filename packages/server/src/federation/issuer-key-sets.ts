/**
 * The signing keys of external issuers: the `jwks_uri` from the issuer's OpenID discovery document
 * (or registered directly), then jose's remote JWK Set. Only issuers named by a registered
 * federated credential are ever fetched. Fail closed: an issuer whose discovery or keys cannot be
 * read authenticates nobody. Kid-flood safe: an unknown `kid` refetches the set at most once per
 * cooldown, and a failed discovery is not retried before its cooldown either.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

/** Options of `createIssuerKeySets`. */
export interface IssuerKeySetsOptions {
  /** Timeout of one discovery or JWKS fetch, ms (default 5000). */
  timeoutMs?: number;
  /** Least time between two fetches of one JWK Set (unknown kid) or a failed discovery, ms (default 30000). */
  cooldownMs?: number;
  /** How long fetched keys and discovery answers are used before being fetched again, ms (default 600000). */
  maxAgeMs?: number;
}

/** Why an issuer's keys cannot be had (unreachable, bad discovery). */
export class IssuerKeysUnavailable extends Error {
  readonly code = 'ERR_ISSUER_KEYS_UNAVAILABLE';
}

/** Keys by issuer. */
export interface IssuerKeySets {
  /** The key resolver for an issuer (its discovery, or `jwksUri` when registered). */
  keysFor(issuer: string, jwksUri: string | undefined): Promise<JWTVerifyGetKey>;
}

const discoverySchema = z.object({ issuer: z.string(), jwks_uri: z.url() });
const MAX_ENTRIES = 1000;
/** Largest discovery document read (real ones are a few KB). */
const MAX_DISCOVERY_BYTES = 256 * 1024;

/** The discovery URL of an issuer identifier. @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationRequest */
export function discoveryUrlOf(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/** Creates the cache. */
export function createIssuerKeySets(opts: IssuerKeySetsOptions = {}): IssuerKeySets {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const cooldownMs = opts.cooldownMs ?? 30_000;
  const maxAgeMs = opts.maxAgeMs ?? 600_000;
  const sets = new Map<string, JWTVerifyGetKey>();
  const discovered = new Map<
    string,
    { jwksUri?: string; failure?: string; at: number; pending?: Promise<void> }
  >();

  const setFor = (jwksUri: string): JWTVerifyGetKey => {
    let set = sets.get(jwksUri);
    if (set === undefined) {
      set = createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: timeoutMs,
        cooldownDuration: cooldownMs,
        cacheMaxAge: maxAgeMs,
      });
      if (sets.size >= MAX_ENTRIES) sets.clear();
      sets.set(jwksUri, set);
    }
    return set;
  };

  const discover = async (issuer: string): Promise<string> => {
    const now = Date.now();
    let entry = discovered.get(issuer);
    if (entry?.pending !== undefined) await entry.pending;
    entry = discovered.get(issuer);
    if (entry !== undefined) {
      if (entry.jwksUri !== undefined && now - entry.at < maxAgeMs) return entry.jwksUri;
      if (entry.failure !== undefined && now - entry.at < cooldownMs)
        throw new IssuerKeysUnavailable(entry.failure);
    }
    const fresh: { jwksUri?: string; failure?: string; at: number; pending?: Promise<void> } = { at: now };
    fresh.pending = (async () => {
      try {
        const response = await fetch(discoveryUrlOf(issuer), {
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
          headers: { accept: 'application/json' },
        });
        if (!response.ok) throw new Error(`discovery answered HTTP ${response.status}`);
        if (Number(response.headers.get('content-length') ?? 0) > MAX_DISCOVERY_BYTES) {
          throw new Error('discovery document is too large');
        }
        const doc = discoverySchema.safeParse(await response.json());
        if (!doc.success) throw new Error('discovery document has no valid jwks_uri');
        if (doc.data.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, '')) {
          throw new Error('discovery document names another issuer');
        }
        fresh.jwksUri = doc.data.jwks_uri;
      } catch (err) {
        fresh.failure = `issuer discovery failed: ${err instanceof Error ? err.message : 'error'}`;
      } finally {
        fresh.at = Date.now();
        delete fresh.pending;
      }
    })();
    if (discovered.size >= MAX_ENTRIES) discovered.clear();
    discovered.set(issuer, fresh);
    await fresh.pending;
    if (fresh.jwksUri !== undefined) return fresh.jwksUri;
    throw new IssuerKeysUnavailable(fresh.failure ?? 'issuer discovery failed');
  };

  return {
    async keysFor(issuer, jwksUri) {
      return setFor(jwksUri ?? (await discover(issuer)));
    },
  };
}
