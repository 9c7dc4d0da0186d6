/**
 * The authorization server metadata document, served at both well-known paths.
 *
 * `response_types_supported` is REQUIRED by RFC 8414 and lists what the authorization endpoint
 * supports; gatehouse has none (client credentials only), so it is empty. openid-client v6 and
 * oauth4webapi check only `issuer` against the URL they discovered from.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 */

/** RFC 8414 metadata, and the two gatehouse feeds (docs/feeds.md). */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  token_endpoint_auth_signing_alg_values_supported: string[];
  revocation_endpoint: string;
  revocation_endpoint_auth_methods_supported: string[];
  revocation_endpoint_auth_signing_alg_values_supported: string[];
  introspection_endpoint: string;
  introspection_endpoint_auth_methods_supported: string[];
  introspection_endpoint_auth_signing_alg_values_supported: string[];
  response_types_supported: string[];
  service_documentation: string;
  gatehouse_revocation_feed_endpoint: string;
  gatehouse_policy_endpoint: string;
}

/** Client authentication methods of the token, revocation and introspection endpoints. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/**
 * Algorithms a `private_key_jwt` client assertion may be signed with: asymmetric only, with
 * `Ed25519` (RFC 9864's fully-specified name, which oauth4webapi sends) beside `EdDSA`.
 */
export const CLIENT_ASSERTION_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** The metadata for `issuer` (which ends with `/`). */
export function createAuthorizationServerMetadata(issuer: string): AuthorizationServerMetadata {
  return {
    issuer,
    token_endpoint: `${issuer}oauth/token`,
    jwks_uri: `${issuer}.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
    revocation_endpoint: `${issuer}oauth/revoke`,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
    introspection_endpoint: `${issuer}oauth/introspect`,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGS,
    response_types_supported: [],
    service_documentation: `${issuer}docs`,
    gatehouse_revocation_feed_endpoint: `${issuer}feeds/revocations`,
    gatehouse_policy_endpoint: `${issuer}feeds/policy`,
  };
}
