/**
 * Configuration of the authorization server's Lambda entry point, from its environment: the one
 * module that reads it. Each problem names the variable, never its value.
 */
import { ConfigError, readSigningConfig, type SigningConfig } from '@gatehouse/server/lambda';
import { type Env, fail, issuerOf, type LambdaLogLevel, LOG_LEVELS, read } from './config.ts';

/** The authorization server's settings on Lambda: DynamoDB store, KEK and admin from the environment. */
export interface ServerLambdaConfig {
  readonly issuer: string;
  readonly table: string;
  /** DynamoDB Local (offline); undefined: the regional endpoint. */
  readonly dynamodbEndpoint: string | undefined;
  readonly region: string | undefined;
  /** Whether the environment holds AWS credentials (Lambda's role does); else DynamoDB Local gets placeholders. */
  readonly awsCredentialsInEnv: boolean;
  /**
   * The key-encryption key: `GATEHOUSE_KEK` itself, or a KMS-wrapped one (`GATEHOUSE_KMS_KEY_ID`
   * and `GATEHOUSE_KEK_WRAPPED`) that KMS unwraps at start. One of the two is required: a Lambda
   * has no data directory to keep a generated key in.
   */
  readonly kek:
    | { readonly kind: 'local'; readonly value: string }
    | { readonly kind: 'kms'; readonly keyId: string; readonly wrapped: string };
  readonly admin: { readonly clientId: string; readonly clientSecret: string } | undefined;
  readonly logLevel: LambdaLogLevel;
  readonly defaultAudience: string | undefined;
  /** `GATEHOUSE_SIGNING` with `GATEHOUSE_KMS_SIGNING_KEYS` / `_PUBLISHED_KEYS`: local keys or AWS KMS keys. */
  readonly signing: SigningConfig;
  /** `GATEHOUSE_SYNC_SECONDS` (default 10): how often an instance re-reads the signing keys, per invocation. */
  readonly syncSeconds: number;
  /** `GATEHOUSE_KEY_ROTATION_DAYS` (default 0: off): scheduled rotation of local signing keys. */
  readonly keyRotationDays: number;
}

/** The server's own rule for the signing variables, its ConfigError turned into ours. */
function readSigning(env: Env): SigningConfig {
  try {
    return readSigningConfig((name) => read(env, name));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return fail(err.variable, err.message.slice(err.variable.length + 2));
  }
}

function readNumber(env: Env, name: string, fallback: number, max: number, integer: boolean): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const pattern = integer ? /^\d{1,6}$/ : /^\d{1,6}(\.\d{1,6})?$/;
  if (!pattern.test(raw) || value > max || (integer && value < 1)) {
    fail(name, integer ? `must be a whole number from 1 to ${max}` : `must be a number from 0 to ${max}`);
  }
  return value;
}

function readKek(env: Env): ServerLambdaConfig['kek'] {
  const value = read(env, 'GATEHOUSE_KEK');
  const keyId = read(env, 'GATEHOUSE_KMS_KEY_ID');
  const wrapped = read(env, 'GATEHOUSE_KEK_WRAPPED');
  if (value !== undefined && (keyId !== undefined || wrapped !== undefined)) {
    fail(
      'GATEHOUSE_KEK',
      'must not be set together with GATEHOUSE_KMS_KEY_ID / GATEHOUSE_KEK_WRAPPED (choose one)',
    );
  }
  if (keyId !== undefined || wrapped !== undefined) {
    if (keyId === undefined) fail('GATEHOUSE_KMS_KEY_ID', 'is required with GATEHOUSE_KEK_WRAPPED');
    if (wrapped === undefined) fail('GATEHOUSE_KEK_WRAPPED', 'is required with GATEHOUSE_KMS_KEY_ID');
    return { kind: 'kms', keyId, wrapped };
  }
  if (value === undefined)
    fail('GATEHOUSE_KEK', 'is required (or GATEHOUSE_KMS_KEY_ID with GATEHOUSE_KEK_WRAPPED)');
  if (!/^[A-Za-z0-9_-]{43}$/.test(value))
    fail('GATEHOUSE_KEK', 'must be 32 random bytes in base64url (43 characters)');
  return { kind: 'local', value };
}

/**
 * Reads `GATEHOUSE_ISSUER`, `GATEHOUSE_DYNAMODB_TABLE` (default `gatehouse`),
 * `GATEHOUSE_DYNAMODB_ENDPOINT`, the key-encryption key (`GATEHOUSE_KEK`, or
 * `GATEHOUSE_KMS_KEY_ID` with `GATEHOUSE_KEK_WRAPPED`), `GATEHOUSE_ADMIN_CLIENT_ID` and
 * `GATEHOUSE_ADMIN_CLIENT_SECRET` (together or neither), `GATEHOUSE_LOG_LEVEL`,
 * `GATEHOUSE_DEFAULT_AUDIENCE`, `GATEHOUSE_SIGNING` (`GATEHOUSE_KMS_SIGNING_KEYS`,
 * `GATEHOUSE_KMS_PUBLISHED_KEYS`), `GATEHOUSE_SYNC_SECONDS`, `GATEHOUSE_KEY_ROTATION_DAYS` and `AWS_REGION`.
 */
export function readServerConfig(env: Env): ServerLambdaConfig {
  const table = read(env, 'GATEHOUSE_DYNAMODB_TABLE') ?? 'gatehouse';
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table))
    fail('GATEHOUSE_DYNAMODB_TABLE', 'must be 3 to 255 characters of A-Z a-z 0-9 _ . -');
  const endpoint = read(env, 'GATEHOUSE_DYNAMODB_ENDPOINT');
  if (endpoint !== undefined && !URL.canParse(endpoint)) fail('GATEHOUSE_DYNAMODB_ENDPOINT', 'must be a URL');
  const kek = readKek(env);
  const clientId = read(env, 'GATEHOUSE_ADMIN_CLIENT_ID');
  const clientSecret = read(env, 'GATEHOUSE_ADMIN_CLIENT_SECRET');
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    fail(
      clientId === undefined ? 'GATEHOUSE_ADMIN_CLIENT_ID' : 'GATEHOUSE_ADMIN_CLIENT_SECRET',
      'must be set with its pair',
    );
  }
  if (clientSecret !== undefined && clientSecret.length < 32)
    fail('GATEHOUSE_ADMIN_CLIENT_SECRET', 'must be at least 32 characters');
  const logLevel = read(env, 'GATEHOUSE_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    fail('GATEHOUSE_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    issuer: issuerOf(env),
    table,
    dynamodbEndpoint: endpoint,
    region: read(env, 'AWS_REGION'),
    awsCredentialsInEnv: read(env, 'AWS_ACCESS_KEY_ID') !== undefined,
    kek,
    admin: clientId !== undefined && clientSecret !== undefined ? { clientId, clientSecret } : undefined,
    logLevel: logLevel as LambdaLogLevel,
    defaultAudience: read(env, 'GATEHOUSE_DEFAULT_AUDIENCE'),
    signing: readSigning(env),
    syncSeconds: readNumber(env, 'GATEHOUSE_SYNC_SECONDS', 10, 3600, true),
    keyRotationDays: readNumber(env, 'GATEHOUSE_KEY_ROTATION_DAYS', 0, 3650, false),
  };
}
