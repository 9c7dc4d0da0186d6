/**
 * The authorization server's configuration: the only module that reads the environment.
 * Every variable is validated here, and a bad one stops start-up with a `ConfigError` naming it.
 *
 * `GATEHOUSE_HOST` defaults to the loopback address 127.0.0.1: a fresh `gatehouse serve` on a
 * laptop is not reachable from the network (the default issuer is `http://localhost:<port>/`
 * anyway). Containers and VMs set `GATEHOUSE_HOST=0.0.0.0` (or `::`) to listen on every interface.
 */
import path from 'node:path';
import { z } from 'zod';

/** Raised for a missing or malformed environment variable; `variable` names it. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** Store back-ends named by `GATEHOUSE_STORE`. */
export type StoreKind = 'sqlite' | 'postgres' | 'dynamodb';

/** Levels accepted by `GATEHOUSE_LOG_LEVEL` (pino's). */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Validated server configuration. */
export interface ServerConfig {
  /** Issuer identifier, an http(s) URL ending in `/`. */
  issuer: string;
  /** False when the issuer was derived from the port (then `startServer` may rewrite it for port 0). */
  issuerExplicit: boolean;
  port: number;
  host: string;
  /** Absolute path of the data directory (SQLite file, local key-encryption key). */
  dataDir: string;
  store: StoreKind;
  databaseUrl: string | undefined;
  dynamodbTable: string;
  dynamodbEndpoint: string | undefined;
  /** Bootstrap Management API client from the environment; undefined: generated on first start. */
  admin: { clientId: string; clientSecret: string } | undefined;
  /** `GATEHOUSE_KEK`, base64url of 32 bytes; undefined: kept in the data directory. */
  kek: string | undefined;
  logLevel: LogLevel;
  /** API used when a token request names none (`GATEHOUSE_DEFAULT_AUDIENCE`). */
  defaultAudience: string | undefined;
  /**
   * `GATEHOUSE_SYNC_SECONDS` (default 10): how often authorizers poll the feeds, hence how long a
   * feed answer may be cached; the server re-reads shared state (keys) as often.
   */
  syncSeconds: number;
  /** `GATEHOUSE_KEY_ROTATION_DAYS`: days between scheduled signing key rotations; 0 (default): off. */
  keyRotationDays: number;
}

/** Shortest accepted `GATEHOUSE_ADMIN_CLIENT_SECRET`; generated secrets are 43 characters (256 bits). */
export const MIN_ADMIN_SECRET_LENGTH = 32;

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/** The first problem with an issuer value, or undefined when it is fine. */
function issuerProblem(value: string): string | undefined {
  if (value.length > 2048) return 'is longer than 2048 characters';
  if (!URL.canParse(value)) return 'must be an absolute http(s) URL, e.g. http://localhost:4000/';
  if (!/^https?:$/.test(new URL(value).protocol)) return 'must use http or https';
  if (value.includes('?') || value.includes('#')) return 'must not contain a query or a fragment';
  if (!value.endsWith('/')) return 'must end with "/" (e.g. https://auth.example.com/)';
  return undefined;
}

const issuerSchema = z.string().check((ctx) => {
  const problem = issuerProblem(ctx.value);
  if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

const portSchema = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a whole number from 0 to 65535')
  .transform(Number)
  .refine((n) => n <= 65535, 'must be a whole number from 0 to 65535');

const storeSchema = z.enum(['sqlite', 'postgres', 'dynamodb'], {
  error: 'must be one of sqlite, postgres, dynamodb',
});

const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  error: 'must be one of fatal, error, warn, info, debug, trace, silent',
});

const hostSchema = z
  .string()
  .max(255, 'is longer than 255 characters')
  .regex(/^[A-Za-z0-9.:_-]+$/, 'must be a host name or an IP address, e.g. 127.0.0.1 or 0.0.0.0');

const urlSchema = z.string().refine((v) => URL.canParse(v), 'must be an absolute URL');

const databaseUrlSchema = z
  .string()
  .refine(
    (v) => URL.canParse(v) && /^postgres(ql)?:$/.test(new URL(v).protocol),
    'must be a postgres:// or postgresql:// URL',
  );

const syncSecondsSchema = z
  .string()
  .regex(/^\d{1,4}$/, 'must be a whole number of seconds from 1 to 3600')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 3600, 'must be a whole number of seconds from 1 to 3600');

