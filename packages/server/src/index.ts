/** Public entry of `@gatehouse/server`. */
export { type AppDeps, createApp } from './app.ts';
export { type AdminCredentials, bootstrapServer } from './bootstrap.ts';
export { ConfigError, type LogLevel, loadConfig, type ServerConfig, type StoreKind } from './config.ts';
export { createAuthorizationServerMetadata } from './discovery/metadata.ts';
export type { RevocationFeed } from './feeds/revocation-feed.ts';
export { type KeyMaintenance, NEXT_KEY_PREPUBLISH_MS, startKeyMaintenance } from './keys/key-maintenance.ts';
export { MANAGEMENT_SCOPES, managementAudience } from './management/management-api.ts';
export { createLogger, type Logger } from './observability/logger.ts';
export { createMetrics, type ServerMetrics } from './observability/metrics.ts';
export { createOpenApiDocument } from './openapi/openapi-document.ts';
export { type RunningServer, ServerStartError, type StartServerOptions, startServer } from './serve.ts';
export { createUlid, decodeUlidTime } from './token/ulid.ts';
