/**
 * @gatehouse/authorizer: verify RFC 9068 access tokens at the edge and check each route's scopes.
 * Middleware lives in the subpath exports `/hono`, `/express`, `/fastify` and `/node`.
 */

export { parseBearerHeader } from './authorizer/bearer-header.ts';
export {
  type AuthContext,
  type AuthorizeRequest,
  type AuthorizeResult,
  type Authorizer,
  type AuthorizerOptions,
  type AuthorizerSettings,
  createAuthorizer,
  type RoutePolicyInput,
  type RoutePolicySource,
} from './authorizer/create-authorizer.ts';
export { type BearerResponse, toBearerResponse } from './errors/bearer-response.ts';
export * from './errors/errors.ts';
export {
  createForwardAuthServer,
  type ForwardAuthServerOptions,
} from './forward-auth/create-forward-auth-server.ts';
export { type JwsAlgorithm, SUPPORTED_ALGORITHMS } from './jose/algorithms.ts';
export type { FetchLike, FetchResponse } from './jwks/http-fetch.ts';
export { createJwksCache, type JwksCache, type JwksCacheOptions } from './jwks/jwks-cache.ts';
export {
  createLambdaAuthorizer,
  type LambdaAuthorizer,
  type LambdaAuthorizerOptions,
} from './lambda/create-lambda-authorizer.ts';
export { type AuthorizerLogger, createJsonLogger, silentLogger } from './logging/logger.ts';
export { loadRoutePolicyFile } from './policy/load-policy-file.ts';
export type { AccessTokenClaims } from './verifier/claims.ts';
export {
  createVerifier,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from './verifier/create-verifier.ts';
export type {
  IssuerProfile,
  IssuerProfileName,
  IssuerProfileOption,
} from './verifier/issuer-profile.ts';

// registers the auth0, cognito, keycloak and generic issuer profiles (docs/issuer-profiles.md)
import './verifier/profiles/index.ts';
