/**
 * `startServer`: the Node runtime adapter. Opens the store, loads the key-encryption key, prepares
 * keys and the bootstrap admin, and serves `createApp` over node:http with @hono/node-server, the
 * token endpoint's plain requests on node:http directly (http/node-token-route.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { DestinationStream } from 'pino';
import { createAppParts } from './app.ts';
import { startAuditMaintenance } from './audit/audit-maintenance.ts';
import { createAuditRecorder } from './audit/audit-recorder.ts';
import { createTokenUsageCounter } from './audit/token-usage-counter.ts';
import { type AdminCredentials, bootstrapServer } from './bootstrap.ts';
import type { ServerConfig } from './config.ts';
import { createNodeTokenRoute, type NodeTokenRoute } from './http/node-token-route.ts';
import { createSecretHasher } from './keys/client-secret.ts';
import { startKeyMaintenance } from './keys/key-maintenance.ts';
import { openConfiguredKek, openSigning } from './keys/kms-signing.ts';
import { type AuthLimiter, createAuthLimiter } from './limits/auth-limiter.ts';
import { logLockout } from './limits/http-limits.ts';
import { openFailureCounters } from './limits/open-failure-counters.ts';
import { createServerGuard } from './limits/server-guard.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { openStore as openConfiguredStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

/** File name of the SQLite database inside the data directory. */
export { SQLITE_FILE_NAME } from './store/open-store.ts';

/** How long `close()` lets requests in flight finish before cutting connections. */
const DRAIN_TIMEOUT_MS = 5000;

/** Options of `startServer`. */
export interface StartServerOptions {
  /** Where log lines go (default standard output); tests pass a capturing stream. */
  logDestination?: DestinationStream;
  /** A ready logger, instead of one built from the configuration. */
  logger?: Logger;
}

/** A running server. */
export interface RunningServer {
  /** Base URL to reach it, e.g. `http://127.0.0.1:4000` (no trailing slash). */
  url: string;
  /** Issuer identifier (ends in `/`). */
  issuer: string;
  /** Present when the environment named the admin client, or this start generated it (then show it once). */
  adminCredentials?: AdminCredentials;
  /** Stops accepting connections, drains requests in flight, closes the store. */
  close(): Promise<void>;
}

/** Raised when the server cannot listen (port in use, address not available). */
export class ServerStartError extends Error {
  readonly code = 'ERR_SERVER_START';
  constructor(message: string) {
    super(message);
    this.name = 'ServerStartError';
  }
}

