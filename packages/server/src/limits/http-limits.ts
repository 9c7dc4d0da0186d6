/**
 * The limits `createApp` installs, assembled from the configuration in one place: the source
 * address of `/oauth/*` callers, lockout around client authentication, optional request rates,
 * and CORS (closed unless origins are configured).
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { LimitsConfig } from '../config.ts';
import type { AppEnv } from '../http/app-env.ts';
import type { Logger } from '../observability/logger.ts';
import type { ClientAuthenticator } from '../token/client-authentication.ts';
import { type AuthLimiter, createAuthLimiter, DEFAULT_LOCKOUT_POLICY } from './auth-limiter.ts';
import { limitClientAuthentication } from './limited-authenticator.ts';
import { createMemoryFailureCounters } from './memory-failure-counters.ts';
import { createRequestRate } from './request-rate.ts';
import { createSourceAddressMiddleware } from './source-address.ts';

/** What `createApp` installs. */
export interface HttpLimits {
  authLimiter: AuthLimiter;
  /** Sets `c.var.sourceAddress`; mount on `/oauth/*` (and the console's sign-in). */
  sourceAddress: MiddlewareHandler<AppEnv>;
  /** CORS for the configured origins; undefined when none is (then no CORS header is ever sent). */
  cors: MiddlewareHandler<AppEnv> | undefined;
  /** Wraps the client authenticator with lockout and request-rate limits. */
  protect(authenticator: ClientAuthenticator): ClientAuthenticator;
}

/** Options of `createHttpLimits`. */
export interface HttpLimitsOptions {
  config?: LimitsConfig | undefined;
  /** A limiter with shared counters (serve.ts); default: in-memory counters. */
  authLimiter?: AuthLimiter | undefined;
  logger: Logger;
}

/** Builds the limits from the configuration (defaults where absent). */
export function createHttpLimits(opts: HttpLimitsOptions): HttpLimits {
  const { config, logger } = opts;
  const authLimiter =
    opts.authLimiter ??
    createAuthLimiter({
      counters: createMemoryFailureCounters(),
      policy: config?.lockout ?? DEFAULT_LOCKOUT_POLICY,
      onLockout: logLockout(logger),
    });
  const rates = {
    perClient: config?.ratePerClient ? createRequestRate(config.ratePerClient) : undefined,
    perAddress: config?.ratePerAddress ? createRequestRate(config.ratePerAddress) : undefined,
  };
  const origins = new Set(config?.corsOrigins ?? []);
  return {
    authLimiter,
    sourceAddress: createSourceAddressMiddleware(config?.trustProxyHops ?? 0),
    cors:
      origins.size === 0
        ? undefined
        : cors({
            origin: (origin) => (origins.has(origin) ? origin : null),
            allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
            allowHeaders: ['Authorization', 'Content-Type', 'If-None-Match'],
            exposeHeaders: ['ETag', 'Retry-After', 'WWW-Authenticate'],
            maxAge: 600,
          }),
    protect: (authenticator) => limitClientAuthentication(authenticator, authLimiter, rates),
  };
}

/** Logs each lock as it starts (an audit event: who, from where, for how long). */
export function logLockout(logger: Logger) {
  const log = logger.child({ audit: true });
  return (e: { kind: string; clientId: string | undefined; address: string | undefined; seconds: number }) =>
    log.warn(
      { event: 'auth.lockout', kind: e.kind, client_id: e.clientId, address: e.address, seconds: e.seconds },
      e.kind === 'client' ? 'client under attack: one failure now locks an address out' : 'auth.lockout',
    );
}
