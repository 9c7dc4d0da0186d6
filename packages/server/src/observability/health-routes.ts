/** `/healthz` (store reachable?) and `/metrics` (Prometheus text format). */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { createSecuredResponse, withSecurityHeaders } from '../http/security-headers.ts';
import type { Store } from '../store/store.ts';
import { describeError } from './describe-error.ts';
import type { Logger } from './logger.ts';
import type { ServerMetrics } from './metrics.ts';

const NO_STORE = withSecurityHeaders({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });

/** Creates the health and metrics routes. */
export function createHealthRoutes(opts: {
  store: Store;
  metrics: ServerMetrics;
  logger: Logger;
}): Hono<AppEnv> {
  const { store, metrics, logger } = opts;
  const app = new Hono<AppEnv>();

  app.get('/healthz', async () => {
    try {
      await store.ping();
      return createSecuredResponse('{"status":"ok"}', 200, NO_STORE);
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'health check failed: store unreachable');
      return createSecuredResponse(
        '{"status":"unavailable","checks":{"store":"unreachable"}}',
        503,
        NO_STORE,
      );
    }
  });

  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, {
      'Content-Type': metrics.registry.contentType,
      'Cache-Control': 'no-store',
    }),
  );
  return app;
}
