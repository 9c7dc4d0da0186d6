export { isInvalidTokenChallenge } from './bearer-challenge.ts';
export { metadataUrls } from './discovery.ts';
export {
  DiscoveryError,
  InvalidTokenResponseError,
  TokenClientClosedError,
  TokenClientConfigError,
  TokenClientError,
  TokenEndpointUnavailableError,
  TokenRequestError,
} from './errors.ts';
export type { AssertionSource } from './federated-assertion.ts';
export { detectRequestStyle, type TokenRequestStyle } from './request-style.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';
export { createTokenClient, type TokenClient, type TokenClientOptions } from './token-client.ts';
export type { ClientAuthMethod } from './token-request.ts';
