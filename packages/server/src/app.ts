/**
 * The authorization server as one runtime-agnostic Hono app: `app.fetch(request)` answers every
 * endpoint. Runtime adapters stay thin: `serve.ts` (Node HTTP) now, an AWS Lambda handler later
 * (`hono/aws-lambda`'s `handle(createApp(deps))`); neither adds behaviour.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { createConsoleAssets, defaultConsoleDir } from './admin/console-assets.ts';
import { type ConsoleAudit, createConsoleRoutes } from './admin/console-routes.ts';
import { createConsoleSessions } from './admin/console-session.ts';
import { createSessionSealer } from './admin/session-seal.ts';
import { type AuditRecorder, createAuditRecorder } from './audit/audit-recorder.ts';
import { createTokenUsageCounter, type TokenUsageCounter } from './audit/token-usage-counter.ts';
import type { LimitsConfig } from './config.ts';
import { createDiscoveryRoutes } from './discovery/discovery-routes.ts';
import { createFederatedAssertionVerifier } from './federation/federated-assertion-verifier.ts';
import { createFeedRoutes } from './feeds/feed-routes.ts';
import type { AppEnv } from './http/app-env.ts';
import { createOAuthMethodNotAllowedResponse, createPlainErrorResponse } from './http/error-response.ts';
import { createRequestObserver } from './http/request-observer.ts';
import type { SecretHasher } from './keys/client-secret.ts';
import type { KeyRing } from './keys/key-ring.ts';
import type { AuthLimiter } from './limits/auth-limiter.ts';
import { createHttpLimits } from './limits/http-limits.ts';
import { createManagementRoutes } from './management/management-routes.ts';
import { describeError } from './observability/describe-error.ts';
import { createHealthRoutes } from './observability/health-routes.ts';
import type { Logger } from './observability/logger.ts';
import type { ServerMetrics } from './observability/metrics.ts';
import { createOpenApiRoutes } from './openapi/openapi-routes.ts';
import { createIntrospectionRoutes } from './revocation/introspection-routes.ts';
import { createRevocationCheck } from './revocation/revocation-check.ts';
import { createRevocationRoutes } from './revocation/revocation-routes.ts';
import type { Store } from './store/store.ts';
import { createAccessTokenIssuer } from './token/access-token-issuer.ts';
import { createAccessTokenVerifier } from './token/access-token-verifier.ts';
import { createClientAssertionVerifier } from './token/client-assertion.ts';
import { createClientAuthenticator } from './token/client-authentication.ts';
import { createJwtSigner, type JwtSigner } from './token/jwt-signer.ts';
import { createTokenEndpoint, type TokenEndpoint } from './token/token-endpoint.ts';
import { createTokenReadCache } from './token/token-read-cache.ts';
import { createTokenRoutes } from './token/token-routes.ts';

/** Everything the app needs; built by `serve.ts` (or a Lambda handler) from the configuration. */
export interface AppDeps {
  /** Issuer identifier, ending in `/`. */
  issuer: string;
  /** API used when a token request names none. */
  defaultAudience?: string | undefined;
  store: Store;
  keyRing: KeyRing;
  hasher: SecretHasher;
  logger: Logger;
  metrics: ServerMetrics;
  /** `GATEHOUSE_SYNC_SECONDS`: how long feed answers may be cached (default 10). */
  syncSeconds?: number;
  /** The admin console at `/admin` (admin/console-routes.ts). */
  console?: ConsoleDeps | undefined;
  /** Lockout, request rates and CORS (`config.limits`); default: lockout on, the rest off. */
  limits?: LimitsConfig | undefined;
  /** Failed-authentication limiter with shared counters (serve.ts); default: in-memory. Also for the console sign-in. */
  authLimiter?: AuthLimiter | undefined;
  /** Signs access tokens; default `createJwtSigner('at+jwt')` (local keys). AWS KMS signing passes its own (`keys/kms-signing.ts`). */
  jwtSigner?: JwtSigner | undefined;
  /** Audit log and token usage counters (audit/); default: over `store`, 90 days' retention, the counter flushing itself each minute. */
  audit?: AuditDeps | undefined;
}

/** The audit log's writer and the token endpoint's usage counters (serve.ts flushes and prunes them). */
export interface AuditDeps {
  recorder: AuditRecorder;
  usage: TokenUsageCounter;
}

/** Default retention of audit events and usage counters: 90 days (GATEHOUSE_AUDIT_RETENTION_DAYS). */
const DEFAULT_AUDIT_RETENTION_MS = 90 * 86_400_000;

/** The admin console's settings (`/admin`). */
export interface ConsoleDeps {
  /**
   * 32 bytes sealing console sessions: `kek.deriveKey('console-session')`, so instances sharing the
   * KEK share sessions. Default: random per process (sessions then end with the process).
   */
  sessionKey?: Buffer | undefined;
  /** Idle timeout in seconds (default 900). */
  idleSeconds?: number | undefined;
  /** Absolute timeout in seconds (default 28800; the Management API token's lifetime ends a session sooner). */
  sessionSeconds?: number | undefined;
  /** The built console (default: `@gatehouse/console`'s `dist`). */
  assetsDir?: string | undefined;
  /** Records console sign-ins and sign-outs in the audit log. */
  audit?: ConsoleAudit | undefined;
}

