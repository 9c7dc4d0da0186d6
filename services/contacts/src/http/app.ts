/**
 * The contacts HTTP API as a Hono app. Every path but `/healthz` sits behind the authorizer's Hono
 * middleware with `CONTACTS_ROUTE_POLICY` (a path no route matches is refused there). The app holds no secret and no key.
 */
import type { Authorizer } from '@gatehouse/authorizer';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { ApiRequest, ApiResponse } from '../api/api-request.ts';
import { createContactsApi, problemResponse, type ServerErrorListener } from '../api/contacts-api.ts';
import type { ContactsServiceOptions } from '../contacts/contacts-service.ts';
import { MethodNotAllowedError, RouteNotFoundError } from '../problems/errors.ts';
import type { ContactStore } from '../store/contact-store.ts';
import { type ContactsAuthorizationOptions, createContactsAuthorization } from './authorization.ts';
import { readBoundedBody } from './read-bounded-body.ts';

/** Minimal logger the app writes server errors to (pino fits). */
export interface ContactsLogger {
  error(object: object, message: string): void;
}

/** Options of `createContactsApp`. */
export interface ContactsAppOptions {
  store: ContactStore;
  /**
   * What guards every path but `/healthz`, with `CONTACTS_ROUTE_POLICY`: verifier options (`{ issuer, audience }`),
   * an `Authorizer` from `@gatehouse/authorizer` (whose owner closes it), any Hono middleware, or
   * `'server'` when the Node server in front guards every path but `/healthz` (`startServer`'s `guard`: what
   * `gatehouse-contacts serve` does, and the fastest), or `false` for no authorization at all, which must be
   * said explicitly (tests and benchmarks).
   */
  auth: ContactsAuthorizationOptions | Authorizer | MiddlewareHandler | 'server' | false;
  logger?: ContactsLogger;
  now?: ContactsServiceOptions['now'];
  newId?: ContactsServiceOptions['newId'];
}

/** Creates the Hono app of the contacts service. */
export function createContactsApp(options: ContactsAppOptions): Hono {
  const logger = options.logger;
  const onServerError: ServerErrorListener = (error, request) => {
    logger?.error({ err: error, method: request.method, path: request.path }, 'contacts request failed');
  };
  const api = createContactsApi({
    store: options.store,
    onServerError,
    ...(options.now ? { now: options.now } : {}),
    ...(options.newId ? { newId: options.newId } : {}),
  });
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  if (options.auth !== false && options.auth !== 'server') {
    const guard =
      typeof options.auth === 'function'
        ? options.auth
        : createContactsAuthorization(options.auth).middleware;
    // Everything but /healthz (answered above) passes the authorizer: unmatched routes are denied.
    app.use('*', guard);
  }

  app.get('/contacts', (c) => send(api.list(toApiRequest(c))));
  app.post('/contacts', (c) => send(api.create(toApiRequest(c))));
  app.get('/contacts/:id', (c) => send(api.get(toApiRequest(c, c.req.param('id')))));
  app.put('/contacts/:id', (c) => send(api.replace(toApiRequest(c, c.req.param('id')))));
  app.delete('/contacts/:id', (c) => send(api.delete(toApiRequest(c, c.req.param('id')))));

  // 405 for a known path with another method, answered from notFound rather than by `app.all`
  // routes: then a request matches exactly one handler, and Hono takes its fast path (no compose)
  app.notFound((c) => {
    const path = c.req.path;
    const error =
      path === '/contacts'
        ? new MethodNotAllowedError(['GET', 'POST'])
        : ONE_CONTACT.test(path)
          ? new MethodNotAllowedError(['GET', 'PUT', 'DELETE'])
          : new RouteNotFoundError();
    return toResponse(problemResponse(error, toApiRequest(c), onServerError));
  });
  app.onError((error, c) => toResponse(problemResponse(error, toApiRequest(c), onServerError)));

  return app;
}

/** `/contacts/{id}`: the path `app.get('/contacts/:id')` matches. */
const ONE_CONTACT = /^\/contacts\/[^/]+$/;

async function send(response: Promise<ApiResponse>): Promise<Response> {
  return toResponse(await response);
}

function toResponse(r: ApiResponse): Response {
  return new Response(r.body, { status: r.status, headers: r.headers });
}

function toApiRequest(c: Context, id?: string): ApiRequest {
  return {
    method: c.req.method,
    path: c.req.path,
    ...(id === undefined ? {} : { id }),
    query: (name) => c.req.queries(name) ?? [],
    header: (name) => c.req.header(name),
    body: (maxBytes) => readBoundedBody(c.req.raw, maxBytes),
  };
}
