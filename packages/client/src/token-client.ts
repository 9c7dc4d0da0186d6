/**
 * The token client a calling service uses: gets an OAuth 2.0 client-credentials access token,
 * caches it, renews it ahead of expiry and attaches it to requests.
 *
 * Timing, for a token of lifetime L received at t0 (L from `expires_in`):
 * - it is served from the cache until t0 + L - skew, skew = min(expirySkewSeconds, L/4), so a token
 *   is never sent in its last moments (clock drift, time in flight);
 * - from t0 + 0.8 (L - skew) a new one is fetched in the background while the old one is still
 *   served: by a timer (unref'd, so it never keeps a process alive) when the token was used since
 *   it was fetched, and on access otherwise. A client nobody calls does not refresh;
 * - after a failed background refresh the next background try waits a while (the current token
 *   still serves until its end); a foreground fetch (no usable token) always tries at once.
 * Concurrent callers share one in-flight request (single flight).
 *
 * The client authenticates with its secret, or with no secret at all: a `clientAssertion` source
 * answers the workload's platform token (a projected Kubernetes service-account token file, ...),
 * asked again for every token request, so a rotated file is picked up by the next renewal.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
import { isInvalidTokenChallenge } from './bearer-challenge.ts';
import { discoverTokenEndpoint } from './discovery.ts';
import { TokenClientClosedError, TokenClientConfigError } from './errors.ts';
import type { AssertionSource } from './federated-assertion.ts';
import {
  detectRequestStyle,
  isTokenRequestStyle,
  styleRequest,
  type TokenRequestStyle,
} from './request-style.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';
import {
  type ClientAuthMethod,
  type ClientCredential,
  requestToken,
  type TokenGrant,
} from './token-request.ts';

/**
 * Options of `createTokenClient`. Give `issuer` (discovery) or `tokenEndpoint`, and `clientSecret`
 * or `clientAssertion`.
 */
export interface TokenClientOptions {
  /** Issuer identifier; the token endpoint is discovered from its metadata. */
  issuer?: string;
  /** Token endpoint URL; skips discovery. */
  tokenEndpoint?: string;
  /** Required with `clientSecret`; optional with `clientAssertion` (the server finds the client by the token). */
  clientId?: string;
  /** The client secret; or give `clientAssertion` instead. */
  clientSecret?: string;
  /**
   * Secretless clients: answers the workload's platform token, sent as the RFC 7523 client
   * assertion on each token request (`createFileAssertionSource(path)`,
   * `createEnvAssertionSource(name, env)` from `@gatehouse/client/federated-assertion`, or any
   * callback). docs/federation.md.
   */
  clientAssertion?: AssertionSource;
  /** API identifier, sent as `audience` (gatehouse, Auth0; Cognito: the resource server, prefixed to short scopes). */
  audience?: string;
  /** Resource indicator, sent as `resource` (RFC 8707: gatehouse, oidc-provider). */
  resource?: string;
  /** Scopes to ask for (space-separated string or list); omitted: the whole grant. */
  scope?: string | readonly string[];
  /** Default `client_secret_basic` (`client_secret_post` in the body for Auth0's JSON style). Not with `clientAssertion`. */
  authMethod?: ClientAuthMethod;
  /**
   * The token request's wire format: `standard` (RFC 6749 form), `auth0` (JSON body with
   * `audience`), `cognito` (form, Basic, `scope`). Default `auto`: chosen from the issuer's
   * discovery document, `standard` with a `tokenEndpoint`. docs/issuer-profiles.md.
   */
  requestStyle?: TokenRequestStyle | 'auto';
  /** fetch used for discovery, token requests and `client.fetch` (default: global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Seconds before expiry at which a cached token is no longer served (default 30; at most L/4). */
  expirySkewSeconds?: number;
  /** Retries of network errors and 5xx (default 4 attempts, 200 ms base, 5 s cap, full jitter). */
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout for discovery and token requests (default 10 s). */
  timeoutMs?: number;
  /** Lifetime assumed when a response gives neither `expires_in` nor a JWT `exp` (default 300 s). */
  defaultLifetimeSeconds?: number;
}

/** A token client. */
export interface TokenClient {
  /** A valid access token, from the cache when possible. */
  getToken(): Promise<string>;
  /**
   * `fetch` with `Authorization: Bearer <token>`. On a 401 whose challenge says `invalid_token` it
   * gets one fresh token and retries once, when the body can be sent again (no streams).
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Stops timers and aborts pending requests; later calls reject with `TokenClientClosedError`. */
  close(): void;
}

