/**
 * The one table from error to HTTP status, and the writers of the two error shapes: OAuth
 * (RFC 6749 section 5.2) for `/oauth/*`, Auth0's `{statusCode, error, message, errorCode}` for
 * `/api/v2/*`. Nothing else in the server picks an error status.
 */
import { StoreConflictError, StoreNotFoundError } from '../store/store.ts';
import {
  BodyError,
  InvalidRequest,
  ManagementError,
  type ManagementErrorKey,
  OAuthError,
  type OAuthErrorKey,
  RequestTooLarge,
  TemporarilyUnavailable,
} from './errors.ts';
import { createSecuredResponse, withSecurityHeaders } from './security-headers.ts';

/** HTTP status of every error the server answers. */
export const ERROR_STATUS: Readonly<Record<OAuthErrorKey | ManagementErrorKey, number>> = {
  // OAuth 2.0 (RFC 6749 5.2, RFC 8707 2, Auth0's 403 access_denied)
  invalid_request: 400,
  request_too_large: 413,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  access_denied: 403,
  server_error: 500,
  temporarily_unavailable: 503,
  too_many_attempts: 429,
  too_many_requests: 429,
  rate_limited: 429,
  // Management API (Auth0 shape)
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  service_unavailable: 503,
};

const REASON: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Headers every error answer carries: errors are never cached (RFC 6749 5.1 asks the same of token answers). */
const ERROR_HEADERS = withSecurityHeaders({
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
});
/** `Retry-After` of a 503 answered because the store cannot be reached. @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

const BASIC_ERROR_HEADERS = new Map<string, Readonly<Record<string, string>>>();

/** The error headers plus a `WWW-Authenticate` challenge, built once per distinct challenge. */
function withChallenge(challenge: string): Readonly<Record<string, string>> {
  let headers = BASIC_ERROR_HEADERS.get(challenge);
  if (headers === undefined) {
    headers = withSecurityHeaders({ ...ERROR_HEADERS, 'WWW-Authenticate': challenge });
    if (BASIC_ERROR_HEADERS.size < 16) BASIC_ERROR_HEADERS.set(challenge, headers);
  }
  return headers;
}

/** Turns anything thrown on an OAuth endpoint into an `OAuthError`; unknown errors become a 500 with a generic text. */
export function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  if (err instanceof BodyError) {
    return err.reason === 'too_large' ? new RequestTooLarge(err.message) : new InvalidRequest(err.message);
  }
  if (isUnavailable(err)) {
    const unavailable = new TemporarilyUnavailable('the server cannot answer right now; retry later');
    unavailable.retryAfterSeconds = UNAVAILABLE_RETRY_AFTER_SECONDS;
    return unavailable;
  }
  return new OAuthError('server_error', 'server_error', 'internal error');
}

/**
 * An answer before it becomes a `Response` or is written to a Node response: the status, the body
 * and a header set that already holds the security headers (made by `withSecurityHeaders`).
 */
export interface PlainAnswer {
  status: number;
  body: string;
  headers: Readonly<Record<string, string>>;
}

/**
 * An OAuth error answer as status, body and headers.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function describeOAuthError(err: OAuthError): PlainAnswer {
  let headers = err.challenge === undefined ? ERROR_HEADERS : withChallenge(err.challenge);
  // Rare answers (429, 503): a fresh header set is fine off the hot path.
  if (err.retryAfterSeconds !== undefined) {
    headers = withSecurityHeaders({ ...headers, 'Retry-After': String(err.retryAfterSeconds) });
  }
  const body = JSON.stringify({ error: err.error, error_description: err.message });
  return { status: ERROR_STATUS[err.code], body, headers };
}

/**
 * Writes an OAuth error answer.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function createOAuthErrorResponse(err: OAuthError): Response {
  const { status, body, headers } = describeOAuthError(err);
  return createSecuredResponse(body, status, headers);
}

/** Turns anything thrown on a Management API route into a `ManagementError`; unknown errors stay undefined (500). */
export function toManagementError(err: unknown): ManagementError | undefined {
  if (err instanceof ManagementError) return err;
  if (err instanceof BodyError) {
    if (err.reason === 'too_large')
      return new ManagementError('payload_too_large', 'payload_too_large', err.message);
    if (err.reason === 'unsupported_media_type') {
      return new ManagementError('unsupported_media_type', 'unsupported_media_type', err.message);
    }
    return new ManagementError('bad_request', 'invalid_body', err.message);
  }
  if (err instanceof StoreConflictError) return new ManagementError('conflict', 'conflict', err.message);
  if (err instanceof StoreNotFoundError)
    return new ManagementError('not_found', 'inexistent_entity', err.message);
  if (isUnavailable(err)) {
    return new ManagementError(
      'service_unavailable',
      'service_unavailable',
      'the store is unavailable; retry later',
    );
  }
  return undefined;
}

/** Writes a Management API error in Auth0's shape; `undefined` writes a generic 500. */
export function createManagementErrorResponse(err: ManagementError | undefined): Response {
  const status = err ? ERROR_STATUS[err.code] : 500;
  const body = JSON.stringify({
    statusCode: status,
    error: REASON[status] ?? 'Error',
    message: err ? err.message : 'Internal error',
    errorCode: err ? err.errorCode : 'internal_error',
  });
  const headers =
    err?.code === 'unauthorized'
      ? withChallenge('Bearer realm="gatehouse"')
      : err?.code === 'service_unavailable'
        ? withSecurityHeaders({ ...ERROR_HEADERS, 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS) })
        : ERROR_HEADERS;
  return createSecuredResponse(body, status, headers);
}

const OAUTH_NOT_ALLOWED_HEADERS = withSecurityHeaders({ ...ERROR_HEADERS, Allow: 'POST' });

/** 405 in the OAuth error shape for an OAuth endpoint called with another method than POST. */
export function createOAuthMethodNotAllowedResponse(): Response {
  const body = JSON.stringify({
    error: 'invalid_request',
    error_description: 'this endpoint accepts POST only',
  });
  return createSecuredResponse(body, 405, OAUTH_NOT_ALLOWED_HEADERS);
}

/** A plain JSON error for routes outside both surfaces (404 on unknown paths, 405, 500), as status, body and headers. */
export function describePlainError(status: number, message: string): PlainAnswer {
  const body = JSON.stringify({ statusCode: status, error: REASON[status] ?? 'Error', message });
  return { status, body, headers: ERROR_HEADERS };
}

/** A plain JSON error for routes outside both surfaces (404 on unknown paths, 405, 500). */
export function createPlainErrorResponse(status: number, message: string): Response {
  const { body, headers } = describePlainError(status, message);
  return createSecuredResponse(body, status, headers);
}

/** Socket and PostgreSQL codes that mean the store could not be reached (pg class 08: connection exception; 57P0x: shutdown). */
const UNREACHABLE_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
]);

/**
 * Errors a store back-end raises when it cannot be reached (SQLite busy/closed, network refusals,
 * a PostgreSQL connection cut under a pooled client, the AWS SDK's network errors).
 */
function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  if (err.name === 'TimeoutError' || err.name === 'NetworkingError') return true;
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== err && isUnavailable(cause)) return true;
  return (
    err.message === 'The database connection is not open' ||
    err.message.startsWith('Connection terminated') ||
    err.message === 'timeout exceeded when trying to connect' ||
    err.message === 'Client has encountered a connection error and is not queryable'
  );
}
