/**
 * Configuration of the contacts service (HTTP server, CLI and Lambda handlers): the only module
 * that reads the environment. A bad variable stops start-up with a `ConfigError` naming it.
 *
 * `CONTACTS_HOST` defaults to 127.0.0.1, as `GATEHOUSE_HOST` does: containers and VMs set 0.0.0.0.
 * The service holds no secret and no key: it needs only the issuer (to fetch public keys) and its
 * own API identifier.
 */
import path from 'node:path';
import type { IssuerProfileName, IssuerProfileOption } from '@gatehouse/authorizer';
import { z } from 'zod';
import { DEFAULT_CONTACTS_AUDIENCE } from './access/route-policy.ts';

/** Raised for a malformed environment variable; `variable` names it. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Store back-ends named by `CONTACTS_STORE`. */
export type ContactsStoreKind = 'sqlite' | 'dynamodb';

/** Levels accepted by `CONTACTS_LOG_LEVEL` (pino's). */
export type ContactsLogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Validated configuration. */
export interface ContactsConfig {
  port: number;
  host: string;
  /** Token issuer (gatehouse's ends in `/`; see `CONTACTS_ISSUER_PROFILE` for others). */
  issuer: string;
  /** This API's identifier: the `aud` its tokens must carry (cognito: the accepted app client ids). */
  audience: string | string[];
  /**
   * `CONTACTS_ISSUER_PROFILE` (default `gatehouse`) with its settings `CONTACTS_RESOURCE_SERVER`
   * (cognito), `CONTACTS_SCOPE_CLAIM`, `CONTACTS_AUDIENCE_CLAIM`, `CONTACTS_CLIENT_ID_CLAIM` (generic):
   * whose tokens the service accepts (docs/issuer-profiles.md).
   */
  issuerProfile: IssuerProfileOption;
  store: ContactsStoreKind;
  /** Absolute directory of the SQLite file. */
  dataDir: string;
  table: string;
  /** DynamoDB endpoint override (DynamoDB Local); undefined: the AWS regional endpoint. */
  dynamodbEndpoint: string | undefined;
  /** `AWS_REGION`; undefined: the SDK's own resolution (Lambda sets it). */
  awsRegion: string | undefined;
  /** Whether `AWS_ACCESS_KEY_ID` or `AWS_PROFILE` is set (else a DynamoDB Local endpoint gets placeholder credentials). */
  awsCredentialsInEnv: boolean;
  logLevel: ContactsLogLevel;
  /**
   * `CONTACTS_POLICY`: `code` (default) guards the routes with `CONTACTS_ROUTE_POLICY`; `remote`
   * follows the contacts API's `routes` on the authorization server, live (docs/feeds.md).
   */
  policy: 'code' | 'remote';
  /** `GATEHOUSE_SYNC_SECONDS` (default 10): how often keys, the deny-list and a remote policy are refreshed. */
  syncSeconds: number;
}

const portSchema = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a whole number from 0 to 65535')
  .transform(Number)
  .refine((n) => n <= 65535, 'must be a whole number from 0 to 65535');

const issuerSchema = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL');

const profileSchema = z.enum(['gatehouse', 'auth0', 'cognito', 'keycloak', 'generic'], {
  error: 'must be one of gatehouse, auth0, cognito, keycloak, generic',
});

/** Profile settings: the variable, and the profile it belongs to. */
const PROFILE_SETTINGS = [
  ['resourceServer', 'CONTACTS_RESOURCE_SERVER', 'cognito'],
  ['scopeClaim', 'CONTACTS_SCOPE_CLAIM', 'generic'],
  ['audienceClaim', 'CONTACTS_AUDIENCE_CLAIM', 'generic'],
  ['clientIdClaim', 'CONTACTS_CLIENT_ID_CLAIM', 'generic'],
] as const;

const audienceSchema = z
  .string()
  .max(600, 'is longer than 600 characters')
  .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces');

const hostSchema = z
  .string()
  .regex(/^[A-Za-z0-9.:_-]{1,255}$/, 'must be a host name or an IP address, e.g. 127.0.0.1 or 0.0.0.0');

