/**
 * Plain `node:http`: `withAuthorization(options, (req, res) => ...)` is a request listener whose
 * handler only runs for allowed requests, with the caller as `req.auth`; `createNodeMiddleware`
 * is the same check as a function to call from your own listener.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type {
  AuthContext,
  AuthorizeRequest,
  AuthorizeResult,
  Authorizer,
} from '../authorizer/create-authorizer.ts';
import { toBearerResponse } from '../errors/bearer-response.ts';
import { type AdapterOptions, authorizationOfRaw, resolveAuthorizer } from './resolve-authorizer.ts';

/** A request that passed the authorizer. */
export interface AuthorizedRequest extends IncomingMessage {
  auth: AuthContext;
}

/** Checks a request; answers a refusal itself and resolves null, or resolves the caller. */
export type NodeMiddleware = ((req: IncomingMessage, res: ServerResponse) => Promise<AuthContext | null>) & {
  readonly authorizer: Authorizer;
};

/** What the authorizer is asked about a Node request. */
function requestOf(req: IncomingMessage): AuthorizeRequest {
  return { method: req.method, path: req.url, authorization: authorizationOfRaw(req.rawHeaders) };
}

type Refusal = Extract<AuthorizeResult, { ok: false }>;

/** Answers a refusal (RFC 6750 status, challenge and body). */
function refuse(res: ServerResponse, result: Refusal, authorizer: Authorizer): void {
  const answer = toBearerResponse(result.error, authorizer);
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** Creates the check; `.authorizer` is the core it uses (close it on shutdown). */
export function createNodeMiddleware(options: AdapterOptions): NodeMiddleware {
  const authorizer = resolveAuthorizer(options);
  const check = async (req: IncomingMessage, res: ServerResponse): Promise<AuthContext | null> => {
    const request = requestOf(req);
    // the common case decides without waiting on a promise
    const result = authorizer.authorizeNow(request) ?? (await authorizer.authorize(request));
    if (!result.ok) {
      refuse(res, result, authorizer);
      return null;
    }
    Object.assign(req, { auth: result.auth });
    return result.auth;
  };
  return Object.assign(check, { authorizer });
}

/**
 * Called for an allowed request with the caller; `req` and `res` are handed back so one `next`
 * created up front serves every request (no closure per request).
 */
export type NodeGuardNext = (auth: AuthContext, req: IncomingMessage, res: ServerResponse) => void;

/**
 * Checks a request connect-style: allowed requests go on to `next(auth, req, res)`, called
 * synchronously when the decision needs no wait (a token seen before, keys at hand), so the common
 * case costs no promise; refusals are answered here (RFC 6750) and never reach `next`.
 */
export type NodeGuard = ((req: IncomingMessage, res: ServerResponse, next: NodeGuardNext) => void) & {
  readonly authorizer: Authorizer;
};

/** Creates the connect-style check; `.authorizer` is the core it uses (close it on shutdown). */
export function createNodeGuard(options: AdapterOptions): NodeGuard {
  const authorizer = resolveAuthorizer(options);
  const guard = (req: IncomingMessage, res: ServerResponse, next: NodeGuardNext): void => {
    const request = requestOf(req);
    const decided = authorizer.authorizeNow(request);
    if (decided !== undefined) {
      if (decided.ok) next(decided.auth, req, res);
      else refuse(res, decided, authorizer);
      return;
    }
    authorizer.authorize(request).then(
      (result) => (result.ok ? next(result.auth, req, res) : refuse(res, result, authorizer)),
      () => {
        // authorize answers refusals as results; a throw here is a defect, and still never an allow
        if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end('{"error":"temporarily_unavailable"}');
      },
    );
  };
  return Object.assign(guard, { authorizer });
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
