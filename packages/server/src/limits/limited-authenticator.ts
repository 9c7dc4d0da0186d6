/**
 * Puts the `AuthLimiter` (and the optional request-rate limits) around a `ClientAuthenticator`,
 * so every endpoint that authenticates clients is protected without knowing about it. The success
 * path adds an in-memory check before and nothing after (unless request-rate limits are on); only
 * an `InvalidClient` failure touches the failure counters.
 * @see https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.2.3
 */
import { decodeJwt } from 'jose';
import { InvalidClient } from '../http/errors.ts';
import type { ClientAuthenticator, ClientCredentials } from '../token/client-authentication.ts';
import type { AuthLimiter, AuthSubject } from './auth-limiter.ts';
import type { RequestRate } from './request-rate.ts';

/** Optional limits on all requests (off unless configured). */
export interface RequestRateLimits {
  perClient?: RequestRate | undefined;
  perAddress?: RequestRate | undefined;
}

/** The client a private_key_jwt assertion claims to be (unverified: for counting failures only). */
function claimedClientId(credentials: ClientCredentials): string | undefined {
  if (credentials.method !== 'private_key_jwt' || credentials.clientId !== undefined)
    return credentials.clientId;
  try {
    const sub = decodeJwt(credentials.assertion).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** Wraps `inner` with the limiter. */
export function limitClientAuthentication(
  inner: ClientAuthenticator,
  limiter: AuthLimiter,
  rates: RequestRateLimits = {},
): ClientAuthenticator {
  const { perClient, perAddress } = rates;
  return {
    authenticate(credentials, context) {
      const subject: AuthSubject = { clientId: credentials.clientId, address: context.address };
      try {
        if (perAddress !== undefined && subject.address !== undefined) perAddress.hit(subject.address);
        limiter.assertAllowed(subject);
      } catch (err) {
        return Promise.reject(err);
      }
      const authenticated = inner.authenticate(credentials, context).catch(async (err: unknown) => {
        if (!(err instanceof InvalidClient)) throw err;
        const tooMany = await limiter.recordFailure({ ...subject, clientId: claimedClientId(credentials) });
        throw tooMany ?? err;
      });
      if (perClient === undefined) return authenticated;
      return authenticated.then((client) => {
        perClient.hit(client.clientId);
        return client;
      });
    },
  };
}
