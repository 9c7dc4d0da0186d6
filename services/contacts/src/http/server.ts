/** Serves a Hono app over Node HTTP (@hono/node-server) and closes it cleanly. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Listens on `host:port` (port 0 picks a free one). */
export function startServer(app: Hono, options: { port: number; host: string }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: boundConcurrency((req, env) => app.fetch(req, env)),
        port: options.port,
        hostname: options.host,
        serverOptions: serverOptions(),
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
