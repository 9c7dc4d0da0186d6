import { ConfigurationError, KeyNotFound, KeysUnavailable } from '../errors/errors.ts';
import { parseStrictJsonObject } from '../jose/strict-json.ts';
import { type AuthorizerLogger, silentLogger } from '../logging/logger.ts';
import { createHttpFetch, type FetchLike, type HttpFetch, isHttpUrl } from './http-fetch.ts';
import { importJwk, type VerificationKey } from './import-jwk.ts';
import type { JwksSource } from './jwks-fetch.ts';

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
  /**
   * The `keys` of the issuer's JWKS known ahead (fetched at deploy time: `AUTHORIZER_JWKS` of the
   * Lambda bundle): used at once, with no fetch. They count as stale from the start, so the JWKS is
   * fetched right after their first use (never making it wait) and refreshed as usual from then on;
   * an unknown `kid` refetches as usual, and a key the issuer no longer publishes is gone after that
   * fetch. Checked strictly: a key that cannot be used throws a `ConfigurationError` at creation.
   */
  readonly keys?: readonly unknown[] | undefined;
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
  let freshUntil = 0;
  let usableUntil = 0;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let lastError: string | undefined;
  let failures = 0;
  let inflight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let deferred = false;

  // discovery and the JWKS over HTTP: code imported on the first fetch (jwks-fetch.ts)
  let source: Promise<JwksSource> | undefined;
  function getSource(): Promise<JwksSource> {
    source ??= import('./jwks-fetch.ts').then(
      (module) =>
        module.createJwksSource({
          issuer,
          jwksUri: fixedJwksUri,
          fetch: fetchFn,
          timeoutMs,
          parseJson: parseStrictJsonObject,
          isHttpUrl,
        }),
      (error: unknown) => {
        source = undefined;
        throw error;
      },
    );
    return source;
  }

  /**
   * Runs a background refresh once the request that found the keys stale is answered, best effort:
   * two turns of the event loop on (a timer, then an immediate), each also waiting for the requests
   * the built-in fetch has under way (a cold start's revocation feed, which the answer waits for
   * and whose kept-alive connection the refresh then reuses; another fetch is not waited for).
   */
  function whenQuiet(task: () => void): void {
    const afterRequests = (then: () => void) => {
      const pending = (fetchFn as Partial<HttpFetch>).pending?.();
      if (pending === undefined) then();
      else pending.then(() => whenQuiet(task));
    };
    setTimeout(() => afterRequests(() => setImmediate(() => afterRequests(task)).unref()), 0).unref();
  }

  /** Imports the keys of a JWKS; a fetched one skips (and logs) unusable keys, a preloaded one (`strict`) throws. */
  function importKeys(list: unknown, strict?: boolean): Map<string, VerificationKey> {
    if (!Array.isArray(list)) throw new Error('JWKS: no keys');
    const next = new Map<string, VerificationKey>();
    for (const [i, jwk] of list.slice(0, MAX_KEYS).entries()) {
      let imported = typeof jwk === 'object' && jwk !== null ? importJwk(jwk) : 'not an object';
      if (typeof imported !== 'string' && next.has(imported.kid)) imported = 'repeated kid';
      if (typeof imported === 'string') {
        if (strict) throw new ConfigurationError(`jwks.keys[${i}] refused: ${imported}`);
        logger.warn({ code: 'ERR_JWKS_KEY_SKIPPED', kid: jwk?.kid }, `JWKS key skipped (${imported})`);
        continue;
      }
      const previous = keys?.get(imported.kid);
      next.set(imported.kid, previous?.fingerprint === imported.fingerprint ? previous : imported);
    }
    return next;
  }

  async function load(): Promise<void> {
    try {
      const fetched = await (await getSource()).fetchJwks();
      keys = importKeys(fetched.keys);
      if (keys.size === 0) logger.warn({ code: 'ERR_JWKS_EMPTY' }, 'JWKS holds no usable key');
      freshUntil = now() + Math.min(Math.max(fetched.maxAgeMs ?? defaultMaxAge, minRefresh), maxRefresh);
      usableUntil = freshUntil + staleIfError;
      if (failures > 0) logger.info({ failures }, 'JWKS reachable again');
      failures = 0;
      lastError = undefined;
    } catch (error) {
      lastError = error instanceof Error ? error.message : 'unknown error';
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
      // stale but usable: refresh without making this request wait (at most once per cooldown),
      // and not even beside it (whenQuiet)
      if (inflight === null && !deferred && t - lastAttempt >= cooldown) {
        const since = lastAttempt;
        deferred = true;
        whenQuiet(() => {
          deferred = false;
          if (inflight === null && lastAttempt === since && !closed) fetchNow().catch(noop);
        });
      }
    }
    return keys.get(kid);
  }

  if (options.keys !== undefined) {
    if (!(options.keys.length > 0 && options.keys.length <= MAX_KEYS))
      throw new ConfigurationError(`jwks.keys must hold 1 to ${MAX_KEYS} keys`);
    keys = importKeys(options.keys, true);
    // stale at once (freshUntil 0): the first use fetches the JWKS right after it (getKey); usable
    // for staleIfError while the issuer cannot be reached
    usableUntil = now() + staleIfError;
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
      fixedJwksUri === undefined
        ? getSource().then(
            (s) => s.metadata(),
            () => undefined,
          )
        : Promise.resolve(undefined),

    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
