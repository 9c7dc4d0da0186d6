/**
 * Prometheus metrics (prom-client). Each server instance owns its registry, so several servers in
 * one process (tests) never clash.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The metrics the server records. */
export interface ServerMetrics {
  registry: Registry;
  tokensIssued: Counter<'client_id' | 'audience'>;
  tokenErrors: Counter<'error'>;
  requestDuration: Histogram<'route' | 'method' | 'status'>;
}

/** Creates a registry with the server's metrics and the default process metrics. */
export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    tokensIssued: new Counter({
      name: 'gatehouse_tokens_issued_total',
      help: 'Access tokens issued, by client and API',
      labelNames: ['client_id', 'audience'],
      registers: [registry],
    }),
    tokenErrors: new Counter({
      name: 'gatehouse_token_errors_total',
      help: 'Token endpoint failures, by OAuth error code',
      labelNames: ['error'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request duration, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
