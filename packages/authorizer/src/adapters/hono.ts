/**
 * Hono middleware: `app.use(createHonoMiddleware({ issuer, audience, policy }))`; handlers read the
 * caller with `c.get('auth')`. Refusals are answered here (RFC 6750) and never reach the handler.
 */
import type { MiddlewareHandler } from 'hono';
import type { AuthContext, Authorizer } from '../authorizer/create-authorizer.ts';
import { toBearerResponse } from '../errors/bearer-response.ts';
import { type AdapterOptions, resolveAuthorizer, targetOfUrl } from './resolve-authorizer.ts';

/** Hono environment with the `auth` variable this middleware sets. */
export interface HonoAuthEnv {
  Variables: { auth: AuthContext };
}

/** Creates the Hono middleware; `.authorizer` is the core it uses (close it on shutdown). */
export function createHonoMiddleware(
  options: AdapterOptions,
): MiddlewareHandler<HonoAuthEnv> & { readonly authorizer: Authorizer } {
  const authorizer = resolveAuthorizer(options);
  const middleware: MiddlewareHandler<HonoAuthEnv> = async (c, next) => {
    const result = await authorizer.authorize({
      method: c.req.method,
      path: targetOfUrl(c.req.url),
      authorization: c.req.header('authorization'),
    });
    if (!result.ok) {
      const answer = toBearerResponse(result.error, authorizer);
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    }
    c.set('auth', result.auth);
    await next();
  };
  return Object.assign(middleware, { authorizer });
}