/** Starts the authorization server. */
export async function startServer(
  config: ServerConfig,
  opts: StartServerOptions = {},
): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, destination: opts.logDestination });

  // Listen first: with port 0 the issuer depends on the port the OS picks. Until the app is ready,
  // requests get a 503.
  let handler: ((req: Request, env: unknown) => Response | Promise<Response>) | undefined;
  // Concurrency bound, timeouts, header size and HSTS: limits/server-guard.ts.
  const guard = createServerGuard({ limits: config.limits, issuer: config.issuer });
  const appListener = getRequestListener(
    guard.wrap((req, env) => (handler ? handler(req, env) : guard.starting())),
    { hostname: config.host },
  );
  // Set with the app: plain token requests, answered by the app's own token endpoint without the
  // Fetch adapter and Hono (bench/token.bench.ts), within the same concurrency bound.
  let tokenRoute: NodeTokenRoute | undefined;
  const server = createServer(guard.serverOptions, (req, res) => {
    if (tokenRoute !== undefined && guard.enter()) {
      const taken = tokenRoute.handle(req, res, (outcome) => {
        guard.leave();
        if (outcome === 'to-app') void appListener(req, res);
      });
      if (taken) return;
      guard.leave();
    }
    void appListener(req, res);
  });
  guard.attach(server);
  const address = await listen(server, config.port, config.host);
  const host = urlHost(config.host);
  const url = `http://${host}:${address.port}`;
  const issuer =
    config.issuerExplicit || config.port !== 0 ? config.issuer : `http://127.0.0.1:${address.port}/`;

  let store: Store | undefined;
  let limiter: AuthLimiter | undefined;
  try {
    store = await openConfiguredStore(config, (err) =>
      logger.warn({ err: err.message }, 'store connection error'),
    );
    await store.migrate();
    const kek = await openConfiguredKek({
      dataDir: config.dataDir,
      kekEnv: config.kek,
      kmsKek: config.kmsKek,
    });
    const { keyRing, jwtSigner } = await openSigning({
      signing: config.signing,
      store,
      kek,
      logger,
      syncIntervalMs: config.syncSeconds * 1000,
    });
    const hasher = createSecretHasher(kek.deriveKey('client-secret'));
    const authLimiter = createAuthLimiter({
      counters: await openFailureCounters(config, (err) =>
        logger.warn({ err: err.message }, 'lockout store error'),
      ),
      policy: config.limits.lockout,
      onLockout: logLockout(logger),
      onStoreError: (err) =>
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'lockout store error'),
    });
    limiter = authLimiter;
    const adminCredentials = await bootstrapServer({
      issuer,
      store,
      keyRing,
      hasher,
      logger,
      admin: config.admin,
    });
    const retentionMs = config.auditRetentionDays * 86_400_000;
    const metrics = createMetrics();
    const audit = {
      recorder: createAuditRecorder({
        store,
        logger,
        retentionMs,
        trustProxyHops: config.limits.trustProxyHops,
      }),
      usage: createTokenUsageCounter({ store, logger, retentionMs }),
    };
    const { app, tokenEndpoint, cors } = createAppParts({
      issuer,
      defaultAudience: config.defaultAudience,
      store,
      keyRing,
      hasher,
      logger,
      metrics,
      syncSeconds: config.syncSeconds,
      console: {
        sessionKey: kek.deriveKey('console-session'),
        idleSeconds: config.console.idleSeconds,
        sessionSeconds: config.console.sessionSeconds,
      },
      jwtSigner,
      limits: config.limits,
      authLimiter,
      audit,
    });
    // Locks other instances set reach this one at the latest one sync interval later.
    const lockSync = setInterval(() => void authLimiter.syncLocks(), config.syncSeconds * 1000);
    lockSync.unref();
    const maintenance = startKeyMaintenance({
      keyRing,
      store,
      logger,
      intervalMs: config.syncSeconds * 1000,
      rotationMs: Math.round(config.keyRotationDays * 86_400_000),
    });
    // A first round before serving: every algorithm in use has its `next` key published from the start.
    await maintenance.runOnce();
    const auditMaintenance = startAuditMaintenance({ store, usage: audit.usage, logger });
    handler = (req, env) => app.fetch(req, env);
    // With CORS configured every request passes the app's CORS middleware.
    if (!cors) {
      tokenRoute = createNodeTokenRoute({
        endpoint: tokenEndpoint,
        metrics,
        logger,
        trustProxyHops: config.limits.trustProxyHops,
      });
    }
    logger.info({ url, issuer, data_dir: config.dataDir, store: config.store }, 'gatehouse listening');

    const openStore = store;
    let closing: Promise<void> | undefined;
    return {
      url,
      issuer,
      ...(adminCredentials !== undefined ? { adminCredentials } : {}),
      close() {
        closing ??= (async () => {
          await drain(server);
          clearInterval(lockSync);
          await maintenance.stop();
          await auditMaintenance.stop();
          await authLimiter.close();
          await openStore.close();
          logger.info('gatehouse stopped');
          logger.flush();
        })();
        return closing;
      },
    };
  } catch (err) {
    await drain(server);
    await limiter?.close().catch(() => {});
    await store?.close().catch(() => {});
    throw err;
  }
}

type NodeServer = Server;

function listen(server: NodeServer, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === 'EADDRINUSE'
          ? 'the address is already in use (set GATEHOUSE_PORT)'
          : err.code === 'EADDRNOTAVAIL'
            ? 'the address is not available on this machine (set GATEHOUSE_HOST)'
            : err.code === 'EACCES'
              ? 'permission denied (ports below 1024 need privileges)'
              : err.message;
      reject(new ServerStartError(`cannot listen on ${host}:${port}: ${reason}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting, lets requests in flight finish (bounded), then cuts what is left. */
function drain(server: NodeServer): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const http = server;
    const timer = setTimeout(() => http.closeAllConnections?.(), DRAIN_TIMEOUT_MS);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    http.closeIdleConnections?.();
  });
}

/** The host part of a URL that reaches a server listening on `host`. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
