/**
 * The authorization server as one runtime-agnostic Hono app: `app.fetch(request)` answers every
 * endpoint. Runtime adapters stay thin: `serve.ts` (Node HTTP) now, an AWS Lambda handler later
 * (`hono/aws-lambda`'s `handle(createApp(deps))`); neither adds behaviour.
 */
import { Hono } from 'hono';
import { createDiscoveryRoutes } from './discovery/discovery-routes.ts';
import { createFeedRoutes } from './feeds/feed-routes.ts';
import type { AppEnv } from './http/app-env.ts';
import { createPlainErrorResponse } from './http/error-response.ts';
import { createRequestObserver } from './http/request-observer.ts';
import type { SecretHasher } from './keys/client-secret.ts';
import type { KeyRing } from './keys/key-ring.ts';
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
import { createJwtSigner } from './token/jwt-signer.ts';
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
}

/** Creates the app serving every endpoint of the authorization server. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { issuer, store, keyRing, hasher, logger, metrics } = deps;
  const app = new Hono<AppEnv>();

  app.use(createRequestObserver({ logger, metrics }));
  const verifier = createAccessTokenVerifier({ issuer, keyRing });
  const revocations = createRevocationCheck(store);
  const authenticator = createClientAuthenticator({
    store,
    hasher,
    assertions: createClientAssertionVerifier({ store, issuer }),
  });
  app.route(
    '/',
    createTokenRoutes({
      endpoint: `${issuer}oauth/token`,
      authenticator,
      issuer: createAccessTokenIssuer({
        store,
        keyRing,
        jwtSigner: createJwtSigner('at+jwt'),
        issuer,
        defaultAudience: deps.defaultAudience,
      }),
      metrics,
      logger,
    }),
  );
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
  app.route('/', createManagementRoutes({ issuer, store, keyRing, hasher, logger, verifier, revocations }));
  app.route('/', createHealthRoutes({ store, metrics, logger }));
  app.route('/', createOpenApiRoutes({ issuer }));

  app.notFound(() => createPlainErrorResponse(404, 'Not Found'));
  app.onError((err) => {
    logger.error({ err: describeError(err) }, 'unhandled error');
    return createPlainErrorResponse(500, 'Internal error');
  });
  return app;
}
