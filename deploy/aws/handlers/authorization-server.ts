/**
 * The authorization server on AWS Lambda, behind an API Gateway HTTP API: the same Hono app as
 * `gatehouse serve` (`createApp`), through `hono/aws-lambda`, on the DynamoDB store. Everything is
 * prepared during init (top-level await): the store checked, the signing key ensured and opened,
 * the bootstrap admin made sure of, so requests find it ready.
 *
 * Without GATEHOUSE_ADMIN_CLIENT_ID / _SECRET the handler bootstraps no admin, since a generated
 * secret would land in CloudWatch Logs; serverless.yml and the CDK app always pass both (from
 * Secrets Manager).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { handle } from 'hono/aws-lambda';
import { pino } from 'pino';
import { createApp } from '../../../packages/server/src/app.ts';
import { bootstrapServer } from '../../../packages/server/src/bootstrap.ts';
import { createSecretHasher } from '../../../packages/server/src/keys/client-secret.ts';
import { createKek, parseKek } from '../../../packages/server/src/keys/kek.ts';
import { createKeyRing } from '../../../packages/server/src/keys/key-ring.ts';
import { openKmsKek } from '../../../packages/server/src/keys/kms-kek.ts';
import { createLogger } from '../../../packages/server/src/observability/logger.ts';
import { createMetrics } from '../../../packages/server/src/observability/metrics.ts';
import { createDynamoDbStore } from '../../../packages/server/src/store/dynamodb-store.ts';
import { readServerConfig } from './config.ts';

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
// A KMS-wrapped key-encryption key is unwrapped here, once per cold start (one kms:Decrypt call);
// the KMS endpoint follows the SDK's own settings (AWS_REGION, AWS_ENDPOINT_URL_KMS).
const kek =
  config.kek.kind === 'kms'
    ? await openKmsKek({
        client: new KMSClient({ maxAttempts: 3 }),
        keyId: config.kek.keyId,
        wrappedKek: config.kek.wrapped,
      })
    : createKek(parseKek(config.kek.value, 'GATEHOUSE_KEK'));
const keyRing = createKeyRing({ store, kek });
const hasher = createSecretHasher(kek.deriveKey('client-secret'));
if (config.admin !== undefined) {
  await bootstrapServer({ issuer: config.issuer, store, keyRing, hasher, logger, admin: config.admin });
} else {
  await keyRing.ensureSigningKey('RS256');
  await keyRing.getSigner('RS256');
}
const app = createApp({
  issuer: config.issuer,
  defaultAudience: config.defaultAudience,
  store,
  keyRing,
  hasher,
  logger,
  metrics: createMetrics(),
});

/** The handler API Gateway (HTTP API, payload 2.0) invokes for every route. */
export const handler = handle(app);
