import {
  type CompiledRoutePolicy,
  compileRoutePolicy,
  hasAllScopes,
  parseRoutePolicy,
  type RoutePolicy,
  type RouteRule,
} from '@gatehouse/protocol';
import {
  AuthorizerError,
  ConfigurationError,
  InsufficientScope,
  InvalidRequest,
  PolicyUnavailable,
  RouteNotAllowed,
  TokenMalformed,
  VerificationUnavailable,
} from '../errors/errors.ts';
import { type AuthorizerLogger, silentLogger } from '../logging/logger.ts';
import { followFeed } from '../sync/load-feeds.ts';
import {
  createVerifier,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from '../verifier/create-verifier.ts';
import { isB64Token, MALFORMED_HEADER, parseBearerHeader } from './bearer-header.ts';

/** A source of the current policy, for policies that change at run time; undefined: none known (503). */
export interface RoutePolicySource {
  current(): CompiledRoutePolicy | undefined;
}

/**
 * A route policy as code, a compiled one, a live source, or `'remote'`: the API's `routes` on the
 * server, followed through `GET /feeds/policy?audience=` (docs/feeds.md).
 */
export type RoutePolicyInput = RoutePolicy | CompiledRoutePolicy | RoutePolicySource | 'remote';

/** What the handler behind the authorizer learns about the caller. */
export type AuthContext = VerifiedToken;

/** The request facts a decision needs; every adapter builds this from its own request object. */
export interface AuthorizeRequest {
  readonly method: string | undefined;
  /** The raw request target: path, optionally with a query, percent-encoding intact. */
  readonly path: string | undefined;
  readonly authorization: string | readonly string[] | null | undefined;
}

/** The decision: allowed with the caller and the route, or refused with a typed error. */
export type AuthorizeResult =
  | { readonly ok: true; readonly auth: AuthContext; readonly route: RouteRule }
  // a refusal after the token verified (403, or 400 for the path) still says who the caller is
  | { readonly ok: false; readonly error: AuthorizerError; readonly auth?: AuthContext | undefined };

/** Options shared by {@link createAuthorizer} and every adapter. */
export interface AuthorizerSettings {
  /** Which scopes each route needs; unmatched routes are denied. */
  readonly policy: RoutePolicyInput;
  /** `realm` of `WWW-Authenticate` challenges (default `gatehouse`; null leaves it out). */
  readonly realm?: string | null | undefined;
  /** With `policy: 'remote'`: the policy feed URL (default: discovery, else `${issuer}feeds/policy`). */
  readonly policyFeed?: string | undefined;
  readonly logger?: AuthorizerLogger | undefined;
}

/** {@link createAuthorizer} options: a verifier, or the options to create one. */
export type AuthorizerOptions = AuthorizerSettings & ({ readonly verifier: Verifier } | VerifierOptions);

/** Verifies the token and checks the route's scopes: the one core every adapter is a thin file over. */
export interface Authorizer {
  authorize(request: AuthorizeRequest): Promise<AuthorizeResult>;
  /**
   * The same decision without a promise when nothing has to be fetched (keys, deny-list and policy
   * held: the common case); undefined when it would have to wait, then call {@link authorize}.
   */
  authorizeNow(request: AuthorizeRequest): AuthorizeResult | undefined;
  /** `realm` of its challenges, for `toBearerResponse(error, authorizer)`. */
  readonly realm: string | undefined;
  /** The current compiled policy; undefined while a remote policy is not known. */
  policy(): CompiledRoutePolicy | undefined;
  readonly verifier: Verifier;
  /** Fetches keys, the revocation feed and a remote policy now (call at start to warm up); rejects when one fails. */
  refresh(): Promise<void>;
  /** Stops background work (JWKS and feed timers), also of a verifier it created. */
  close(): void;
}

function isCompiled(policy: RoutePolicyInput): policy is CompiledRoutePolicy {
  const compiled = policy as CompiledRoutePolicy;
  return typeof compiled.match === 'function' && typeof compiled.route === 'function';
}

function isSource(policy: RoutePolicyInput): policy is RoutePolicySource {
  return typeof (policy as RoutePolicySource).current === 'function';
}

/** Turns a policy given in code, compiled or as a source into a function returning the current one. */
export function createPolicyGetter(
  policy: Exclude<RoutePolicyInput, 'remote'> | undefined,
): () => CompiledRoutePolicy | undefined {
  if (!policy) {
    throw new ConfigurationError('policy is required');
  }
  if (isSource(policy)) return () => policy.current();
  const compiled = isCompiled(policy) ? policy : compileRoutePolicy(parseRoutePolicy(policy));
  return () => compiled;
}

/** Follows the policy of the verifier's API on the server, with the verifier's feed context. */
function followRemotePolicy(verifier: Verifier, url: string | undefined) {
  const audience = verifier.audience;
  if (typeof audience !== 'string')
    throw new ConfigurationError("policy 'remote' needs exactly one audience");
  const compile = (routes: unknown) => compileRoutePolicy(parseRoutePolicy({ routes }, 'policy feed'));
  return followFeed((module) => module.createRemotePolicy({ ...verifier.feeds, audience, url, compile }));
}

/**
 * Creates the authorizer core. Order of checks: bearer header (401 bare / 400), token (401, 503),
 * request path (400), route (403 when none matches), scopes (403 `insufficient_scope`). The token
 * comes first so a caller without one learns nothing about the routes.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const logger = options.logger ?? silentLogger;
  const ownsVerifier = !('verifier' in options);
  const verifier = 'verifier' in options ? options.verifier : createVerifier({ ...options, logger });
  // a remote policy: until its code is loaded and it is fetched, requests wait for it
  const remote = options.policy === 'remote' ? followRemotePolicy(verifier, options.policyFeed) : undefined;
  const currentPolicy =
    options.policy === 'remote' ? () => remote?.get()?.current() : createPolicyGetter(options.policy);
  const now = verifier.feeds.now;
  const realm = options.realm === null ? undefined : (options.realm ?? 'gatehouse');

  function deny(error: unknown, request: AuthorizeRequest, auth?: AuthContext): AuthorizeResult {
    // anything unexpected (a deny-list hook that threw, ...) fails closed with 503
    const refusal = error instanceof AuthorizerError ? error : new VerificationUnavailable(String(error));
    logger[refusal.status === 503 ? 'warn' : 'info'](
      {
        code: refusal.code,
        status: refusal.status,
        reason: refusal.message,
        method: request.method,
        clientId: auth?.clientId,
      },
      'request refused',
    );
    return { ok: false, error: refusal, auth };
  }

  function refuse(error: unknown, request: AuthorizeRequest, token: string | undefined): AuthorizeResult {
    // a token outside RFC 6750's b64token syntax is a malformed request, not a bad token
    if (error instanceof TokenMalformed && token !== undefined && !isB64Token(token)) {
      return deny(new InvalidRequest(MALFORMED_HEADER), request);
    }
    return deny(error, request);
  }

  function decide(auth: VerifiedToken, request: AuthorizeRequest): AuthorizeResult {
    const method = request.method;
    const path = request.path;
    if (typeof method !== 'string' || method === '' || typeof path !== 'string' || path === '') {
      return deny(new InvalidRequest('Unknown original method or path'), request, auth);
    }
    const policy = currentPolicy();
    if (policy === undefined) return deny(new PolicyUnavailable(), request, auth);
    const route = policy.route(method, path);
    if (route === 'invalid-path')
      return deny(new InvalidRequest('The request path is refused'), request, auth);
    if (route === null) return deny(new RouteNotAllowed(), request, auth);
    if (!hasAllScopes(auth.scopes, route.scopes))
      return deny(new InsufficientScope(route.scopes), request, auth);
    return allow(auth, route);
  }

  // the last allowed decision, handed out again for the same caller and route (no object per request)
  let lastAllowed: { readonly ok: true; readonly auth: AuthContext; readonly route: RouteRule } | undefined;

  function allow(auth: VerifiedToken, route: RouteRule): AuthorizeResult {
    if (lastAllowed !== undefined && lastAllowed.auth === auth && lastAllowed.route === route) {
      return lastAllowed;
    }
    const result = { ok: true, auth, route } as const;
    // only a cached (frozen) caller is shared between requests
    if (Object.isFrozen(auth)) lastAllowed = Object.freeze(result);
    return result;
  }

  function authorizeNow(request: AuthorizeRequest): AuthorizeResult | undefined {
    let token: string | undefined;
    let auth: VerifiedToken | undefined;
    try {
      token = parseBearerHeader(request.authorization);
      auth = verifier.verifyNow(token);
    } catch (error) {
      return refuse(error, request, token);
    }
    if (auth === undefined || (remote !== undefined && !remote.isReady(now()))) return undefined;
    return decide(auth, request);
  }

  return {
    authorizeNow,
    authorize(request) {
      // the common case needs no fetch: decide without a promise chain
      const decided = authorizeNow(request);
      if (decided !== undefined) return Promise.resolve(decided);
      // parsed once already without throwing
      const bearer = parseBearerHeader(request.authorization);
      const policyReady = remote === undefined || remote.isReady(now());
      return Promise.all([verifier.verify(bearer), policyReady || remote?.whenReady()]).then(
        ([verified]) => decide(verified, request),
        (error: unknown) => refuse(error, request, bearer),
      );
    },
    realm,
    policy: currentPolicy,
    verifier,
    async refresh() {
      await Promise.all([verifier.refresh(), remote?.refresh()]);
    },
    close() {
      remote?.close();
      if (ownsVerifier) verifier.close();
    },
  };
}
