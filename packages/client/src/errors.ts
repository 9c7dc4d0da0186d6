/**
 * Errors of the token client, each with a stable `code`. None ever carries the client secret, the
 * `Authorization` header or an access token: messages are built from the OAuth error code and the
 * server's description (with any echo of the secret redacted).
 */

/** Base class of every token client error. */
export abstract class TokenClientError extends Error {
  abstract readonly code: string;
}

/** The options given to `createTokenClient` are unusable. */
export class TokenClientConfigError extends TokenClientError {
  readonly code = 'ERR_TOKEN_CLIENT_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'TokenClientConfigError';
  }
}

/**
 * The authorization server refused the token request with a 4xx (never retried): `error` is the
 * OAuth error code (`invalid_client`, `invalid_scope`, `invalid_target`, `access_denied`, ...).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class TokenRequestError extends TokenClientError {
  readonly code = 'ERR_TOKEN_REQUEST';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly errorDescription: string | undefined,
  ) {
    super(`Token request refused (${status} ${error})${errorDescription ? `: ${errorDescription}` : ''}`);
    this.name = 'TokenRequestError';
  }
}

/** The token endpoint stayed unreachable or kept answering 5xx through every retry. */
export class TokenEndpointUnavailableError extends TokenClientError {
  readonly code = 'ERR_TOKEN_ENDPOINT_UNAVAILABLE';
  constructor(
    readonly attempts: number,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `Token endpoint unavailable after ${attempts} attempt${attempts === 1 ? '' : 's'}` +
        (status === undefined ? ' (network error)' : ` (last status ${status})`),
      options,
    );
    this.name = 'TokenEndpointUnavailableError';
  }
}

/** A 2xx token response that is not a usable RFC 6749 section 5.1 answer. */
export class InvalidTokenResponseError extends TokenClientError {
  readonly code = 'ERR_TOKEN_RESPONSE_INVALID';
  constructor(message: string) {
    super(`Invalid token response: ${message}`);
    this.name = 'InvalidTokenResponseError';
  }
}

/** The issuer's metadata could not be found or does not fit (RFC 8414 / OpenID Discovery). */
export class DiscoveryError extends TokenClientError {
  readonly code = 'ERR_DISCOVERY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DiscoveryError';
  }
}

/** `close()` was called; the client gets no more tokens. */
export class TokenClientClosedError extends TokenClientError {
  readonly code = 'ERR_TOKEN_CLIENT_CLOSED';
  constructor() {
    super('The token client is closed.');
    this.name = 'TokenClientClosedError';
  }
}
