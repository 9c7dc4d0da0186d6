import { ConfigurationError, KeyNotFound, KeysUnavailable } from '../errors/errors.ts';
import { parseStrictJsonObject } from '../jose/strict-json.ts';
import { type AuthorizerLogger, silentLogger } from '../logging/logger.ts';
import { createHttpFetch, type FetchLike, type HttpFetch, isHttpUrl } from './http-fetch.ts';
import { importJwks, type VerificationKey } from './import-jwk.ts';
import type { JwksLoader, JwksState } from './jwks-fetch.ts';

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

  const state: JwksState = { keys: null, freshUntil: 0, usableUntil: 0, failures: 0, lastError: undefined };
  let lastAttempt = Number.NEGATIVE_INFINITY;
  /** When an unknown kid last made the cache fetch (the penalty box). */
  let lastKidFetch = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let deferred = false;

  // discovery, the JWKS over HTTP and loading it into `state`: code imported on the first fetch
  // (jwks-fetch.ts), so a cold start with preloaded keys neither reads nor compiles it first
  let loader: Promise<JwksLoader> | undefined;
  function getLoader(): Promise<JwksLoader> {
    loader ??= import('./jwks-fetch.ts').then(
      (module) =>
        module.createJwksLoader({
          issuer,
          jwksUri: fixedJwksUri,
          fetch: fetchFn,
          timeoutMs,
          parseJson: parseStrictJsonObject,
          isHttpUrl,
          state,
          logger,
          now,
          defaultMaxAge,
          minRefresh,
          maxRefresh,
          staleIfError,
          maxKeys: MAX_KEYS,
          importJwks,
        }),
      (error: unknown) => {
        loader = undefined;
        // counted like a failed fetch, so retries back off
        state.failures++;
        state.lastError = 'JWKS code not loaded';
        throw error;
      },
    );
    return loader;
  }

  /**
   * Runs a background refresh once the request that found the keys stale is answered, best effort:
   * two turns of the event loop on (an immediate, then another from it, with the poll phase for I/O
   * between them), each also waiting for the requests the built-in fetch has under way (a cold
   * start's revocation feed, which the answer waits for and whose kept-alive connection the refresh
   * then reuses; another fetch is not waited for). Immediates, not a timer: a process's first
   * setTimeout costs about 0.4 ms more (timer lists, async_hooks code compiled), which a Lambda cold
   * start with preloaded keys would pay before its first answer (0.7 million fewer instructions,
   * valgrind).
   */
  function whenQuiet(task: () => void): void {
    const afterRequests = (then: () => void) => {
      const pending = (fetchFn as Partial<HttpFetch>).pending?.();
      if (pending === undefined) then();
      else pending.then(() => whenQuiet(task));
    };
    setImmediate(() => afterRequests(() => setImmediate(() => afterRequests(task)).unref())).unref();
  }

  function fetchNow(): Promise<void> {
    if (inflight !== null) return inflight;
    lastAttempt = now();
    const p: Promise<void> = getLoader()
      .then((l) => l.load())
      .finally(() => {
        if (inflight === p) inflight = null;
        if (!background || closed) return;
        clearTimeout(timer);
        // refresh before keys go stale; after failures, back off from 1 s to a minute
        const { failures } = state;
        const delay =
          failures > 0 ? Math.min(1000 * 2 ** (failures - 1), MAX_RETRY_MS) : state.freshUntil - now();
        timer = setTimeout(() => fetchNow().catch(noop), Math.max(delay, 0));
        timer.unref();
      });
    inflight = p;
    return p;
  }

  function usable(): boolean {
    return state.keys !== null && now() < state.usableUntil;
  }

  function getKey(kid: string): VerificationKey | undefined {
    const { keys } = state;
    if (keys === null) return undefined;
    const t = now();
    if (t >= state.freshUntil) {
      if (t >= state.usableUntil) return undefined;
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
    const list = options.keys;
    if (!(list.length > 0 && list.length <= MAX_KEYS))
      throw new ConfigurationError(`jwks.keys must hold 1 to ${MAX_KEYS} keys`);
    state.keys = importJwks(list, (i, reason) => {
      throw new ConfigurationError(`jwks.keys[${i}] refused: ${reason}`);
    });
    // stale at once (freshUntil 0): the first use fetches the JWKS right after it (getKey); usable
    // for staleIfError while the issuer cannot be reached
    state.usableUntil = now() + staleIfError;
  }

  return {
    getKey,

    async resolveKey(kid) {
      let key = getKey(kid);
      if (key) return key;
      // a fetch under way, whatever started it, may bring the key
      if (inflight !== null) {
        await inflight.catch(noop);
        key = getKey(kid);
        if (key) return key;
      }
      // penalty box: unknown kids refetch at most once per cooldown. Refreshes (scheduled, on
      // staleness, asked for) do not spend it, so a key an issuer starts using right after one (a
      // rotation that publishes and uses a key at once) is fetched at once, not after the cooldown.
      if (inflight === null && now() - lastKidFetch >= (usable() ? cooldown : emptyRetry)) {
        lastKidFetch = now();
        fetchNow().catch(noop);
      }
      await inflight?.catch(noop);
      key = getKey(kid);
      if (key) return key;
      if (state.failures > 0 || !usable() || state.keys?.size === 0)
        throw new KeysUnavailable(state.lastError);
      throw new KeyNotFound();
    },

    refresh: fetchNow,

    usable: () => usable() && state.keys?.size !== 0,

    metadata: () =>
      fixedJwksUri === undefined
        ? getLoader().then(
            (l) => l.metadata(),
            () => undefined,
          )
        : Promise.resolve(undefined),

    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