const rotationDaysSchema = z
  .string()
  .regex(/^\d{1,4}(\.\d{1,6})?$/, 'must be a number of days (0 turns scheduled rotation off), e.g. 30 or 0.5')
  .transform(Number)
  .refine((n) => n <= 3650, 'must be at most 3650 days');

const kekSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes in base64url (43 characters)');

/**
 * Reads and validates the `GATEHOUSE_*` variables. Empty values count as unset.
 * @throws ConfigError naming the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const parse = <T>(name: string, schema: z.ZodType<T, string>, fallback: string): T => {
    const result = schema.safeParse(get(name) ?? fallback);
    if (!result.success) throw new ConfigError(name, result.error.issues[0]?.message ?? 'is invalid');
    return result.data;
  };
  const parseOptional = <T>(name: string, schema: z.ZodType<T, string>): T | undefined => {
    const raw = get(name);
    return raw === undefined ? undefined : parse(name, schema, raw);
  };

  const port = parse('GATEHOUSE_PORT', portSchema, '4000');
  const explicitIssuer = parseOptional('GATEHOUSE_ISSUER', issuerSchema);
  const store = parse('GATEHOUSE_STORE', storeSchema, 'sqlite');
  if (store === 'postgres' && get('GATEHOUSE_DATABASE_URL') === undefined) {
    throw new ConfigError(
      'GATEHOUSE_DATABASE_URL',
      'is required with GATEHOUSE_STORE=postgres, e.g. postgres://gatehouse@127.0.0.1:5432/gatehouse',
    );
  }
  const adminClientId = parseOptional(
    'GATEHOUSE_ADMIN_CLIENT_ID',
    z.string().regex(CLIENT_ID, 'must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -'),
  );
  const adminClientSecret = parseOptional(
    'GATEHOUSE_ADMIN_CLIENT_SECRET',
    z
      .string()
      .min(MIN_ADMIN_SECRET_LENGTH, `must be at least ${MIN_ADMIN_SECRET_LENGTH} characters`)
      .max(512, 'is longer than 512 characters')
      .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces'),
  );
  if ((adminClientId === undefined) !== (adminClientSecret === undefined)) {
    const missing =
      adminClientId === undefined ? 'GATEHOUSE_ADMIN_CLIENT_ID' : 'GATEHOUSE_ADMIN_CLIENT_SECRET';
    const other = adminClientId === undefined ? 'GATEHOUSE_ADMIN_CLIENT_SECRET' : 'GATEHOUSE_ADMIN_CLIENT_ID';
    throw new ConfigError(
      missing,
      `must be set together with ${other} (or leave both unset to generate one)`,
    );
  }

  return {
    issuer: explicitIssuer ?? `http://localhost:${port === 0 ? 4000 : port}/`,
    issuerExplicit: explicitIssuer !== undefined,
    port,
    host: parse('GATEHOUSE_HOST', hostSchema, '127.0.0.1'),
    dataDir: path.resolve(get('GATEHOUSE_DATA_DIR') ?? './.gatehouse'),
    store,
    databaseUrl: parseOptional('GATEHOUSE_DATABASE_URL', databaseUrlSchema),
    dynamodbTable: parse(
      'GATEHOUSE_DYNAMODB_TABLE',
      z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be 3 to 255 characters of A-Z a-z 0-9 _ . -'),
      'gatehouse',
    ),
    dynamodbEndpoint: parseOptional('GATEHOUSE_DYNAMODB_ENDPOINT', urlSchema),
    admin:
      adminClientId !== undefined && adminClientSecret !== undefined
        ? { clientId: adminClientId, clientSecret: adminClientSecret }
        : undefined,
    kek: parseOptional('GATEHOUSE_KEK', kekSchema),
    logLevel: parse('GATEHOUSE_LOG_LEVEL', logLevelSchema, 'info'),
    syncSeconds: parse('GATEHOUSE_SYNC_SECONDS', syncSecondsSchema, '10'),
    keyRotationDays: parse('GATEHOUSE_KEY_ROTATION_DAYS', rotationDaysSchema, '0'),
    defaultAudience: parseOptional(
      'GATEHOUSE_DEFAULT_AUDIENCE',
      z
        .string()
        .max(600, 'is longer than 600 characters')
        .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces'),
    ),
  };
}
