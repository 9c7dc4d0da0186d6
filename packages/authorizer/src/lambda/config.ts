/**
 * Configuration of the bundled Lambda authorizer (`handler.ts`), from its environment. Checked by
 * hand rather than with zod to keep the bundle small; each error names the variable.
 */
import { readFileSync } from 'node:fs';
import type { RoutePolicy } from '@gatehouse/protocol';
import { ConfigurationError } from '../errors/errors.ts';
import { parseStrictJsonObject } from '../jose/strict-json.ts';
import { importJwks } from '../jwks/import-jwk.ts';
import { parseRoutePolicyText } from '../policy/load-policy-file.ts';
import type { IssuerProfileName } from '../verifier/issuer-profile.ts';

/** The validated Lambda configuration. */
export interface LambdaConfig {
  readonly issuer: string;
  readonly audience: string;
  /** The route policy, or `remote`: the API's `routes` on the server, followed live. */
  readonly policy: RoutePolicy | 'remote';
  /** `GATEHOUSE_SYNC_SECONDS`: how often keys, the deny-list and a remote policy are refreshed. */
  readonly syncSeconds: number;
  readonly jwksUri: string | undefined;
  /** `AUTHORIZER_JWKS`: the issuer's JWKS fetched at deploy time, used at once with no fetch. */
  readonly jwks: { readonly keys: readonly unknown[] } | undefined;
  /** `AUTHORIZER_REVOCATION_FEED`: its URL, `false` (`off`) for none, undefined for the default. */
  readonly revocationFeed: string | false | undefined;
  readonly httpApiResponse: 'simple' | 'iam';
  readonly issuerProfile: IssuerProfileName;
  /** The environment the profile code reads its settings from (loaded for a profile other than gatehouse). */
  readonly profileEnv: Env;
}

type Env = Readonly<Record<string, string | undefined>>;

function fail(name: string, problem: string): never {
  throw new ConfigurationError(`${name} ${problem}`);
}

function url(env: Env, name: string, fallback: string): string {
  const value = env[name] || fallback;
  if (!/^https?:\/\/[^\s/]/.test(value)) fail(name, 'must be an http(s) URL');
  return value;
}

/** The JSON text of a variable: inline (starting with `{`) or a file relative to the function's code. */
function jsonText(env: Env, name: string): [text: string, origin: string] {
  const value = env[name] as string;
  if (value.trimStart().startsWith('{')) return [value, name];
  const path = value.startsWith('/') ? value : `${env.LAMBDA_TASK_ROOT ?? process.cwd()}/${value}`;
  try {
    return [readFileSync(path, 'utf8'), path];
  } catch {
    return fail(name, `cannot read ${path}`);
  }
}

/** `AUTHORIZER_JWKS`, checked as strictly as the verifier will: every key must be usable. */
function preloadedJwks(env: Env): LambdaConfig['jwks'] {
  if (!env.AUTHORIZER_JWKS) return undefined;
  const keys = parseStrictJsonObject(jsonText(env, 'AUTHORIZER_JWKS')[0])?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    fail('AUTHORIZER_JWKS', 'must be a JWKS, {"keys": [...]}, as the issuer publishes it');
  importJwks(keys, (i, reason) => fail('AUTHORIZER_JWKS', `keys[${i}] refused: ${reason}`));
  return { keys };
}

/**
 * Reads `GATEHOUSE_ISSUER` (default `http://localhost:4000/`), `AUTHORIZER_AUDIENCE` (required),
 * `AUTHORIZER_POLICY` (required: inline JSON, a JSON file path relative to the function's code,
 * or `remote`), `GATEHOUSE_SYNC_SECONDS` (default 10), `AUTHORIZER_JWKS_URI`, `AUTHORIZER_JWKS`
 * (the issuer's JWKS fetched at deploy time, inline JSON or a file path like the policy),
 * `AUTHORIZER_REVOCATION_FEED` (its URL, or `off`), `AUTHORIZER_HTTP_API_RESPONSE` (`iam` for IAM answers to HTTP
 * APIs, else simple), `AUTHORIZER_ISSUER_PROFILE` and its settings (`AUTHORIZER_RESOURCE_SERVER`,
 * `AUTHORIZER_SCOPE_CLAIM`, `AUTHORIZER_AUDIENCE_CLAIM`, `AUTHORIZER_CLIENT_ID_CLAIM`). Runs once at cold start, so reading the policy file synchronously
 * costs no request anything.
 */
export function readLambdaConfig(env: Env = process.env): LambdaConfig {
  const issuer = url(env, 'GATEHOUSE_ISSUER', 'http://localhost:4000/');
  const audience = env.AUTHORIZER_AUDIENCE || fail('AUTHORIZER_AUDIENCE', 'is required');
  const source = env.AUTHORIZER_POLICY || fail('AUTHORIZER_POLICY', 'is required');
  const sync = env.GATEHOUSE_SYNC_SECONDS || '10';
  if (!/^\d{1,4}$/.test(sync) || +sync < 1) fail('GATEHOUSE_SYNC_SECONDS', 'must be whole seconds from 1');
  const feed = env.AUTHORIZER_REVOCATION_FEED;
  return {
    issuer,
    audience,
    policy: source === 'remote' ? source : parseRoutePolicyText(...jsonText(env, 'AUTHORIZER_POLICY')),
    syncSeconds: +sync,
    jwksUri: env.AUTHORIZER_JWKS_URI || undefined,
    jwks: preloadedJwks(env),
    revocationFeed: feed === 'off' ? false : feed ? url(env, 'AUTHORIZER_REVOCATION_FEED', '') : undefined,
    httpApiResponse: env.AUTHORIZER_HTTP_API_RESPONSE === 'iam' ? 'iam' : 'simple',
    // checked by createVerifier, which refuses a profile it does not implement
    issuerProfile: (env.AUTHORIZER_ISSUER_PROFILE || 'gatehouse') as IssuerProfileName,
    profileEnv: env,
  };
}
