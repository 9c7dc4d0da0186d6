import { ConfigurationError, KeyNotFound, KeysUnavailable } from '../errors/errors.ts';
import { parseStrictJsonObject } from '../jose/strict-json.ts';
import { type AuthorizerLogger, silentLogger } from '../logging/logger.ts';
import { createHttpFetch, type FetchLike } from './http-fetch.ts';
import { importJwk, type VerificationKey } from './import-jwk.ts';

/** Options of {@link createJwksCache}. Durations are in seconds. */
export interface JwksCacheOptions {
  /** Issuer whose discovery document names the JWKS; null only together with `jwksUri`. */
  readonly issuer: string | null;
  /** JWKS URL; when absent it is read from `${issuer}.well-known/openid-configuration`. */
  readonly jwksUri?: string | undefined;
  /** Fetch used for discovery and JWKS (default: a small `node:http(s)` client). */
  readonly fetch?: FetchLike | undefined;
  /** How long keys are fresh when the JWKS answer has no `Cache-Control: max-age` (default 300). */
  readonly defaultMaxAgeSeconds?: number | undefined;
  /** Floor and ceiling applied to `max-age` (defaults 10 and 86400). */
  readonly minRefreshSeconds?: number | undefined;
  readonly maxRefreshSeconds?: number | undefined;
  /** Penalty box: an unknown `kid` triggers at most one refetch per this interval (default 10). */
  readonly unknownKidCooldownSeconds?: number | undefined;
  /** How long known keys keep working past freshness while refreshes fail (default 86400). */
  readonly staleIfErrorSeconds?: number | undefined;
  /** Timeout of each HTTP request in milliseconds (default 5000). */
  readonly timeoutMs?: number | undefined;
  /**
   * Refresh with an unref'd timer before keys go stale (default true). False (Lambda, where timers
   * do not run between invocations) refreshes on use instead, serving the known keys meanwhile.
   */
  readonly backgroundRefresh?: boolean | undefined;
  readonly logger?: AuthorizerLogger | undefined;
  /** Clock in milliseconds (tests). */
  readonly now?: (() => number) | undefined;
}

/** The issuer's public keys by `kid`, fetched, refreshed and guarded against unknown-kid floods. */
export interface JwksCache {
  /** The usable key for `kid`, synchronously, without any fetch; undefined if not known now. */
  getKey(kid: string): VerificationKey | undefined;
  /**
   * The key for `kid`, fetching the JWKS when no keys are held or (at most once per cooldown) when
   * the kid is unknown. Rejects with `KeyNotFound` (401) or `KeysUnavailable` (503).
   */
  resolveKey(kid: string): Promise<VerificationKey>;
  /** Fetches the JWKS now (sharing a fetch already under way); rejects when it fails. */
  refresh(): Promise<void>;
  /** Whether usable keys are held (for health checks). */
  usable(): boolean;
  /**
   * The issuer's discovery document (fetched once, shared with the JWKS lookup); undefined when a
   * `jwksUri` was given or it cannot be had now.
   */
  metadata(): Promise<Record<string, unknown> | undefined>;
  /** Stops the background timer. */
  close(): void;
}

const MAX_KEYS = 100;
const MAX_RETRY_MS = 60_000;

function ms(seconds: number | undefined, fallback: number): number {
  const value = seconds ?? fallback;
  if (!(value >= 0)) throw new ConfigurationError('JWKS durations must be >= 0');
  return value * 1000;
}

function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\/[^\s/]/.test(value);
}

