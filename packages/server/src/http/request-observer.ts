/**
 * The one middleware every request passes: security headers, the latency histogram and one log
 * line per request. The line names the route template, never the raw path's query or the body.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../observability/logger.ts';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { AppEnv } from './app-env.ts';
import { applySecurityHeaders } from './security-headers.ts';

/** Options of `createRequestObserver`. */
export interface RequestObserverOptions {
  logger: Logger;
  metrics: ServerMetrics;
}

/** Creates the request observer. */
export function createRequestObserver(opts: RequestObserverOptions): MiddlewareHandler<AppEnv> {
  const { logger, metrics } = opts;

  return async (c, next) => {
    const start = performance.now();
    await next();
    const seconds = (performance.now() - start) / 1000;
    const res = c.res;
    applySecurityHeaders(res);
    const matched = matchedRoutes(c)[c.req.routeIndex];
    const route = matched !== undefined && matched.method !== 'ALL' ? matched.path : 'unmatched';
    const status = res.status;
    metrics.requestDuration.observe({ route, method: c.req.method, status }, seconds);
    logger.info(
      {
        method: c.req.method,
        route,
        status,
        duration_ms: Math.round(seconds * 100_000) / 100,
        client_id: c.get('clientId'),
      },
      'request',
    );
  };
}
