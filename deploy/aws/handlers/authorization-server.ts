/**
 * The authorization server on AWS Lambda, behind an API Gateway HTTP API: the same Hono app as
 * `gatehouse serve` (`createApp`), through `hono/aws-lambda`, on the DynamoDB store. Everything is
 * prepared during init (top-level await): the store checked, the signing key ensured and opened,
 * the bootstrap admin made sure of, so requests find it ready.
 *
 * Key upkeep (re-reading keys rotated or revoked through other instances, scheduled rotation) runs
 * at the start of an invocation once GATEHOUSE_SYNC_SECONDS have passed: no timer runs in Lambda.
 * With GATEHOUSE_SIGNING=kms, AWS KMS asymmetric keys sign and no private key exists here at all.
 *
 * Without GATEHOUSE_ADMIN_CLIENT_ID / _SECRET the handler bootstraps no admin, since a generated
 * secret would land in CloudWatch Logs; serverless.yml and the CDK app always pass both (from
 * Secrets Manager).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  bootstrapServer,
  createApp,
  createAuthLimiter,
  createDynamoDbFailureCounters,
  createDynamoDbStore,
  createInvocationUpkeep,
  createKek,
  createLogger,
  createMetrics,
  createSecretHasher,
  DEFAULT_LOCKOUT_POLICY,
  logLockout,
  openKmsKek,
  openSigning,
  parseKek,
} from '@gatehouse/server/lambda';
import { handle } from 'hono/aws-lambda';
import { pino } from 'pino';
import { readServerConfig } from './server-config.ts';

const config = readServerConfig(process.env);
// Synchronous writes: Lambda may freeze the process right after the answer, before an async flush.
const logger = createLogger({
  level: config.logLevel,
  destination: pino.destination({ dest: 1, sync: true }),
});
const local = config.dynamodbEndpoint !== undefined;
const client = new DynamoDBClient({
  ...(local ? { endpoint: config.dynamodbEndpoint } : {}),
  ...(config.region ? { region: config.region } : local ? { region: 'us-east-1' } : {}),
  ...(local && !config.awsCredentialsInEnv
    ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : {}),
  maxAttempts: 3,
});
const store = createDynamoDbStore({ table: config.table, client });
await store.migrate();
// The KMS endpoint follows the SDK's own settings (AWS_REGION, AWS_ENDPOINT_URL_KMS).
const kmsClient = new KMSClient({ maxAttempts: 3 });
// A KMS-wrapped key-encryption key is unwrapped here, once per cold start (one kms:Decrypt call).
const kek =
  config.kek.kind === 'kms'
    ? await openKmsKek({ client: kmsClient, keyId: config.kek.keyId, wrappedKek: config.kek.wrapped })
    : createKek(parseKek(config.kek.value, 'GATEHOUSE_KEK'));
// Local keys sealed by the KEK in the table, or AWS KMS signing keys (one kms:GetPublicKey each here).
const { keyRing, jwtSigner } = await openSigning({
  signing: config.signing,
  store,
  kek,
  logger,
  syncIntervalMs: config.syncSeconds * 1000,
  kmsClient,
});
const hasher = createSecretHasher(kek.deriveKey('client-secret'));
if (config.admin !== undefined) {
  await bootstrapServer({ issuer: config.issuer, store, keyRing, hasher, logger, admin: config.admin });
} else {
  await keyRing.ensureSigningKey('RS256');
  await keyRing.getSigner('RS256');
}
// Failed client authentication is counted in the same table, so every warm instance shares the
// lockout (the success path reads only locks held in memory; the counters are written on failures).
const authLimiter = createAuthLimiter({
  counters: createDynamoDbFailureCounters({ table: config.table, client }),
  policy: DEFAULT_LOCKOUT_POLICY,
  onLockout: logLockout(logger),
  onStoreError: (err) =>
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'lockout store error'),
});
const app = createApp({
  issuer: config.issuer,
  defaultAudience: config.defaultAudience,
  store,
  keyRing,
  hasher,
  logger,
  metrics: createMetrics(),
  syncSeconds: config.syncSeconds,
  jwtSigner,
  authLimiter,
  // Sessions sealed under a key every instance derives from the shared KEK, so any warm Lambda
  // instance opens a console session another one made.
  console: { sessionKey: kek.deriveKey('console-session') },
});
// No timer runs in a frozen Lambda: key upkeep runs at the start of an invocation once
// GATEHOUSE_SYNC_SECONDS have passed (a first round now, so the `next` keys are published).
const upkeep = createInvocationUpkeep({
  keyRing,
  store,
  logger,
  intervalMs: config.syncSeconds * 1000,
  rotationMs: Math.round(config.keyRotationDays * 86_400_000),
});
await upkeep.runNow();
const serve = handle(app);

/** The handler API Gateway (HTTP API, payload 2.0) invokes for every route. */
export const handler: typeof serve = async (event, context) => {
  await upkeep.beforeInvocation();
  return serve(event, context);
};
