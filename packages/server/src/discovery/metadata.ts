/**
 * The authorization server metadata document, served at both well-known paths.
 *
 * `response_types_supported` is REQUIRED by RFC 8414 and lists what the authorization endpoint
 * supports; gatehouse has none (client credentials only), so it is empty. openid-client v6 and
 * oauth4webapi check only `issuer` against the URL they discovered from.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */

/** RFC 8414 metadata. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  response_types_supported: string[];
  service_documentation: string;
}

/** The metadata for `issuer` (which ends with `/`). */
export function createAuthorizationServerMetadata(issuer: string): AuthorizationServerMetadata {
  return {
    issuer,
    token_endpoint: `${issuer}oauth/token`,
    jwks_uri: `${issuer}.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: [],
    service_documentation: `${issuer}docs`,
  };
}
