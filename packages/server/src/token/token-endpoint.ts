/**
 * The token endpoint's work, whatever HTTP layer carries it: read the parameters, authenticate the
 * client, issue the token, count it, and answer with the status, body and headers to send. The
 * Hono route (token-routes.ts) and the lean Node route (http/node-token-route.ts) both call
 * `answer`, so the two cannot drift apart.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import type { Context } from 'hono';
import type { TokenUsageCounter } from '../audit/token-usage-counter.ts';
import { describeOAuthError, type PlainAnswer, toOAuthError } from '../http/error-response.ts';
import { InvalidRequest, UnsupportedGrantType } from '../http/errors.ts';
import { withSecurityHeaders } from '../http/security-headers.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { AccessTokenIssuer } from './access-token-issuer.ts';
import { type ClientAuthenticator, parseClientCredentials } from './client-authentication.ts';
import type { TokenParameters } from './token-parameters.ts';
import type { TokenReadCache, TokenReads } from './token-read-cache.ts';

/** Dependencies of the token endpoint. */
export interface TokenEndpointOptions {
  /** The token endpoint's URL (an accepted `aud` of a client assertion). */
  endpoint: string;
  authenticator: ClientAuthenticator;
  issuer: AccessTokenIssuer;
  metrics: ServerMetrics;
  logger: Logger;
  /** Token usage for the admin overview (audit/token-usage-counter.ts): a Map update per request, no I/O. */
  usage?: TokenUsageCounter | undefined;
  /** The token read cache (token-read-cache.ts); without it every request reads the store. */
  reads?: TokenReadCache | undefined;
}

/** One token request, as the HTTP layer hands it over. */
export interface TokenRequest {
  /**
   * The request's parameters (the body, parsed). Called once, after the issue time is taken; it
   * throws (or rejects) the error to answer for a body that cannot be read or parsed.
   */
  readParameters(): TokenParameters | Promise<TokenParameters>;
  /** The `Authorization` header, duplicates joined with `, ` (as `Headers.get` does). */
  authorization: string | undefined;
  /** The caller's source address for the limits (limits/source-address.ts). */
  address: string | undefined;
  /** The Hono context, for the audit entry of a federated sign-in; the lean route hands those requests to Hono. */
  context?: Context | undefined;
  /**
   * When the request was taken in (epoch ms), if earlier than the call; default: now. With `reads`:
   * the snapshot must have been taken after this time (see AccessTokenIssuer.issue).
   */
  issuedAtMs?: number | undefined;
  /** A snapshot of the token reads taken after `issuedAtMs` (`TokenEndpoint.snapshot`), shared by requests; default: a fresh one. */
  reads?: TokenReads | undefined;
}

/** What to send back, and the client it was for (once authenticated), for the request log. */
export interface TokenAnswer extends PlainAnswer {
  clientId: string | undefined;
}

/** The token endpoint. */
export interface TokenEndpoint {
  /** Answers one token request; never rejects (every failure is an OAuth error answer). */
  answer(request: TokenRequest): Promise<TokenAnswer>;
  /**
   * The store reads as of now, for every request taken in before this call (one change-stamp read
   * for a batch of requests: http/node-token-route.ts); undefined without a read cache.
   */
  snapshot(): TokenReads | undefined;
}

/** RFC 6749 5.1: token answers must not be cached. */
export const TOKEN_HEADERS = withSecurityHeaders({
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
});

/** Creates the token endpoint. */
export function createTokenEndpoint(opts: TokenEndpointOptions): TokenEndpoint {
  const { endpoint, authenticator, issuer, metrics, logger, usage, reads } = opts;
  return {
    snapshot: () => reads?.snapshot(),
    async answer(request) {
      // Before any store read: see AccessTokenIssuer.issue.
      const issuedAtMs = request.issuedAtMs ?? Date.now();
      let clientId: string | undefined;
      try {
        const read = request.readParameters();
        const params = read instanceof Promise ? await read : read;
        if (params.grant_type === undefined) throw new InvalidRequest('grant_type is required');
        if (params.grant_type !== 'client_credentials') {
          throw new UnsupportedGrantType('only grant_type=client_credentials is supported');
        }
        const credentials = parseClientCredentials(request.authorization, params);
        // Taken after issuedAtMs, as the issuer requires of every read.
        const snapshot = request.reads ?? reads?.snapshot();
        const client = await authenticator.authenticate(credentials, {
          endpoint,
          address: request.address,
          reads: snapshot,
          request: request.context,
          audience: params.audience,
        });
        clientId = client.clientId;
        const issued = await issuer.issue(client, params, issuedAtMs, snapshot);
        metrics.tokensIssued.inc({ client_id: clientId, audience: issued.audience });
        usage?.issued(clientId, issued.audience, issued.response.expires_in, issuedAtMs);
        return { status: 200, body: issued.body, headers: TOKEN_HEADERS, clientId };
      } catch (err) {
        const oauthError = toOAuthError(err);
        if (oauthError.error === 'server_error' || oauthError.error === 'temporarily_unavailable') {
          logger.error({ err: describeError(err) }, 'token request failed');
        }
        metrics.tokenErrors.inc({ error: oauthError.error });
        usage?.failed(oauthError.error, clientId, issuedAtMs);
        return { ...describeOAuthError(oauthError), clientId };
      }
    },
  };
}
