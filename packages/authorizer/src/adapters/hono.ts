/**
 * Hono middleware: `app.use(createHonoMiddleware({ issuer, audience, policy }))`; handlers read the
 * caller with `c.get('auth')`. Refusals are answered here (RFC 6750) and never reach the handler.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type {
  AuthContext,
  AuthorizeRequest,
  AuthorizeResult,
  Authorizer,
} from '../authorizer/create-authorizer.ts';
import { toBearerResponse } from '../errors/bearer-response.ts';
import {
  type AdapterOptions,
  authorizationOfRaw,
  resolveAuthorizer,
  targetOfUrl,
} from './resolve-authorizer.ts';

/** Hono environment with the `auth` variable this middleware sets. */
export interface HonoAuthEnv {
  Variables: { auth: AuthContext };
}

/**
 * The `Authorization` header(s) of the request. On `@hono/node-server` (which hands the Node request
 * to the app as `c.env.incoming`) they are read from the raw header list directly: no copy of the
 * list, no Fetch `Headers`.
 */
function authorizationOf(c: Context): string | string[] | undefined {
  const raw = (c.env as { incoming?: { rawHeaders?: unknown } } | undefined)?.incoming?.rawHeaders;
  return Array.isArray(raw) ? authorizationOfRaw(raw) : c.req.header('authorization');
}

/** Creates the Hono middleware; `.authorizer` is the core it uses (close it on shutdown). */
export function createHonoMiddleware(
  options: AdapterOptions,
): MiddlewareHandler<HonoAuthEnv> & { readonly authorizer: Authorizer } {
  const authorizer = resolveAuthorizer(options);

  function refusal(result: Extract<AuthorizeResult, { ok: false }>): Response {
    const answer = toBearerResponse(result.error, authorizer);
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }

  // not an async function: a decision made without waiting (the common case) hands the request
  // straight on, so a request through the middleware costs no extra promise of its own
  const middleware: MiddlewareHandler<HonoAuthEnv> = (c, next) => {
    const request: AuthorizeRequest = {
      method: c.req.method,
      path: targetOfUrl(c.req.url),
      authorization: authorizationOf(c),
    };
    const decided = authorizer.authorizeNow(request);
    if (decided === undefined) {
      return authorizer.authorize(request).then(async (result) => {
        if (!result.ok) return refusal(result);
        c.set('auth', result.auth);
        await next();
      });
    }
    if (!decided.ok) return Promise.resolve(refusal(decided));
    c.set('auth', decided.auth);
    // compose awaits this and finds the context finalized by the handlers after us
    return next();
  };
  return Object.assign(middleware, { authorizer });
}
