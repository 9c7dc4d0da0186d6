/**
 * Serves a Hono app over Node HTTP (@hono/node-server) and closes it cleanly. With a `guard` (the
 * authorizer's connect-style `node:http` check), every request but `GET /healthz` passes it before
 * Hono sees it: a refusal never reaches the app, and an allowed request carries the caller as
 * `req.auth` (`c.env.incoming.auth` in a handler). Guarding at this layer rather than as Hono
 * middleware lets Hono take its one-handler fast path (no compose, no extra promise).
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeGuard, NodeGuardNext } from '@gatehouse/authorizer/node';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import {
  attachClientErrorAnswers,
  attachSecurityHeaders,
  boundConcurrency,
  serverOptions,
} from './http-guard.ts';

/** A listening contacts server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:4001` (no trailing slash). */
  url: string;
  port: number;
  /** Stops accepting, ends idle keep-alive connections and resolves when the server closed. */
  close(): Promise<void>;
}

/** Options of `startServer`. */
export interface StartServerOptions {
  port: number;
  host: string;
  /** Checks every request but `/healthz` before the app; leave out only where the app guards itself. */
  guard?: NodeGuard;
}

/** `GET /healthz` (or HEAD), with or without a query: the one request no token is asked for. */
function isHealthCheck(method: string | undefined, url: string | undefined): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return url === '/healthz' || url?.startsWith('/healthz?') === true;
}

/** Puts `guard` in front of `listener`. */
function guarded(guard: NodeGuard, listener: RequestListener): RequestListener {
  const next: NodeGuardNext = (auth, req, res) => {
    (req as IncomingMessage & { auth?: unknown }).auth = auth;
    listener(req, res);
  };
  return (req, res) => {
    if (isHealthCheck(req.method, req.url)) listener(req, res);
    else guard(req, res, next);
  };
}

/** Listens on `host:port` (port 0 picks a free one). */
export function startServer(app: Hono, options: StartServerOptions): Promise<RunningServer> {
  const guard = options.guard;
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: boundConcurrency((req, env) => app.fetch(req, env)),
        port: options.port,
        hostname: options.host,
        serverOptions: serverOptions(),
        ...(guard
          ? {
              createServer: ((opts: ServerOptions, listener: RequestListener) =>
                createServer(opts, guarded(guard, listener))) as typeof createServer,
            }
          : {}),
      },
      (info: AddressInfo) => {
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${host}:${info.port}`,
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              const http = server as Server;
              http.close(() => done());
              http.closeIdleConnections();
              // In-flight requests get a moment to finish; then the rest are cut.
              setTimeout(() => http.closeAllConnections(), 2_000).unref();
            }),
        });
      },
    );
    attachSecurityHeaders(server);
    attachClientErrorAnswers(server);
    server.once('error', reject);
  });
}