const storeSchema = z.enum(['sqlite', 'dynamodb'], { error: 'must be sqlite or dynamodb' });

const tableSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be 3 to 255 characters of A-Z a-z 0-9 _ . -');

const urlSchema = z
  .string()
  .refine((v) => URL.canParse(v), 'must be an absolute URL, e.g. http://127.0.0.1:8000');

const regionSchema = z.string().regex(/^[a-z0-9-]{2,32}$/, 'must be an AWS region such as eu-west-1');

const policySchema = z.enum(['code', 'remote'], { error: 'must be code or remote' });

const syncSecondsSchema = z
  .string()
  .regex(/^\d{1,4}$/, 'must be a whole number of seconds from 1 to 3600')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 3600, 'must be a whole number of seconds from 1 to 3600');

const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  error: 'must be one of fatal, error, warn, info, debug, trace, silent',
});

/**
 * Reads and validates the `CONTACTS_*` variables (`CONTACTS_ISSUER_PROFILE` and its settings among
 * them; and `GATEHOUSE_ISSUER`, `GATEHOUSE_SYNC_SECONDS`,
 * `AWS_REGION`). Empty
 * values count as unset.
 * @throws ConfigError naming the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ContactsConfig {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
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

  const profile: IssuerProfileName = parse('CONTACTS_ISSUER_PROFILE', profileSchema, 'gatehouse');
  const issuer = parse('GATEHOUSE_ISSUER', issuerSchema, 'http://localhost:4000/');
  if (profile === 'gatehouse' && !issuer.endsWith('/')) {
    throw new ConfigError('GATEHOUSE_ISSUER', 'must end with "/" (e.g. http://localhost:4000/)');
  }
  const audience = parse('CONTACTS_AUDIENCE', audienceSchema, DEFAULT_CONTACTS_AUDIENCE);
  const settings: Record<string, string> = {};
  for (const [key, variable, owner] of PROFILE_SETTINGS) {
    const value = get(variable);
    if (value === undefined) continue;
    if (owner !== profile)
      throw new ConfigError(variable, `applies to CONTACTS_ISSUER_PROFILE=${owner} only`);
    settings[key] = value;
  }
  if (profile !== 'gatehouse' && get('CONTACTS_POLICY') === 'remote') {
    throw new ConfigError('CONTACTS_POLICY', `remote follows a gatehouse server, not ${profile}`);
  }
  const clientIds = audience.split(',');
  if (profile === 'cognito' && clientIds.some((id) => id === '')) {
    throw new ConfigError('CONTACTS_AUDIENCE', 'must be the accepted app client ids, comma-separated');
  }

  return {
    port: parse('CONTACTS_PORT', portSchema, '4001'),
    host: parse('CONTACTS_HOST', hostSchema, '127.0.0.1'),
    issuer,
    audience: profile === 'cognito' ? clientIds : audience,
    issuerProfile:
      profile === 'cognito'
        ? { name: profile, resourceServer: settings.resourceServer }
        : profile === 'generic'
          ? {
              name: profile,
              scopeClaim: settings.scopeClaim,
              audienceClaim: settings.audienceClaim,
              clientIdClaim: settings.clientIdClaim,
            }
          : profile,
    store: parse('CONTACTS_STORE', storeSchema, 'sqlite'),
    dataDir: path.resolve(get('CONTACTS_DATA_DIR') ?? './.contacts'),
    table: parse('CONTACTS_TABLE', tableSchema, 'contacts'),
    dynamodbEndpoint: parseOptional('CONTACTS_DYNAMODB_ENDPOINT', urlSchema),
    awsRegion: parseOptional('AWS_REGION', regionSchema),
    awsCredentialsInEnv: get('AWS_ACCESS_KEY_ID') !== undefined || get('AWS_PROFILE') !== undefined,
    logLevel: parse('CONTACTS_LOG_LEVEL', logLevelSchema, 'info'),
    policy: parse('CONTACTS_POLICY', policySchema, 'code'),
    syncSeconds: parse('GATEHOUSE_SYNC_SECONDS', syncSecondsSchema, '10'),
  };
}
