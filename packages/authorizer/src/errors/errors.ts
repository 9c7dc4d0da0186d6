/**
 * Every way the authorizer can refuse a request, one class each, with a stable `code` (for logs,
 * tests and callers) and the RFC 6750 error it maps to. The mapping to HTTP lives in one place:
 * `bearer-response.ts`.
 *
 * `message` says what went wrong for operators; `description` is the short text a client sees as
 * `error_description`. Neither ever contains the token or any value taken from it.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */

/** The RFC 6750 error codes a resource server answers with. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** Base of every refusal: `status` is the HTTP status, `bearerError` the RFC 6750 code (if any). */
export abstract class AuthorizerError extends Error {
  readonly code: string;
  readonly status: 400 | 401 | 403 | 503;
  readonly bearerError: BearerErrorCode | undefined;
  /** Client-facing description (fixed text, never derived from the request). */
  readonly description: string;
  constructor(
    code: string,
    status: 400 | 401 | 403 | 503,
    bearerError: BearerErrorCode | undefined,
    description: string,
    message?: string,
  ) {
    super(message ?? description);
    this.name = 'AuthorizerError';
    this.code = code;
    this.status = status;
    this.bearerError = bearerError;
    this.description = description;
  }
}

/** A refusal class with a fixed code, status, RFC 6750 error and description. */
function refusal(
  code: string,
  status: 401 | 403 | 503,
  bearerError: BearerErrorCode | undefined,
  description: string,
) {
  return class extends AuthorizerError {
    constructor(message?: string) {
      super(code, status, bearerError, description, message);
    }
  };
}

/** No bearer credentials at all (no header, or another scheme): a bare challenge, no error code. */
export class MissingToken extends refusal(
  'ERR_TOKEN_MISSING',
  401,
  undefined,
  'A bearer token is required',
) {}

/** A malformed request: a broken `Authorization` header, or a path or method that cannot be judged. */
export class InvalidRequest extends AuthorizerError {
  constructor(description: string) {
    super('ERR_INVALID_REQUEST', 400, 'invalid_request', description);
  }
}

/** The token is not acceptable (malformed, forged, expired, revoked, ...); subclasses say why. */
export abstract class InvalidToken extends AuthorizerError {
  constructor(code: string, description: string, message?: string) {
    super(code, 401, 'invalid_token', description, message);
  }
}

function invalidToken(code: string, description: string) {
  return class extends InvalidToken {
    constructor(message?: string) {
      super(code, description, message);
    }
  };
}

/** Not a JWS compact serialization, or its parts are not valid base64url JSON objects. */
export class TokenMalformed extends invalidToken('ERR_JWT_MALFORMED', 'Malformed token') {}

/** A protected header member is missing, refused (`jwk`, `jku`, `x5u`, `x5c`, `crit`) or wrong (`typ`). */
export class HeaderInvalid extends invalidToken('ERR_JWS_HEADER_INVALID', 'Token header refused') {}

/** The `alg` is not on the verifier's allow-list, or the key does not allow it. */
export class AlgorithmNotAllowed extends invalidToken(
  'ERR_JWS_ALG_NOT_ALLOWED',
  'Token algorithm not allowed',
) {}

/** No key with the token's `kid` in the issuer's JWKS. */
export class KeyNotFound extends invalidToken('ERR_JWKS_NO_MATCHING_KEY', 'Token signed by an unknown key') {}

/** The signature does not verify. */
export class SignatureInvalid extends invalidToken('ERR_JWS_SIGNATURE_INVALID', 'Invalid token signature') {}

/** `exp` has passed (beyond the clock tolerance). */
export class TokenExpired extends invalidToken('ERR_JWT_EXPIRED', 'Token expired') {}

/** A claim is missing, of the wrong type, or has a value this verifier does not accept. */
export class ClaimInvalid extends InvalidToken {
  readonly claim: string;
  constructor(claim: string, problem: string) {
    super('ERR_JWT_CLAIM_INVALID', `Token claim ${claim} refused`, `${claim} ${problem}`);
    this.claim = claim;
  }
}

/** The deny-list says this token is revoked. */
export class TokenRevoked extends invalidToken('ERR_JWT_REVOKED', 'Token revoked') {}

/** A valid token without every scope the route needs; `scopes` are the scopes the route needs. */
export class InsufficientScope extends AuthorizerError {
  readonly scopes: readonly string[];
  constructor(scopes: readonly string[]) {
    super('ERR_INSUFFICIENT_SCOPE', 403, 'insufficient_scope', 'Token lacks a required scope');
    this.scopes = scopes;
  }
}

/** A valid token, but no route of the policy covers the request: denied by default. */
export class RouteNotAllowed extends refusal(
  'ERR_ROUTE_NOT_ALLOWED',
  403,
  'insufficient_scope',
  'No route allows this request',
) {}

/** The issuer's keys cannot be had (never fetched, unreachable too long, or empty): fail closed. */
export class KeysUnavailable extends refusal(
  'ERR_JWKS_UNAVAILABLE',
  503,
  undefined,
  'Signing keys unavailable',
) {}

/** No route policy is known (a remote policy not fetched yet, or the server knows no such API): fail closed. */
export class PolicyUnavailable extends refusal(
  'ERR_POLICY_UNAVAILABLE',
  503,
  undefined,
  'Route policy unavailable',
) {}

/** Something outside the token failed while judging it (a deny-list hook threw, ...): fail closed. */
export class VerificationUnavailable extends refusal(
  'ERR_VERIFICATION_UNAVAILABLE',
  503,
  undefined,
  'Token cannot be checked now',
) {}

/** A verifier or adapter was created with options that cannot work; thrown at creation, never per request. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}
