/**
 * The error classes the HTTP layer throws. Each carries a stable `code`; the HTTP status and the
 * wire shape for every code live in one table, `error-response.ts`.
 */

/** Error codes of the OAuth 2.0 token endpoint, plus the two gatehouse-internal ones that share its wire shape. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'too_many_attempts'
  | 'too_many_requests';

/** Table keys of OAuth errors: the RFC code, or a gatehouse key where the status differs from the code's usual one. */
export type OAuthErrorKey = OAuthErrorCode | 'request_too_large' | 'rate_limited';

/**
 * An error answered in the RFC 6749 section 5.2 shape `{error, error_description}`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class OAuthError extends Error {
  /** Key into the status table. */
  readonly code: OAuthErrorKey;
  /** The `error` member on the wire. */
  readonly error: OAuthErrorCode;
  /** `WWW-Authenticate` challenge to send with a 401, when the client authenticated with an HTTP scheme. */
  readonly challenge: string | undefined;
  /** Seconds for a `Retry-After` header (429, 503), when the answer should carry one. */
  retryAfterSeconds: number | undefined;

  constructor(code: OAuthErrorKey, error: OAuthErrorCode, description: string, challenge?: string) {
    super(description);
    this.name = 'OAuthError';
    this.code = code;
    this.error = error;
    this.challenge = challenge;
    this.retryAfterSeconds = undefined;
  }
}

/** A missing, repeated, malformed or conflicting request parameter. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 */
export class InvalidRequest extends OAuthError {
  constructor(description: string) {
    super('invalid_request', 'invalid_request', description);
  }
}

/** A request body over the size limit: `invalid_request` on the wire, 413 as HTTP status. */
export class RequestTooLarge extends OAuthError {
  constructor(description: string) {
    super('request_too_large', 'invalid_request', description);
  }
}

/** Client authentication failed; `challenge` is set when the client used HTTP Basic. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 */
export class InvalidClient extends OAuthError {
  constructor(description: string, challenge?: string) {
    super('invalid_client', 'invalid_client', description, challenge);
  }
}

/** The client may not use this grant type. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 */
export class UnauthorizedClient extends OAuthError {
  constructor(description: string) {
    super('unauthorized_client', 'unauthorized_client', description);
  }
}

/** A grant type the server does not support. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 */
export class UnsupportedGrantType extends OAuthError {
  constructor(description: string) {
    super('unsupported_grant_type', 'unsupported_grant_type', description);
  }
}

/** A malformed scope, or one the client's grant does not hold. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 */
export class InvalidScope extends OAuthError {
  constructor(description: string) {
    super('invalid_scope', 'invalid_scope', description);
  }
}

/** An unknown or malformed target API (`audience` / `resource`). @see https://www.rfc-editor.org/rfc/rfc8707#section-2 */
export class InvalidTarget extends OAuthError {
  constructor(description: string) {
    super('invalid_target', 'invalid_target', description);
  }
}

/** The client has no grant for the API (Auth0 answers 403 `access_denied`). @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 */
export class AccessDenied extends OAuthError {
  constructor(description: string) {
    super('access_denied', 'access_denied', description);
  }
}

/** The server cannot answer now (store or keys unavailable). @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 */
export class TemporarilyUnavailable extends OAuthError {
  constructor(description: string) {
    super('temporarily_unavailable', 'temporarily_unavailable', description);
  }
}

/**
 * Too many failed client authentications (`too_many_attempts`) or, when request limits are
 * configured, too many requests (`too_many_requests`): 429 with `Retry-After`. Extension error
 * codes (RFC 6749 section 8.5), named as Auth0 names them.
 * @see https://www.rfc-editor.org/rfc/rfc6585#section-4
 */
export class RateLimited extends OAuthError {
  constructor(
    error: 'too_many_attempts' | 'too_many_requests',
    description: string,
    retryAfterSeconds: number,
  ) {
    super('rate_limited', error, description);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** Table keys of Management API errors. */
export type ManagementErrorKey =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'service_unavailable';

/** An error answered in Auth0's Management API shape `{statusCode, error, message, errorCode}`. */
export class ManagementError extends Error {
  /** Key into the status table. */
  readonly code: ManagementErrorKey;
  /** Auth0's `errorCode` member (e.g. `inexistent_client`, `insufficient_scope`). */
  readonly errorCode: string;

  constructor(code: ManagementErrorKey, errorCode: string, message: string) {
    super(message);
    this.name = 'ManagementError';
    this.code = code;
    this.errorCode = errorCode;
  }
}

/** 400: invalid body, query string or path parameter (`invalid_body`, `invalid_query_string`, `invalid_uri`). */
export class BadRequest extends ManagementError {
  constructor(errorCode: string, message: string) {
    super('bad_request', errorCode, message);
  }
}

/** 401: missing or invalid bearer token. @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 */
export class Unauthorized extends ManagementError {
  constructor(errorCode: 'missing_authorization' | 'invalid_token', message: string) {
    super('unauthorized', errorCode, message);
  }
}

/** 403: the token lacks a scope, or the operation is not allowed on this entity. @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 */
export class Forbidden extends ManagementError {
  constructor(errorCode: 'insufficient_scope' | 'operation_not_supported', message: string) {
    super('forbidden', errorCode, message);
  }
}

/** 404: the entity or route does not exist. */
export class NotFound extends ManagementError {
  constructor(errorCode: string, message: string) {
    super('not_found', errorCode, message);
  }
}

/** 409: the write conflicts with existing state. */
export class Conflict extends ManagementError {
  constructor(errorCode: string, message: string) {
    super('conflict', errorCode, message);
  }
}

/** Why a request body could not be read; each surface turns it into its own error shape. */
export type BodyErrorReason = 'too_large' | 'unsupported_media_type' | 'malformed';

/** Raised by the body readers in `body.ts`; surface-neutral. */
export class BodyError extends Error {
  readonly code = 'ERR_BODY';
  readonly reason: BodyErrorReason;
  constructor(reason: BodyErrorReason, message: string) {
    super(message);
    this.name = 'BodyError';
    this.reason = reason;
  }
}
