/**
 * How a token request is put on the wire for each kind of issuer, and how the kind is told from
 * the issuer's discovery document:
 * - `standard`: RFC 6749 form post, `client_secret_basic` by default, `audience` / `resource` / `scope`
 *   (gatehouse, oidc-provider, Keycloak, Hydra, ...);
 * - `auth0`: Auth0's JSON body `{grant_type, client_id, client_secret, audience, scope}`;
 * - `cognito`: form post to `/oauth2/token` with HTTP Basic and `scope` (full `<resource server>/<scope>`
 *   names; with `audience` set to the resource server, short names are prefixed), no `audience`.
 * @see https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-credentials-flow/call-your-api-using-the-client-credentials-flow
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
 */
import { TokenClientConfigError } from './errors.ts';
import type { ClientAuthMethod } from './token-request.ts';

/** The request styles; `auto` (default) picks one from the discovery document. */
export type TokenRequestStyle = 'standard' | 'auth0' | 'cognito';

/** Whether `value` names a request style. */
export function isTokenRequestStyle(value: unknown): value is TokenRequestStyle {
  return value === 'standard' || value === 'auth0' || value === 'cognito';
}

/** What a request carries, before encoding. */
export interface StyledRequest {
  readonly encoding: 'form' | 'json';
  readonly authMethod: ClientAuthMethod;
  readonly params: Record<string, string>;
}

const COGNITO_HOST = /^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$/;
// a user pool id: <region>_<id>, e.g. eu-west-1_AbCdEf123
const USER_POOL_ID = /^\/[a-z]{2}(?:-[a-z]+)+-\d_[A-Za-z0-9]+$/;
const AUTH0_HOST = /\.auth0\.com$/;

/**
 * The style an issuer's metadata calls for: Auth0 by its host or its Auth0-only
 * `mfa_challenge_endpoint`; Cognito by its `cognito-idp` host, or a user-pool-id path with a token
 * endpoint at `/oauth2/token`; otherwise standard.
 */
export function detectRequestStyle(metadata: Readonly<Record<string, unknown>>): TokenRequestStyle {
  const issuer =
    typeof metadata.issuer === 'string' && URL.canParse(metadata.issuer)
      ? new URL(metadata.issuer)
      : undefined;
  const tokenEndpoint =
    typeof metadata.token_endpoint === 'string' && URL.canParse(metadata.token_endpoint)
      ? new URL(metadata.token_endpoint)
      : undefined;
  if (issuer === undefined) return 'standard';
  if (AUTH0_HOST.test(issuer.hostname) || typeof metadata.mfa_challenge_endpoint === 'string') return 'auth0';
  if (
    COGNITO_HOST.test(issuer.hostname) ||
    (USER_POOL_ID.test(issuer.pathname) && tokenEndpoint?.pathname === '/oauth2/token')
  ) {
    return 'cognito';
  }
  return 'standard';
}

/** The request's encoding, client authentication and parameters for `style`. */
export function styleRequest(
  style: TokenRequestStyle,
  options: {
    readonly audience?: string | undefined;
    readonly resource?: string | undefined;
    readonly scope?: string | undefined;
    readonly authMethod?: ClientAuthMethod | undefined;
  },
): StyledRequest {
  const params: Record<string, string> = {};
  if (style === 'auth0') {
    if (options.audience === undefined) {
      throw new TokenClientConfigError('audience is required by Auth0 (the API identifier).');
    }
    params.audience = options.audience;
    if (options.scope !== undefined) params.scope = options.scope;
    return { encoding: 'json', authMethod: options.authMethod ?? 'client_secret_post', params };
  }
  if (style === 'cognito') {
    if (options.scope !== undefined) {
      const prefix = options.audience === undefined ? '' : `${options.audience.replace(/\/$/, '')}/`;
      params.scope = options.scope
        .split(' ')
        .map((s) => (s.includes('/') ? s : `${prefix}${s}`))
        .join(' ');
    }
    return { encoding: 'form', authMethod: options.authMethod ?? 'client_secret_basic', params };
  }
  if (options.audience !== undefined) params.audience = options.audience;
  if (options.resource !== undefined) params.resource = options.resource;
  if (options.scope !== undefined) params.scope = options.scope;
  return { encoding: 'form', authMethod: options.authMethod ?? 'client_secret_basic', params };
}
