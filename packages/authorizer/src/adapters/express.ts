/**
 * Express middleware: `app.use(createExpressMiddleware({ issuer, audience, policy }))`; handlers
 * read the caller as `req.auth`. The path judged is `req.originalUrl`, so mount points do not
 * matter. Refusals are answered here (RFC 6750) and never reach the handler.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthContext, AuthorizeResult, Authorizer } from '../authorizer/create-authorizer.ts';
import { toBearerResponse } from '../errors/bearer-response.ts';
import { type AdapterOptions, authorizationOfRaw, resolveAuthorizer } from './resolve-authorizer.ts';

declare global {
  namespace Express {
    interface Request {
      /** The verified caller, set by gatehouse's authorizer middleware. */
      auth?: AuthContext;
    }
  }
}

/** Creates the Express middleware; `.authorizer` is the core it uses (close it on shutdown). */
export function createExpressMiddleware(
  options: AdapterOptions,
): RequestHandler & { readonly authorizer: Authorizer } {
  const authorizer = resolveAuthorizer(options);
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const request = {
      method: req.method,
      path: req.originalUrl,
      authorization: authorizationOfRaw(req.rawHeaders),
    };
    const finish = (result: AuthorizeResult): void => {
      if (!result.ok) {
        const answer = toBearerResponse(result.error, authorizer);
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      req.auth = result.auth;
      next();
    };
    // the common case decides without waiting: no promise, the next handler runs in this tick
    const decided = authorizer.authorizeNow(request);
    if (decided !== undefined) finish(decided);
    else authorizer.authorize(request).then(finish, next);
  };
  return Object.assign(middleware, { authorizer });
}
