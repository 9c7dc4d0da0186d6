/** The Management API under `/api/v2`: every route, its error shape, and a 404 for unknown routes. */
import { Hono } from 'hono';
import type { AuditRecorder } from '../audit/audit-recorder.ts';
import type { TokenUsageCounter } from '../audit/token-usage-counter.ts';
import type { AppEnv } from '../http/app-env.ts';
import { createManagementErrorResponse, toManagementError } from '../http/error-response.ts';
import { NotFound } from '../http/errors.ts';
import type { SecretHasher } from '../keys/client-secret.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RevocationCheck } from '../revocation/revocation-check.ts';
import type { Store } from '../store/store.ts';
import type { AccessTokenVerifier } from '../token/access-token-verifier.ts';
import { createAudit } from './audit.ts';
import { createBlacklistRoutes } from './blacklist-routes.ts';
import { createClientCredentialRoutes } from './client-credential-routes.ts';
import { createClientGrantRoutes } from './client-grant-routes.ts';
import { createClientRoutes } from './client-routes.ts';
import { createLogRoutes } from './log-routes.ts';
import { managementAudience } from './management-api.ts';
import { createManagementAuth, type ManagementEnv, type SessionBearer } from './management-auth.ts';
import { createResourceServerRoutes } from './resource-server-routes.ts';
import { createSigningKeyRoutes } from './signing-key-routes.ts';
import { createStatsRoutes } from './stats-routes.ts';

/** Dependencies of the Management API. */
export interface ManagementRoutesOptions {
  issuer: string;
  store: Store;
  keyRing: KeyRing;
  hasher: SecretHasher;
  logger: Logger;
  verifier: AccessTokenVerifier;
  revocations: RevocationCheck;
  /** Writes the audit log (audit/audit-recorder.ts). */
  auditRecorder: AuditRecorder;
  /** The token endpoint's usage counters, flushed before `/stats/tokens` answers. */
  usage: TokenUsageCounter;
  /** The admin console's session, accepted in place of a bearer token (admin/console-session.ts). */
  session?: SessionBearer | undefined;
}

/** Creates the Management API routes, mounted at `/api/v2`. */
export function createManagementRoutes(opts: ManagementRoutesOptions): Hono<AppEnv> {
  const { issuer, store, keyRing, hasher, logger, verifier, revocations } = opts;
  const auth = createManagementAuth({
    audience: managementAudience(issuer),
    verifier,
    revocations,
    store,
    session: opts.session,
  });
  const audit = createAudit(opts.auditRecorder);

  const api = new Hono<ManagementEnv>();
  api.onError((err) => {
    const mapped = toManagementError(err);
    if (mapped === undefined || mapped.code === 'service_unavailable') {
      logger.error({ err: describeError(err) }, 'management request failed');
    }
    return createManagementErrorResponse(mapped);
  });
  api.route('/resource-servers', createResourceServerRoutes({ store, keyRing, auth, audit }));
  api.route('/clients', createClientRoutes({ store, hasher, auth, audit }));
  api.route('/clients', createClientCredentialRoutes({ store, auth, audit }));
  api.route('/client-grants', createClientGrantRoutes({ store, auth, audit }));
  api.route('/keys/signing', createSigningKeyRoutes({ keyRing, auth, audit }));
  api.route('/blacklists', createBlacklistRoutes({ store, auth, audit }));
  api.route('/logs', createLogRoutes({ store, auth }));
  api.route('/stats', createStatsRoutes({ store, usage: opts.usage, auth }));
  api.all('*', () => {
    throw new NotFound('inexistent_route', 'Not Found');
  });

  const app = new Hono<AppEnv>();
  app.route('/api/v2', api);
  return app;
}
