/**
 * `POST /oauth/revoke`: a client revokes one of its own access tokens (RFC 7009). The token is
 * deny-listed by `jti` until it expires, and the revocation feed carries it to every authorizer.
 *
 * As RFC 7009 section 2.2 asks, the answer is 200 whether or not anything was revoked: a token that
 * does not verify (malformed, forged, expired, unknown key) or that belongs to another client is
 * left alone, and the caller cannot tell which, so the endpoint reveals nothing about other
 * clients' tokens. A token is verified before it is listed, so nobody can deny-list a `jti` they
 * only made up.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { createOAuthErrorResponse, toOAuthError } from '../http/error-response.ts';
import { InvalidRequest } from '../http/errors.ts';
import { createSecuredResponse, withSecurityHeaders } from '../http/security-headers.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RevocationStore } from '../store/store.ts';
import type { AccessTokenVerifier } from '../token/access-token-verifier.ts';
import { type ClientAuthenticator, parseClientCredentials } from '../token/client-authentication.ts';
import { readTokenParameters } from '../token/read-token-parameters.ts';

/** Dependencies of the revocation endpoint. */
export interface RevocationRoutesOptions {
  /** The endpoint's own URL (an accepted `aud` of a client assertion). */
  endpoint: string;
  authenticator: ClientAuthenticator;
  verifier: AccessTokenVerifier;
  store: RevocationStore;
  logger: Logger;
}

const REVOKED_HEADERS = withSecurityHeaders({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });

/** Creates the `/oauth/revoke` route. */
export function createRevocationRoutes(opts: RevocationRoutesOptions): Hono<AppEnv> {
  const { endpoint, authenticator, verifier, store, logger } = opts;
  const log = logger.child({ audit: true });
  const app = new Hono<AppEnv>();

  app.post('/oauth/revoke', async (c) => {
    try {
      const params = await readTokenParameters(c.req);
      const credentials = parseClientCredentials(c.req.header('authorization'), params);
      const client = await authenticator.authenticate(credentials, {
        endpoint,
        address: c.get('sourceAddress'),
        request: c,
      });
      c.set('clientId', client.clientId);
      if (params.token === undefined) throw new InvalidRequest('token is required');
      // token_type_hint is only a hint (RFC 7009 2.1): every token here is an access token.
      const token = await verifier.verify(params.token);
      if (token !== null && token.clientId === client.clientId) {
        const entry = await store.revokeToken({
          jti: token.jti,
          audience: token.aud,
          clientId: token.clientId,
          expiresAt: token.exp * 1000,
        });
        log.info(
          { event: 'token.revoked', actor: client.clientId, audience: entry.audience, jti: entry.jti },
          'token.revoked',
        );
      }
      return createSecuredResponse(null, 200, REVOKED_HEADERS);
    } catch (err) {
      const oauthError = toOAuthError(err);
      if (oauthError.error === 'server_error' || oauthError.error === 'temporarily_unavailable') {
        logger.error({ err: describeError(err) }, 'revocation request failed');
      }
      return createOAuthErrorResponse(oauthError);
    }
  });
  return app;
}