/**
 * Creates the JWKS cache: discovery (RFC 8414 / OpenID Connect Discovery) unless `jwksUri` is given,
 * `Cache-Control: max-age` honoured, background refresh, stale-if-error, and a penalty
 * box so a flood of random `kid`s costs at most one fetch per cooldown.
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const { issuer } = options;
  if (options.jwksUri === undefined && issuer === null) {
    throw new ConfigurationError('jwksUri is required when issuer is null');
  }
  const fixedJwksUri = options.jwksUri;
  if (fixedJwksUri !== undefined && !isHttpUrl(fixedJwksUri))
    throw new ConfigurationError('jwksUri must be an http(s) URL');
  const fetchFn = options.fetch ?? createHttpFetch();
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const defaultMaxAge = ms(options.defaultMaxAgeSeconds, 300);
  const minRefresh = ms(options.minRefreshSeconds, 10);
  const maxRefresh = ms(options.maxRefreshSeconds, 86_400);
  const cooldown = ms(options.unknownKidCooldownSeconds, 10);
  const staleIfError = ms(options.staleIfErrorSeconds, 86_400);
  const timeoutMs = ms(options.timeoutMs, 5000) / 1000;
  const background = options.backgroundRefresh !== false;
  // with no usable keys at all, retry sooner than the unknown-kid cooldown, still never per request
  const emptyRetry = Math.min(cooldown, 1000);
  const noop = () => {};

  let keys: Map<string, VerificationKey> | null = null;
  let jwksUri = fixedJwksUri;
  let freshUntil = 0;
  let usableUntil = 0;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let lastError: string | undefined;
  let failures = 0;
  let inflight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  async function getJson(url: string, what: string) {
    const res = await fetchFn(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const doc = res.status === 200 ? parseStrictJsonObject(await res.text()) : null;
    if (doc === null)
      throw new Error(`${what}: HTTP ${res.status}${res.status === 200 ? ', not a JSON object' : ''}`);
    return { res, doc };
  }

  // the discovery document, fetched once (again only after a failure) and shared with the feeds
  let discovery: Promise<Record<string, unknown>> | undefined;
  function discover(): Promise<Record<string, unknown>> {
    const base = issuer as string; // checked at creation: no jwksUri means an issuer
    discovery ??= getJson(
      `${base}${base.endsWith('/') ? '' : '/'}.well-known/openid-configuration`,
      'discovery',
    )
      .then(({ doc }) => {
        if (doc.issuer !== base) throw new Error('discovery: issuer mismatch');
        if (!isHttpUrl(doc.jwks_uri)) throw new Error('discovery: bad jwks_uri');
        return doc;
      })
      .catch((error: unknown) => {
        discovery = undefined;
        throw error;
      });
    return discovery;
  }

  function importKeys(list: unknown): Map<string, VerificationKey> {
    if (!Array.isArray(list)) throw new Error('JWKS: no keys');
    const next = new Map<string, VerificationKey>();
    for (const jwk of list.slice(0, MAX_KEYS)) {
      let imported = typeof jwk === 'object' && jwk !== null ? importJwk(jwk) : 'not an object';
      if (typeof imported !== 'string' && next.has(imported.kid)) imported = 'repeated kid';
      if (typeof imported === 'string') {
        logger.warn({ code: 'ERR_JWKS_KEY_SKIPPED', kid: jwk?.kid }, `JWKS key skipped (${imported})`);
        continue;
      }
      const previous = keys?.get(imported.kid);
      next.set(imported.kid, previous?.fingerprint === imported.fingerprint ? previous : imported);
    }
    return next;
  }

  async function load(): Promise<void> {
    const discovered = jwksUri === undefined;
    try {
      jwksUri ??= (await discover()).jwks_uri as string;
      const { res, doc } = await getJson(jwksUri, 'JWKS');
      keys = importKeys(doc.keys);
      if (keys.size === 0) logger.warn({ code: 'ERR_JWKS_EMPTY' }, 'JWKS holds no usable key');
      const cacheControl = res.headers.get('cache-control') ?? '';
      const maxAge = /(?:^|[,\s])max-age=(\d+)/i.exec(cacheControl);
      const ttl = /no-cache|no-store/i.test(cacheControl)
        ? 0
        : maxAge
          ? Number(maxAge[1]) * 1000
          : defaultMaxAge;
      freshUntil = now() + Math.min(Math.max(ttl, minRefresh), maxRefresh);
      usableUntil = freshUntil + staleIfError;
      if (failures > 0) logger.info({ failures }, 'JWKS reachable again');
      failures = 0;
      lastError = undefined;
    } catch (error) {
      lastError = error instanceof Error ? error.message : 'unknown error';
      if (discovered) {
        jwksUri = fixedJwksUri;
        discovery = undefined;
      }
      // once per outage, not on every retry
      if (failures++ === 0) {
        logger.warn({ code: 'ERR_JWKS_REFRESH_FAILED', reason: lastError }, 'JWKS refresh failed');
      }
      throw error;
    }
  }

  function fetchNow(): Promise<void> {
    if (inflight !== null) return inflight;
    lastAttempt = now();
    const p: Promise<void> = load().finally(() => {
      if (inflight === p) inflight = null;
      if (!background || closed) return;
      clearTimeout(timer);
      // refresh before keys go stale; after failures, back off from 1 s to a minute
      const delay = failures > 0 ? Math.min(1000 * 2 ** (failures - 1), MAX_RETRY_MS) : freshUntil - now();
      timer = setTimeout(() => fetchNow().catch(noop), Math.max(delay, 0));
      timer.unref();
    });
    inflight = p;
    return p;
  }

  function usable(): boolean {
    return keys !== null && now() < usableUntil;
  }

  function getKey(kid: string): VerificationKey | undefined {
    if (keys === null) return undefined;
    const t = now();
    if (t >= freshUntil) {
      if (t >= usableUntil) return undefined;
      // stale but usable: refresh without making this request wait (at most once per cooldown)
      if (inflight === null && t - lastAttempt >= cooldown) fetchNow().catch(noop);
    }
    return keys.get(kid);
  }

  return {
    getKey,

    async resolveKey(kid) {
      let key = getKey(kid);
      if (key) return key;
      // penalty box: an unknown kid refetches at most once per cooldown
      if (inflight === null && now() - lastAttempt >= (usable() ? cooldown : emptyRetry))
        fetchNow().catch(noop);
      await inflight?.catch(noop);
      key = getKey(kid);
      if (key) return key;
      if (failures > 0 || !usable() || keys?.size === 0) throw new KeysUnavailable(lastError);
      throw new KeyNotFound();
    },

    refresh: fetchNow,

    usable: () => usable() && keys?.size !== 0,

    metadata: () =>
      fixedJwksUri === undefined ? discover().catch(() => undefined) : Promise.resolve(undefined),

    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
