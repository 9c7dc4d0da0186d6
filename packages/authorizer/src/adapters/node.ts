/**
 * Plain `node:http`: `withAuthorization(options, (req, res) => ...)` is a request listener whose
 * handler only runs for allowed requests, with the caller as `req.auth`; `createNodeMiddleware`
 * is the same check as a function to call from your own listener.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AuthContext, Authorizer } from '../authorizer/create-authorizer.ts';
import { toBearerResponse } from '../errors/bearer-response.ts';
import { type AdapterOptions, resolveAuthorizer } from './resolve-authorizer.ts';

/** A request that passed the authorizer. */
export interface AuthorizedRequest extends IncomingMessage {
  auth: AuthContext;
}

/** Checks a request; answers a refusal itself and resolves null, or resolves the caller. */
export type NodeMiddleware = ((req: IncomingMessage, res: ServerResponse) => Promise<AuthContext | null>) & {
  readonly authorizer: Authorizer;
};

/** Creates the check; `.authorizer` is the core it uses (close it on shutdown). */
export function createNodeMiddleware(options: AdapterOptions): NodeMiddleware {
  const authorizer = resolveAuthorizer(options);
  const check = async (req: IncomingMessage, res: ServerResponse): Promise<AuthContext | null> => {
    const request = { method: req.method, path: req.url, authorization: req.headers.authorization };
    // the common case decides without waiting on a promise
    const result = authorizer.authorizeNow(request) ?? (await authorizer.authorize(request));
    if (!result.ok) {
      const answer = toBearerResponse(result.error, authorizer);
      res.writeHead(answer.status, answer.headers).end(answer.body);
      return null;
    }
    Object.assign(req, { auth: result.auth });
    return result.auth;
  };
  return Object.assign(check, { authorizer });
}

/** Wraps a handler so it runs only for allowed requests, with `req.auth` set. */
export function withAuthorization(
  options: AdapterOptions,
  handler: (req: AuthorizedRequest, res: ServerResponse) => void | Promise<void>,
): RequestListener & { readonly authorizer: Authorizer } {
  const check = createNodeMiddleware(options);
  const listener: RequestListener = (req, res) => {
    check(req, res)
      .then((auth) => {
        if (auth !== null) return handler(Object.assign(req, { auth }), res);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"server_error"}');
      });
  };
  return Object.assign(listener, { authorizer: check.authorizer });
}