interface CachedToken {
  value: string;
  receivedAt: number;
  refreshAt: number;
  usableUntil: number;
  used: boolean;
}

const REFRESH_AT_FRACTION = 0.8;
const MIN_BACKGROUND_RETRY_MS = 1_000;
/** setTimeout fires at once beyond 2^31-1 ms, so longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Creates a token client. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const settings = validate(options);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const controller = new AbortController();
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const skewMs = (options.expirySkewSeconds ?? 30) * 1000;
  const defaultLifetimeMs = (options.defaultLifetimeSeconds ?? 300) * 1000;

  let tokenEndpoint: Promise<Endpoint> | undefined = options.tokenEndpoint
    ? Promise.resolve({ url: options.tokenEndpoint, style: settings.style ?? 'standard' })
    : undefined;
  let cached: CachedToken | undefined;
  let inflight: Promise<CachedToken> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let backgroundNotBefore = 0;

  function endpoint(): Promise<Endpoint> {
    tokenEndpoint ??= discoverTokenEndpoint({
      issuer: settings.issuer!,
      fetch: fetchImpl,
      retry,
      timeoutMs,
      signal: controller.signal,
    }).then(
      (found) => ({ url: found.tokenEndpoint, style: settings.style ?? detectRequestStyle(found.metadata) }),
      (error: unknown) => {
        tokenEndpoint = undefined; // rediscover next time
        throw error;
      },
    );
    return tokenEndpoint;
  }

  function toCached(grant: TokenGrant, receivedAt: number): CachedToken {
    const lifetime = grant.lifetimeMs ?? defaultLifetimeMs;
    const usableUntil = receivedAt + lifetime - Math.min(skewMs, lifetime / 4);
    const refreshAt = receivedAt + (usableUntil - receivedAt) * REFRESH_AT_FRACTION;
    return { value: grant.accessToken, receivedAt, refreshAt, usableUntil, used: false };
  }

  function schedule(token: CachedToken): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        if (cached !== token) return;
        if (Date.now() < token.refreshAt)
          schedule(token); // woke early from the cap below
        else if (token.used) refreshInBackground();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, token.refreshAt - Date.now())),
    );
    timer.unref?.();
  }

  /** The credential of one token request: the secret, or the source's current platform token. */
  async function credential(authMethod: ClientAuthMethod): Promise<ClientCredential> {
    const { clientId } = options;
    if (settings.assertion === undefined) {
      return { kind: 'secret', clientId: clientId!, clientSecret: options.clientSecret!, authMethod };
    }
    const assertion = await settings.assertion();
    if (typeof assertion !== 'string' || assertion.length === 0) {
      throw new TokenClientConfigError('clientAssertion answered no token.');
    }
    return { kind: 'assertion', clientId, assertion };
  }

  function refresh(): Promise<CachedToken> {
    if (controller.signal.aborted) return Promise.reject(new TokenClientClosedError());
    inflight ??= (async () => {
      try {
        const { url, style } = await endpoint();
        const styled = styleRequest(style, {
          audience: options.audience,
          resource: options.resource,
          scope: settings.scope,
          authMethod: options.authMethod,
        });
        const grant = await requestToken({
          tokenEndpoint: url,
          credential: await credential(styled.authMethod),
          params: styled.params,
          encoding: styled.encoding,
          fetch: fetchImpl,
          retry,
          timeoutMs,
          signal: controller.signal,
        });
        const token = toCached(grant, Date.now());
        if (controller.signal.aborted) throw new TokenClientClosedError();
        cached = token;
        schedule(token);
        return token;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  function refreshInBackground(): void {
    const now = Date.now();
    if (inflight || now < backgroundNotBefore || controller.signal.aborted) return;
    refresh().catch(() => {
      // The current token keeps serving; try again after a pause, not on every call.
      const remaining = (cached?.usableUntil ?? now) - Date.now();
      backgroundNotBefore = Date.now() + Math.max(MIN_BACKGROUND_RETRY_MS, remaining / 4);
    });
  }

  async function getToken(): Promise<string> {
    if (controller.signal.aborted) throw new TokenClientClosedError();
    const token = cached;
    if (token) {
      const now = Date.now();
      if (now < token.usableUntil) {
        token.used = true;
        if (now >= token.refreshAt) refreshInBackground();
        return token.value;
      }
    }
    const fresh = await refresh();
    fresh.used = true;
    return fresh.value;
  }

  /** Drops `stale` from the cache (if still cached) and gets another. */
  async function replace(stale: string): Promise<string> {
    if (cached?.value === stale) cached = undefined;
    return getToken();
  }

  return {
    getToken,

    async fetch(input, init) {
      const token = await getToken();
      const res = await fetchImpl(input, withBearer(input, init, token));
      if (
        res.status !== 401 ||
        !isReplayable(input, init) ||
        !isInvalidTokenChallenge(res.headers.get('www-authenticate'))
      ) {
        return res;
      }
      const fresh = await replace(token);
      if (fresh === token) return res;
      await res.body?.cancel();
      return fetchImpl(input, withBearer(input, init, fresh));
    },

    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      cached = undefined;
      controller.abort(new TokenClientClosedError());
    },
  };
}

function withBearer(
  input: string | URL | Request,
  init: RequestInit | undefined,
  token: string,
): RequestInit {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

/** Whether the request could be sent a second time: no body, or a body that is not a one-shot stream. */
function isReplayable(input: string | URL | Request, init: RequestInit | undefined): boolean {
  if (init?.body !== undefined && init.body !== null) return !(init.body instanceof ReadableStream);
  return !(input instanceof Request) || input.body === null;
}

interface Settings {
  issuer: string | undefined;
  scope: string | undefined;
  /** The explicit request style; undefined: from discovery. */
  style: TokenRequestStyle | undefined;
  /** The platform token source of a secretless client; undefined: the client secret. */
  assertion: AssertionSource | undefined;
}

/** The token endpoint and the request style it takes. */
interface Endpoint {
  url: string;
  style: TokenRequestStyle;
}

function validate(options: TokenClientOptions): Settings {
  const { issuer, tokenEndpoint, clientId, clientSecret, clientAssertion } = options;
  if ((issuer === undefined) === (tokenEndpoint === undefined)) {
    throw new TokenClientConfigError('Give exactly one of issuer and tokenEndpoint.');
  }
  for (const [name, value] of [
    ['issuer', issuer],
    ['tokenEndpoint', tokenEndpoint],
  ] as const) {
    if (value !== undefined && (!URL.canParse(value) || !/^https?:/.test(value))) {
      throw new TokenClientConfigError(`${name} must be an absolute http(s) URL.`);
    }
  }
  if ((clientSecret === undefined) === (clientAssertion === undefined)) {
    throw new TokenClientConfigError(
      'Give exactly one of clientSecret and clientAssertion (a platform token source, docs/federation.md).',
    );
  }
  if (clientAssertion !== undefined) {
    if (typeof clientAssertion !== 'function') {
      throw new TokenClientConfigError(
        'clientAssertion must be a function answering the platform token (e.g. createFileAssertionSource(path)).',
      );
    }
    if (options.authMethod !== undefined) {
      throw new TokenClientConfigError('authMethod applies to clientSecret only, not to clientAssertion.');
    }
    if (clientId !== undefined && (typeof clientId !== 'string' || clientId.length === 0)) {
      throw new TokenClientConfigError('clientId must be a non-empty string when given.');
    }
  } else {
    if (typeof clientId !== 'string' || clientId.length === 0)
      throw new TokenClientConfigError('clientId is required.');
    if (typeof clientSecret !== 'string' || clientSecret.length === 0) {
      throw new TokenClientConfigError('clientSecret is required.');
    }
  }
  let scope: string | undefined;
  if (options.scope !== undefined) {
    const joined = typeof options.scope === 'string' ? options.scope : options.scope.join(' ');
    if (joined.trim() !== '') scope = joined.trim();
  }
  const requested = options.requestStyle ?? 'auto';
  if (requested !== 'auto' && !isTokenRequestStyle(requested)) {
    throw new TokenClientConfigError('requestStyle must be auto, standard, auth0 or cognito.');
  }
  const style = requested === 'auto' ? undefined : requested;
  if (style === 'auth0' && options.audience === undefined) {
    throw new TokenClientConfigError('audience is required by Auth0 (the API identifier).');
  }
  if (options.expirySkewSeconds !== undefined && !(options.expirySkewSeconds >= 0)) {
    throw new TokenClientConfigError('expirySkewSeconds must be 0 or more.');
  }
  if (
    options.retry?.attempts !== undefined &&
    !(Number.isInteger(options.retry.attempts) && options.retry.attempts >= 1)
  ) {
    throw new TokenClientConfigError('retry.attempts must be a whole number of at least 1.');
  }
  return { issuer, scope, style, assertion: clientAssertion };
}
