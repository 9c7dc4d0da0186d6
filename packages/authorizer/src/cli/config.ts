/**
 * Configuration of `gatehouse-authorizer forward-auth`: flags first, then the environment
 * (DESIGN.md names), validated once; every error names the flag and the variable.
 */
import { z } from 'zod';

/** The validated forward-auth configuration. */
export interface ForwardAuthConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly port: number;
  readonly host: string;
  /** A policy file path, or `remote`: the API's `routes` on the server, followed live. */
  readonly policy: string;
  /** `GATEHOUSE_SYNC_SECONDS`: how often keys, the deny-list and a remote policy are refreshed. */
  readonly syncSeconds: number;
  readonly issuerProfile: 'gatehouse' | 'auth0' | 'cognito' | 'keycloak' | 'generic';
  readonly jwksUri?: string | undefined;
  readonly envoyPrefix: string;
}

/** The command-line flags `forward-auth` takes (all optional: each has an environment fallback). */
export interface ForwardAuthFlags {
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  readonly port?: string | undefined;
  readonly host?: string | undefined;
  readonly policy?: string | undefined;
  readonly 'issuer-profile'?: string | undefined;
  readonly 'jwks-uri'?: string | undefined;
  readonly 'envoy-prefix'?: string | undefined;
  readonly 'sync-seconds'?: string | undefined;
}

/** Raised for a configuration that cannot start; the message names the flag and the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const httpUrl = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .refine(
      (value) => /^https?:\/\/[^\s/]+/.test(value) && URL.canParse(value),
      `${what} must be an http(s) URL`,
    );

const schema = z.object({
  issuer: httpUrl('--issuer / GATEHOUSE_ISSUER'),
  audience: z
    .string({
      error: '--audience / AUTHORIZER_AUDIENCE is required (the API identifier tokens are issued for)',
    })
    .min(1, '--audience / AUTHORIZER_AUDIENCE is required (the API identifier tokens are issued for)'),
  port: z
    .string()
    .regex(/^\d{1,5}$/, '--port / AUTHORIZER_PORT must be a port number (0-65535)')
    .transform(Number)
    .refine((port) => port <= 65535, '--port / AUTHORIZER_PORT must be a port number (0-65535)'),
  host: z.string().min(1, '--host / AUTHORIZER_HOST must not be empty'),
  policy: z
    .string({
      error:
        '--policy / AUTHORIZER_POLICY is required: a route policy JSON file (unmatched routes are denied)',
    })
    .min(
      1,
      '--policy / AUTHORIZER_POLICY is required: a route policy JSON file (unmatched routes are denied)',
    ),
  syncSeconds: z
    .string()
    .regex(/^\d{1,4}$/, '--sync-seconds / GATEHOUSE_SYNC_SECONDS must be whole seconds from 1 to 3600')
    .transform(Number)
    .refine(
      (n) => n >= 1 && n <= 3600,
      '--sync-seconds / GATEHOUSE_SYNC_SECONDS must be whole seconds from 1 to 3600',
    ),
  issuerProfile: z.enum(['gatehouse', 'auth0', 'cognito', 'keycloak', 'generic'], {
    error:
      '--issuer-profile / AUTHORIZER_ISSUER_PROFILE must be one of gatehouse, auth0, cognito, keycloak, generic',
  }),
  jwksUri: httpUrl('--jwks-uri / AUTHORIZER_JWKS_URI').optional(),
  envoyPrefix: z
    .string()
    .regex(
      /^\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$/,
      '--envoy-prefix / AUTHORIZER_ENVOY_PREFIX must be a path like /envoy',
    ),
});

/**
 * Reads the forward-auth configuration: each flag, else its variable (`GATEHOUSE_ISSUER`,
 * `AUTHORIZER_AUDIENCE`, `AUTHORIZER_PORT`, `AUTHORIZER_HOST`, `AUTHORIZER_POLICY`, `GATEHOUSE_SYNC_SECONDS`,
 * `AUTHORIZER_ISSUER_PROFILE`, `AUTHORIZER_JWKS_URI`, `AUTHORIZER_ENVOY_PREFIX`), else the default.
 * Throws {@link ConfigError} with every problem found.
 */
export function readForwardAuthConfig(
  flags: ForwardAuthFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ForwardAuthConfig {
  const pick = (flag: string | undefined, name: string) => flag ?? (env[name] === '' ? undefined : env[name]);
  const parsed = schema.safeParse({
    issuer: pick(flags.issuer, 'GATEHOUSE_ISSUER') ?? 'http://localhost:4000/',
    audience: pick(flags.audience, 'AUTHORIZER_AUDIENCE'),
    port: pick(flags.port, 'AUTHORIZER_PORT') ?? '4002',
    host: pick(flags.host, 'AUTHORIZER_HOST') ?? '0.0.0.0',
    policy: pick(flags.policy, 'AUTHORIZER_POLICY'),
    syncSeconds: pick(flags['sync-seconds'], 'GATEHOUSE_SYNC_SECONDS') ?? '10',
    issuerProfile: pick(flags['issuer-profile'], 'AUTHORIZER_ISSUER_PROFILE') ?? 'gatehouse',
    jwksUri: pick(flags['jwks-uri'], 'AUTHORIZER_JWKS_URI'),
    envoyPrefix: pick(flags['envoy-prefix'], 'AUTHORIZER_ENVOY_PREFIX') ?? '/envoy',
  });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => issue.message).join('\n'));
  return parsed.data;
}
