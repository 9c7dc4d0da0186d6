/**
 * Configuration of the contacts authorizer's Lambda entry point, and the helpers the authorization
 * server's (`server-config.ts`, kept apart so the authorizer bundle holds none of the server) shares.
 * Each problem names the variable. The contacts handlers use the contacts service's own `loadConfig`.
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

/** A Lambda function's environment. */
export type Env = Readonly<Record<string, string | undefined>>;

/** pino's levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A pino level. */
export type LambdaLogLevel = (typeof LOG_LEVELS)[number];

/** A variable's trimmed value; empty counts as unset. */
export function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A variable's value, or a LambdaConfigError naming it. */
export function required(env: Env, name: string): string {
  return read(env, name) ?? fail(name, 'is required');
}

/** Throws a LambdaConfigError naming the variable. */
export function fail(name: string, problem: string): never {
  throw new LambdaConfigError(name, problem);
}

/** `GATEHOUSE_ISSUER`, required: an http(s) URL ending in `/`. */
export function issuerOf(env: Env): string {
  const issuer = required(env, 'GATEHOUSE_ISSUER');
  if (!URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol))
    fail('GATEHOUSE_ISSUER', 'must be an http(s) URL');
  if (!issuer.endsWith('/')) fail('GATEHOUSE_ISSUER', 'must end with "/"');
  return issuer;
}

/** The contacts authorizer's settings: the issuer, the audience and maybe its public keys, nothing secret. */
export interface AuthorizerLambdaConfig {
  readonly issuer: string;
  readonly audience: string;
  /** `AUTHORIZER_JWKS`: the issuer's JWKS fetched at deploy time, used at once (no fetch at cold start). */
  readonly jwks?: { readonly keys: readonly unknown[] } | undefined;
}

/**
 * Reads `GATEHOUSE_ISSUER` and `AUTHORIZER_AUDIENCE`, both required, and `AUTHORIZER_JWKS`
 * (optional): the JWKS JSON the issuer publishes, `{"keys": [...]}`, whose keys the verifier then
 * checks one by one at start.
 */
export function readAuthorizerConfig(env: Env): AuthorizerLambdaConfig {
  const config = { issuer: issuerOf(env), audience: required(env, 'AUTHORIZER_AUDIENCE') };
  const text = read(env, 'AUTHORIZER_JWKS');
  if (text === undefined) return config;
  let keys: unknown;
  try {
    keys = (JSON.parse(text) as { keys?: unknown } | null)?.keys;
  } catch {
    // the parser's message would quote the text
  }
  if (!Array.isArray(keys) || keys.length === 0)
    fail('AUTHORIZER_JWKS', 'must be a JWKS, {"keys": [...]}, as the issuer publishes it');
  return { ...config, jwks: { keys } };
}
