/**
 * `@gatehouse/server/lambda`: what an AWS Lambda entry point needs to run the authorization server
 * (deploy/aws/handlers/authorization-server.ts), as one stable import instead of deep paths into
 * the package. The handler itself stays in deploy/aws: it is configuration, not behaviour.
 */
export { type AppDeps, createApp } from '../app.ts';
export { type AdminCredentials, bootstrapServer } from '../bootstrap.ts';
export { ConfigError, readSigningConfig, type SigningConfig } from '../config.ts';
export { createSecretHasher } from '../keys/client-secret.ts';
export { createKek, type Kek, parseKek } from '../keys/kek.ts';
export { createKeyRing, type KeyRing } from '../keys/key-ring.ts';
export { KMS_KEK_ENCRYPTION_CONTEXT, KmsKekError, openKmsKek } from '../keys/kms-kek.ts';
export { type KmsKeyRef, parseKmsKeyList } from '../keys/kms-key-list.ts';
export { KmsSignerError } from '../keys/kms-signer.ts';
export { type OpenedSigning, openSigning } from '../keys/kms-signing.ts';
export { createAuthLimiter, DEFAULT_LOCKOUT_POLICY } from '../limits/auth-limiter.ts';
export { createDynamoDbFailureCounters } from '../limits/dynamodb-failure-counters.ts';
export { logLockout } from '../limits/http-limits.ts';
export { createLogger, type Logger } from '../observability/logger.ts';
export { createMetrics } from '../observability/metrics.ts';
export { createDynamoDbStore } from '../store/dynamodb-store.ts';
export { createInvocationUpkeep, type InvocationUpkeep } from './invocation-upkeep.ts';
