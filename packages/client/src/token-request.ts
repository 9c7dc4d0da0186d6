/**
 * One client-credentials token request with bounded retries: network errors, timeouts and 5xx
 * are retried with backoff and jitter; a 4xx (`invalid_client`, `invalid_scope`, ...) never is.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import {
  InvalidTokenResponseError,
  TokenClientClosedError,
  TokenEndpointUnavailableError,
  TokenRequestError,
} from './errors.ts';
import { backoffDelay, type RetryPolicy, sleep } from './retry.ts';

/** How the client authenticates at the token endpoint. @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** `client_assertion_type` of a JWT client assertion. @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2 */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * The client's credential for one request: its secret (Basic or in the body), or a client
 * assertion (a workload's platform token, RFC 7523) with `client_id` only when known.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export type ClientCredential =
  | { kind: 'secret'; clientId: string; clientSecret: string; authMethod: ClientAuthMethod }
  | { kind: 'assertion'; clientId: string | undefined; assertion: string };

/** Everything one token request needs. */
export interface TokenRequest {
  tokenEndpoint: string;
  credential: ClientCredential;
  /** Extra parameters: `audience`, `resource`, `scope`. */
  params: Record<string, string>;
  /** `form` (RFC 6749) or `json` (Auth0's body); default form. */
  encoding?: 'form' | 'json' | undefined;
  fetch: typeof globalThis.fetch;
  retry: RetryPolicy;
  timeoutMs: number;
  /** Aborts waits and requests (the client's `close()`). */
  signal: AbortSignal;
}

/** A successful token response, reduced to what the cache needs. */
export interface TokenGrant {
  accessToken: string;
  /** Lifetime in milliseconds, from `expires_in` (or the JWT's exp - iat; else undefined). */
  lifetimeMs: number | undefined;
  scope: string | undefined;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/** Requests a token, retrying transient failures; throws a `TokenClientError`. */
export async function requestToken(req: TokenRequest): Promise<TokenGrant> {
  const init = buildInit(req);
  let lastStatus: number | undefined;
  let lastError: unknown;
  let retryAfterMs: number | undefined;
  for (let attempt = 1; attempt <= req.retry.attempts; attempt++) {
    if (attempt > 1) await wait(req, attempt - 1, retryAfterMs);
    retryAfterMs = undefined;
    let res: Response;
    try {
      const signal = AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]);
      res = await req.fetch(req.tokenEndpoint, { ...init, signal });
    } catch (error) {
      if (req.signal.aborted) throw new TokenClientClosedError();
      lastStatus = undefined;
      lastError = stripRequest(error);
      continue;
    }
    if (res.status >= 500) {
      lastStatus = res.status;
      lastError = undefined;
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      await res.body?.cancel();
      continue;
    }
    const text = await readText(res);
    if (res.status < 200 || res.status >= 300) throw refusal(res.status, text, secretOf(req.credential));
    return parseGrant(text);
  }
  throw new TokenEndpointUnavailableError(
    req.retry.attempts,
    lastStatus,
    lastError ? { cause: lastError } : undefined,
  );
}

async function wait(req: TokenRequest, retry: number, retryAfterMs: number | undefined): Promise<void> {
  const jitter = backoffDelay(req.retry, retry);
  const delay =
    retryAfterMs === undefined ? jitter : Math.min(req.retry.maxDelayMs, Math.max(jitter, retryAfterMs));
  try {
    await sleep(delay, req.signal);
  } catch {
    throw new TokenClientClosedError();
  }
}

/** Redirects are not followed: a token endpoint that redirects would carry the credentials elsewhere. */
function buildInit(req: TokenRequest): RequestInit {
  const fields: Record<string, string> = { grant_type: 'client_credentials', ...req.params };
  const json = req.encoding === 'json';
  const headers: Record<string, string> = {
    'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const credential = req.credential;
  if (credential.kind === 'assertion') {
    if (credential.clientId !== undefined) fields.client_id = credential.clientId;
    fields.client_assertion_type = JWT_BEARER_ASSERTION_TYPE;
    fields.client_assertion = credential.assertion;
  } else if (credential.authMethod === 'client_secret_basic') {
    // RFC 6749 section 2.3.1: id and secret are form-urlencoded before Base64.
    const pair = `${formEncode(credential.clientId)}:${formEncode(credential.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    fields.client_id = credential.clientId;
    fields.client_secret = credential.clientSecret;
  }
  const body = json ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
  return { method: 'POST', headers, body, redirect: 'manual' };
}

/** What a refusal's description must never echo: the secret or the assertion. */
function secretOf(credential: ClientCredential): string {
  return credential.kind === 'secret' ? credential.clientSecret : credential.assertion;
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

async function readText(res: Response): Promise<string> {
  const text = await res.text();
  if (text.length > MAX_RESPONSE_BYTES) throw new InvalidTokenResponseError('the response is too large');
  return text;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The OAuth error of a refusal; the secret (or assertion) is redacted should a server echo it. */
function refusal(status: number, text: string, secret: string): TokenRequestError {
  const body = parseJsonObject(text);
  const fallback = status >= 300 && status < 400 ? 'unexpected_redirect' : 'http_error';
  const error =
    typeof body?.error === 'string' && /^[\x20-\x7e]{1,64}$/.test(body.error) ? body.error : fallback;
  let description = typeof body?.error_description === 'string' ? body.error_description : undefined;
  if (description !== undefined) {
    description = description.replace(/[\p{Cc}]/gu, ' ').slice(0, 300);
    if (secret.length > 0) description = description.split(secret).join('[redacted]');
  }
  return new TokenRequestError(status, error, description);
}

/** @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
function parseGrant(text: string): TokenGrant {
  const body = parseJsonObject(text);
  if (!body) throw new InvalidTokenResponseError('the body is not a JSON object');
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn, scope } = body;
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new InvalidTokenResponseError('access_token is missing');
  }
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw new InvalidTokenResponseError('token_type is not Bearer');
  }
  let lifetimeMs: number | undefined;
  if (expiresIn !== undefined) {
    const seconds = typeof expiresIn === 'string' && /^\d+$/.test(expiresIn) ? Number(expiresIn) : expiresIn;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      throw new InvalidTokenResponseError('expires_in is not a positive number');
    }
    lifetimeMs = seconds * 1000;
  } else {
    lifetimeMs = jwtLifetimeMs(accessToken);
  }
  return { accessToken, lifetimeMs, scope: typeof scope === 'string' ? scope : undefined };
}

/** exp - iat of a JWT access token (read, not verified: only to time the cache). */
function jwtLifetimeMs(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  const claims = parseJsonObject(Buffer.from(payload, 'base64url').toString('utf8'));
  const { exp, iat } = claims ?? {};
  return typeof exp === 'number' && typeof iat === 'number' && exp > iat ? (exp - iat) * 1000 : undefined;
}

/** Retry-After in milliseconds (delta-seconds only). @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3 */
function parseRetryAfter(value: string | null): number | undefined {
  return value !== null && /^\d{1,6}$/.test(value.trim()) ? Number(value.trim()) * 1000 : undefined;
}

/** Keeps a network error's message and cause code, never the request (whose headers hold the secret). */
function stripRequest(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? ` (${cause.code})` : '';
  return new Error(`${error.name}: ${error.message}${code}`);
}
