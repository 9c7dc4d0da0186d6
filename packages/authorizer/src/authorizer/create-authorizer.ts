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
  RouteNotAllowed,
  TokenMalformed,
  VerificationUnavailable,
} from '../errors/errors.ts';
import { type AuthorizerLogger, silentLogger } from '../logging/logger.ts';
import {
  createVerifier,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from '../verifier/create-verifier.ts';
import { isB64Token, MALFORMED_HEADER, parseBearerHeader } from './bearer-header.ts';

/** A source of the current policy, for policies that change at run time (issue 6's remote policy). */
export interface RoutePolicySource {
  current(): CompiledRoutePolicy;
}

/** A route policy as code, a compiled one, or a live source. */
export type RoutePolicyInput = RoutePolicy | CompiledRoutePolicy | RoutePolicySource;

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
  readonly logger?: AuthorizerLogger | undefined;
}

/** {@link createAuthorizer} options: a verifier, or the options to create one. */
export type AuthorizerOptions = AuthorizerSettings & ({ readonly verifier: Verifier } | VerifierOptions);

/** Verifies the token and checks the route's scopes: the one core every adapter is a thin file over. */
export interface Authorizer {
  authorize(request: AuthorizeRequest): Promise<AuthorizeResult>;
  /** `realm` of its challenges, for `toBearerResponse(error, authorizer)`. */
  readonly realm: string | undefined;
  /** The current compiled policy. */
  policy(): CompiledRoutePolicy;
  readonly verifier: Verifier;
  /** Stops background work (JWKS refresh), also of a verifier it created. */
  close(): void;
}

function isCompiled(policy: RoutePolicyInput): policy is CompiledRoutePolicy {
  return typeof (policy as CompiledRoutePolicy).match === 'function';
}

function isSource(policy: RoutePolicyInput): policy is RoutePolicySource {
  return typeof (policy as RoutePolicySource).current === 'function';
}

/** Turns any accepted policy form into a function returning the current compiled policy. */
export function createPolicyGetter(policy: RoutePolicyInput | undefined): () => CompiledRoutePolicy {
  if (!policy) {
    throw new ConfigurationError('policy is required');
  }
  if (isSource(policy)) return () => policy.current();
  const compiled = isCompiled(policy) ? policy : compileRoutePolicy(parseRoutePolicy(policy));
  return () => compiled;
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
  const currentPolicy = createPolicyGetter(options.policy);
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
    const matched = currentPolicy().match(method, path);
    if (!matched.ok) {
      const error =
        matched.reason === 'invalid-path'
          ? new InvalidRequest('The request path is refused')
          : new RouteNotAllowed();
      return deny(error, request, auth);
    }
    const route = matched.match.route;
    if (!hasAllScopes(auth.scopes, route.scopes))
      return deny(new InsufficientScope(route.scopes), request, auth);
    return { ok: true, auth, route };
  }

  return {
    authorize(request) {
      let token: string | undefined;
      let auth: VerifiedToken | undefined;
      try {
        token = parseBearerHeader(request.authorization);
        auth = verifier.verifyNow(token);
      } catch (error) {
        return Promise.resolve(refuse(error, request, token));
      }
      // the common case needs no key fetch: decide without a promise chain
      if (auth !== undefined) return Promise.resolve(decide(auth, request));
      const bearer = token;
      return verifier.verify(bearer).then(
        (verified) => decide(verified, request),
        (error: unknown) => refuse(error, request, bearer),
      );
    },
    realm,
    policy: currentPolicy,
    verifier,
    close() {
      if (ownsVerifier) verifier.close();
    },
  };
}
