/**
 * `POST /oauth/token`: the client credentials grant.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import { Hono } from 'hono';
import type { TokenUsageCounter } from '../audit/token-usage-counter.ts';
import type { AppEnv } from '../http/app-env.ts';
import { createOAuthErrorResponse, toOAuthError } from '../http/error-response.ts';
import { InvalidRequest, UnsupportedGrantType } from '../http/errors.ts';
import { createSecuredResponse, withSecurityHeaders } from '../http/security-headers.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { AccessTokenIssuer } from './access-token-issuer.ts';
import type { ClientAuthenticator } from './client-authentication.ts';
import { parseClientCredentials } from './client-authentication.ts';
import { readTokenParameters } from './read-token-parameters.ts';
import type { TokenReadCache } from './token-read-cache.ts';

/** Dependencies of the token routes. */
export interface TokenRoutesOptions {
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

/** RFC 6749 5.1: token answers must not be cached. */
const TOKEN_HEADERS = withSecurityHeaders({
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
});
const NOT_ALLOWED_HEADERS = withSecurityHeaders({ ...TOKEN_HEADERS, Allow: 'POST' });
const NOT_ALLOWED_BODY = JSON.stringify({
  error: 'invalid_request',
  error_description: 'the token endpoint accepts POST only',
});

/** Creates the `/oauth/token` routes. */
export function createTokenRoutes(opts: TokenRoutesOptions): Hono<AppEnv> {
  const { endpoint, authenticator, issuer, metrics, logger, usage, reads } = opts;
  const app = new Hono<AppEnv>();

  app.post('/oauth/token', async (c) => {
    // Before any store read: see AccessTokenIssuer.issue.
    const issuedAtMs = Date.now();
    try {
      const params = await readTokenParameters(c.req);
      if (params.grant_type === undefined) throw new InvalidRequest('grant_type is required');
      if (params.grant_type !== 'client_credentials') {
        throw new UnsupportedGrantType('only grant_type=client_credentials is supported');
      }
      const credentials = parseClientCredentials(c.req.header('authorization'), params);
      // Taken after issuedAtMs, as the issuer requires of every read.
      const snapshot = reads?.snapshot();
      const client = await authenticator.authenticate(credentials, {
        endpoint,
        address: c.get('sourceAddress'),
        reads: snapshot,
        request: c,
        audience: params.audience,
      });
      c.set('clientId', client.clientId);
      const issued = await issuer.issue(client, params, issuedAtMs, snapshot);
      metrics.tokensIssued.inc({ client_id: client.clientId, audience: issued.audience });
      usage?.issued(client.clientId, issued.audience, issued.response.expires_in, issuedAtMs);
      return createSecuredResponse(JSON.stringify(issued.response), 200, TOKEN_HEADERS);
    } catch (err) {
      const oauthError = toOAuthError(err);
      if (oauthError.error === 'server_error' || oauthError.error === 'temporarily_unavailable') {
        logger.error({ err: describeError(err) }, 'token request failed');
      }
      metrics.tokenErrors.inc({ error: oauthError.error });
      usage?.failed(oauthError.error, c.get('clientId'), issuedAtMs);
      return createOAuthErrorResponse(oauthError);
    }
  });

  app.on(['GET', 'PUT', 'PATCH', 'DELETE'], '/oauth/token', () =>
    createSecuredResponse(NOT_ALLOWED_BODY, 405, NOT_ALLOWED_HEADERS),
  );
  return app;
}
