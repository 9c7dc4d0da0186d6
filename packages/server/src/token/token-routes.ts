/**
 * `POST /oauth/token`: the client credentials grant, as a Hono route over the token endpoint
 * (token-endpoint.ts). On Node, serve.ts answers most token requests before Hono, with the same
 * endpoint (http/node-token-route.ts); this route answers the rest, and every request on Lambda.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { createSecuredResponse, withSecurityHeaders } from '../http/security-headers.ts';
import { readTokenParameters } from './read-token-parameters.ts';
import { TOKEN_HEADERS, type TokenEndpoint } from './token-endpoint.ts';

const NOT_ALLOWED_HEADERS = withSecurityHeaders({ ...TOKEN_HEADERS, Allow: 'POST' });
const NOT_ALLOWED_BODY = JSON.stringify({
  error: 'invalid_request',
  error_description: 'the token endpoint accepts POST only',
});

/** Creates the `/oauth/token` routes. */
export function createTokenRoutes(endpoint: TokenEndpoint): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/oauth/token', async (c) => {
    const answer = await endpoint.answer({
      readParameters: () => readTokenParameters(c.req),
      authorization: c.req.header('authorization'),
      address: c.get('sourceAddress'),
      context: c,
    });
    if (answer.clientId !== undefined) c.set('clientId', answer.clientId);
    return createSecuredResponse(answer.body, answer.status, answer.headers);
  });

  app.on(['GET', 'PUT', 'PATCH', 'DELETE'], '/oauth/token', () =>
    createSecuredResponse(NOT_ALLOWED_BODY, 405, NOT_ALLOWED_HEADERS),
  );
  return app;
}
