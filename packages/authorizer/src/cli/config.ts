/**
 * Configuration of `gatehouse-authorizer forward-auth`: flags first, then the environment
 * (DESIGN.md names), validated once; every error names the flag and the variable.
 */
import { z } from 'zod';
import type { IssuerProfileOption } from '../verifier/issuer-profile.ts';
import { readAudienceConfig, readProfileConfig } from '../verifier/profiles/profile-config.ts';
import { ProfileSettingError } from '../verifier/profiles/profile-errors.ts';

/** The validated forward-auth configuration. */
export interface ForwardAuthConfig {
  readonly issuer: string;
  /** The API identifier; for the cognito profile, the accepted app client ids. */
  readonly audience: string | readonly string[];
  readonly port: number;
  readonly host: string;
  /** A policy file path, or `remote`: the API's `routes` on the server, followed live. */
  readonly policy: string;
  /** `GATEHOUSE_SYNC_SECONDS`: how often keys, the deny-list and a remote policy are refreshed. */
  readonly syncSeconds: number;
  /** The profile name, with its settings (`--resource-server`, `--scope-claim`, ...) when it takes some. */
  readonly issuerProfile: IssuerProfileOption;
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
  readonly 'resource-server'?: string | undefined;
  readonly 'scope-claim'?: string | undefined;
  readonly 'audience-claim'?: string | undefined;
  readonly 'client-id-claim'?: string | undefined;
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
 * `AUTHORIZER_ISSUER_PROFILE`, `AUTHORIZER_JWKS_URI`, `AUTHORIZER_ENVOY_PREFIX`, and the profile
 * settings `AUTHORIZER_RESOURCE_SERVER`, `AUTHORIZER_SCOPE_CLAIM`, `AUTHORIZER_AUDIENCE_CLAIM`,
 * `AUTHORIZER_CLIENT_ID_CLAIM`), else the default.
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
  const name = parsed.data.issuerProfile;
  if (name !== 'gatehouse' && parsed.data.policy === 'remote') {
    throw new ConfigError(
      `--policy / AUTHORIZER_POLICY remote follows a gatehouse server; with the ${name} profile give a policy file`,
    );
  }
  try {
    return {
      ...parsed.data,
      audience: readAudienceConfig(name, parsed.data.audience),
      issuerProfile: readProfileConfig(name, {
        resourceServer: pick(flags['resource-server'], 'AUTHORIZER_RESOURCE_SERVER'),
        scopeClaim: pick(flags['scope-claim'], 'AUTHORIZER_SCOPE_CLAIM'),
        audienceClaim: pick(flags['audience-claim'], 'AUTHORIZER_AUDIENCE_CLAIM'),
        clientIdClaim: pick(flags['client-id-claim'], 'AUTHORIZER_CLIENT_ID_CLAIM'),
      }),
    };
  } catch (error) {
    if (error instanceof ProfileSettingError) throw new ConfigError(error.message);
    throw error;
  }
}
