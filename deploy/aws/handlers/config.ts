/**
 * Configuration of gatehouse's own Lambda entry points (the authorization server and the contacts
 * authorizer), from their environment: the one module here that reads it. Each problem names the
 * variable. The contacts handlers use the contacts service's own `loadConfig`.
 */

/** Raised for a missing or malformed variable; `variable` names it. The message never holds a value. */
export class LambdaConfigError extends Error {
  readonly code = 'ERR_LAMBDA_CONFIG';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'LambdaConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A pino level. */
export type LambdaLogLevel = (typeof LOG_LEVELS)[number];

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, name: string): string {
  return read(env, name) ?? fail(name, 'is required');
}

function fail(name: string, problem: string): never {
  throw new LambdaConfigError(name, problem);
}

function issuerOf(env: Env): string {
  const issuer = required(env, 'GATEHOUSE_ISSUER');
  if (!URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol))
    fail('GATEHOUSE_ISSUER', 'must be an http(s) URL');
  if (!issuer.endsWith('/')) fail('GATEHOUSE_ISSUER', 'must end with "/"');
  return issuer;
}

/** The contacts authorizer's settings: the issuer and the audience, nothing secret. */
export interface AuthorizerLambdaConfig {
  readonly issuer: string;
  readonly audience: string;
}

/** Reads `GATEHOUSE_ISSUER` and `AUTHORIZER_AUDIENCE`, both required. */
export function readAuthorizerConfig(env: Env): AuthorizerLambdaConfig {
  return { issuer: issuerOf(env), audience: required(env, 'AUTHORIZER_AUDIENCE') };
}

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
 * `GATEHOUSE_DEFAULT_AUDIENCE` and `AWS_REGION`.
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
  };
}
