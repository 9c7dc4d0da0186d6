/**
 * `POST /oauth/introspect`: token introspection for resource servers that prefer asking to
 * verifying (RFC 7662). The caller authenticates as a client; any client with a grant for the
 * token's audience may introspect it (DESIGN.md), anyone else learns only `{"active": false}`.
 * Revocations apply at once: the deny-list and cut-offs are read from the store on every call.
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { createOAuthErrorResponse, toOAuthError } from '../http/error-response.ts';
import { InvalidRequest } from '../http/errors.ts';
import { createSecuredResponse, withSecurityHeaders } from '../http/security-headers.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { ClientGrantStore } from '../store/store.ts';
import type { AccessTokenVerifier } from '../token/access-token-verifier.ts';
import { type ClientAuthenticator, parseClientCredentials } from '../token/client-authentication.ts';
import { readTokenParameters } from '../token/read-token-parameters.ts';
import type { RevocationCheck } from './revocation-check.ts';

/** Dependencies of the introspection endpoint. */
export interface IntrospectionRoutesOptions {
  /** The endpoint's own URL (an accepted `aud` of a client assertion). */
  endpoint: string;
  authenticator: ClientAuthenticator;
  verifier: AccessTokenVerifier;
  revocations: RevocationCheck;
  store: ClientGrantStore;
  logger: Logger;
}

/** An active token's introspection answer. @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2 */
export interface IntrospectionResponse {
  active: true;
  scope: string;
  client_id: string;
  sub: string;
  aud: string;
  iss: string;
  exp: number;
  iat: number;
  jti: string;
  token_type: 'Bearer';
}

// RFC 7662 section 4: answers must not be cached.
const HEADERS = withSecurityHeaders({
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
});
const INACTIVE = '{"active":false}';

/** Creates the `/oauth/introspect` route. */
export function createIntrospectionRoutes(opts: IntrospectionRoutesOptions): Hono<AppEnv> {
  const { endpoint, authenticator, verifier, revocations, store, logger } = opts;
  const app = new Hono<AppEnv>();

  app.post('/oauth/introspect', async (c) => {
    try {
      const params = await readTokenParameters(c.req);
      const credentials = parseClientCredentials(c.req.header('authorization'), params);
      const caller = await authenticator.authenticate(credentials, {
        endpoint,
        address: c.get('sourceAddress'),
        request: c,
      });
      c.set('clientId', caller.clientId);
      if (params.token === undefined) throw new InvalidRequest('token is required');
      const token = await verifier.verify(params.token);
      if (token === null) return createSecuredResponse(INACTIVE, 200, HEADERS);
      const [grant, revoked] = await Promise.all([
        store.findClientGrant(caller.clientId, token.aud),
        revocations.isRevoked(token),
      ]);
      if (grant === null || revoked) return createSecuredResponse(INACTIVE, 200, HEADERS);
      const answer: IntrospectionResponse = {
        active: true,
        scope: token.scope,
        client_id: token.clientId,
        sub: token.sub,
        aud: token.aud,
        iss: token.iss,
        exp: token.exp,
        iat: token.iat,
        jti: token.jti,
        token_type: 'Bearer',
      };
      return createSecuredResponse(JSON.stringify(answer), 200, HEADERS);
    } catch (err) {
      const oauthError = toOAuthError(err);
      if (oauthError.error === 'server_error' || oauthError.error === 'temporarily_unavailable') {
        logger.error({ err: describeError(err) }, 'introspection request failed');
      }
      return createOAuthErrorResponse(oauthError);
    }
  });
  return app;
}
