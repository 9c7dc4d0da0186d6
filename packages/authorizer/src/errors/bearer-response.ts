import { type AuthorizerError, InsufficientScope } from './errors.ts';

/** An HTTP answer for a refused request: status, headers (lower-case names) and a JSON body. */
export interface BearerResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Options of {@link toBearerResponse}. */
export interface BearerResponseOptions {
  /** `realm` of the challenge; omitted from the header when undefined. */
  readonly realm?: string | undefined;
}

const RETRY_AFTER_SECONDS = '5';

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The one mapping from an {@link AuthorizerError} to HTTP: 401 with a bare `Bearer` challenge for
 * a missing token, 400 `invalid_request`, 401 `invalid_token`, 403 `insufficient_scope` naming the
 * needed scope, 503 (with `Retry-After`) when keys are unavailable.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function toBearerResponse(
  error: AuthorizerError,
  options: BearerResponseOptions = {},
): BearerResponse {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'cache-control': 'no-store',
  };
  if (error.status === 503) {
    headers['retry-after'] = RETRY_AFTER_SECONDS;
    const body = { error: 'temporarily_unavailable', error_description: error.description };
    return { status: 503, headers, body: JSON.stringify(body) };
  }
  const params: string[] = [];
  if (options.realm !== undefined) params.push(`realm=${quote(options.realm)}`);
  if (error.bearerError !== undefined) {
    params.push(`error=${quote(error.bearerError)}`, `error_description=${quote(error.description)}`);
    if (error instanceof InsufficientScope) params.push(`scope=${quote(error.scopes.join(' '))}`);
  }
  headers['www-authenticate'] = params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
  const body: Record<string, string> =
    error.bearerError === undefined
      ? { error_description: error.description }
      : { error: error.bearerError, error_description: error.description };
  if (error instanceof InsufficientScope) body.scope = error.scopes.join(' ');
  return { status: error.status, headers, body: JSON.stringify(body) };
}