/** The app, and what a runtime adapter may serve without it (serve.ts: the lean token route). */
export interface AppParts {
  app: Hono<AppEnv>;
  /** The token endpoint behind the app's `POST /oauth/token` route. */
  tokenEndpoint: TokenEndpoint;
  /** Whether CORS is configured (then every request must pass the app's CORS middleware). */
  cors: boolean;
}

/** Creates the app serving every endpoint of the authorization server. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  return createAppParts(deps).app;
}

/** Creates the app, and hands out its token endpoint for a runtime adapter's fast path. */
export function createAppParts(deps: AppDeps): AppParts {
  const { issuer, store, keyRing, hasher, logger, metrics } = deps;
  const app = new Hono<AppEnv>();

  app.use(createRequestObserver({ logger, metrics }));
  const limits = createHttpLimits({ config: deps.limits, authLimiter: deps.authLimiter, logger });
  if (limits.cors !== undefined) app.use(limits.cors);
  app.use('/oauth/*', limits.sourceAddress);
  const verifier = createAccessTokenVerifier({ issuer, keyRing });
  const auditRecorder =
    deps.audit?.recorder ??
    createAuditRecorder({
      store,
      logger,
      retentionMs: DEFAULT_AUDIT_RETENTION_MS,
      trustProxyHops: deps.limits?.trustProxyHops ?? 0,
    });
  // Without serve.ts's timer (a Lambda handler), the counter flushes itself at most once a minute.
  const usage =
    deps.audit?.usage ??
    createTokenUsageCounter({ store, logger, retentionMs: DEFAULT_AUDIT_RETENTION_MS, autoFlushMs: 60_000 });
  const revocations = createRevocationCheck(store);
  const authenticator = limits.protect(
    createClientAuthenticator({
      store,
      hasher,
      assertions: createClientAssertionVerifier({ store, issuer }),
      federation: createFederatedAssertionVerifier({ store, logger, audit: auditRecorder }),
    }),
  );
  const tokenEndpoint = createTokenEndpoint({
    endpoint: `${issuer}oauth/token`,
    authenticator,
    issuer: createAccessTokenIssuer({
      store,
      keyRing,
      jwtSigner: deps.jwtSigner ?? createJwtSigner('at+jwt'),
      issuer,
      defaultAudience: deps.defaultAudience,
    }),
    metrics,
    logger,
    usage,
    reads: createTokenReadCache(store),
  });
  app.route('/', createTokenRoutes(tokenEndpoint));
  app.route(
    '/',
    createRevocationRoutes({ endpoint: `${issuer}oauth/revoke`, authenticator, verifier, store, logger }),
  );
  app.route(
    '/',
    createIntrospectionRoutes({
      endpoint: `${issuer}oauth/introspect`,
      authenticator,
      verifier,
      revocations,
      store,
      logger,
    }),
  );
  app.route('/', createFeedRoutes({ store, syncSeconds: deps.syncSeconds ?? 10 }));
  app.route('/', createDiscoveryRoutes({ issuer, keyRing }));
  const consoleSessions = createConsoleSessions({
    issuer,
    sealer: createSessionSealer(deps.console?.sessionKey ?? randomBytes(32)),
    idleSeconds: deps.console?.idleSeconds ?? 900,
    absoluteSeconds: deps.console?.sessionSeconds ?? 28_800,
  });
  app.route(
    '/',
    createManagementRoutes({
      issuer,
      store,
      keyRing,
      hasher,
      logger,
      verifier,
      revocations,
      session: consoleSessions,
      auditRecorder,
      usage,
    }),
  );
  app.route(
    '/',
    createConsoleRoutes({
      issuer,
      store,
      sessions: consoleSessions,
      verifier,
      revocations,
      assets: createConsoleAssets(deps.console?.assetsDir ?? defaultConsoleDir()),
      logger,
      tokenEndpoint: (req, env) => app.fetch(req, env),
      audit: deps.console?.audit ?? auditRecorder,
    }),
  );
  app.route('/', createHealthRoutes({ store, metrics, logger }));
  app.route('/', createOpenApiRoutes({ issuer }));

  // Other methods on the OAuth endpoints: 405 in the OAuth shape (the token route answers its own).
  app.on(
    ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    ['/oauth/revoke', '/oauth/introspect', '/oauth/token'],
    () => createOAuthMethodNotAllowedResponse(),
  );
  app.notFound(() => createPlainErrorResponse(404, 'Not Found'));
  app.onError((err) => {
    logger.error({ err: describeError(err) }, 'unhandled error');
    return createPlainErrorResponse(500, 'Internal error');
  });
  return { app, tokenEndpoint, cors: limits.cors !== undefined };
}
