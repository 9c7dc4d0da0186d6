/**
 * Client authentication at the OAuth endpoints: `client_secret_basic`, `client_secret_post` and
 * `private_key_jwt` (verified by a `ClientAssertionVerifier`).
 * Every failure (unknown client, wrong secret, expired secret, disabled client) answers the same
 * `invalid_client`, after the same work: an unknown client still costs one keyed hash, so neither
 * the answer nor its timing tells whether a client id exists.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { InvalidClient, InvalidRequest } from '../http/errors.ts';
import type { SecretHasher } from '../keys/client-secret.ts';
import type { ClientRecord, ClientSecretRecord, ClientStore } from '../store/store.ts';
import type { TokenParameters } from './token-parameters.ts';

/** The challenge sent with a 401 when the client used (or should use) HTTP Basic. */
export const BASIC_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

/** A client id and secret, presented with HTTP Basic or in the body. */
export interface SecretCredentials {
  clientId: string;
  clientSecret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

/** A signed JWT client assertion (RFC 7523); `clientId` is the optional `client_id` parameter. */
export interface AssertionCredentials {
  method: 'private_key_jwt';
  clientId: string | undefined;
  assertion: string;
}

/** Credentials the client presented, and how. */
export type ClientCredentials = SecretCredentials | AssertionCredentials;

/** `client_assertion_type` of a JWT client assertion. @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2 */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const FAILED = 'client authentication failed';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Form-url-decodes one half of a Basic credential; null when malformed. */
function formDecode(value: string): string | null {
  const spaced = value.includes('+') ? value.replaceAll('+', ' ') : value;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return null;
  }
}

/**
 * Extracts the client's credentials from the `Authorization` header or the body. Basic and body
 * credentials together are `invalid_request` (RFC 6749 section 2.3: one method per request);
 * none at all is `invalid_client`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function parseClientCredentials(
  authorization: string | undefined,
  params: TokenParameters,
): ClientCredentials {
  if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) {
    if (authorization !== undefined || params.client_secret !== undefined) {
      throw new InvalidRequest('the client used more than one authentication method');
    }
    if (params.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) {
      throw new InvalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
    }
    if (params.client_assertion === undefined) {
      throw new InvalidRequest('client_assertion is required with client_assertion_type');
    }
    return { method: 'private_key_jwt', clientId: params.client_id, assertion: params.client_assertion };
  }
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    const scheme = space === -1 ? authorization : authorization.slice(0, space);
    if (scheme.toLowerCase() !== 'basic') {
      throw new InvalidClient(
        'unsupported authentication scheme; use HTTP Basic or client_secret_post',
        BASIC_CHALLENGE,
      );
    }
    if (params.client_secret !== undefined) {
      throw new InvalidRequest(
        'the client used more than one authentication method (Basic and client_secret)',
      );
    }
    const encoded = authorization.slice(space + 1).trim();
    if (encoded.length > 2048 || !BASE64.test(encoded)) {
      throw new InvalidClient('malformed Basic credentials', BASIC_CHALLENGE);
    }
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const clientId = colon === -1 ? null : formDecode(decoded.slice(0, colon));
    const clientSecret = colon === -1 ? null : formDecode(decoded.slice(colon + 1));
    if (!clientId || !clientSecret) throw new InvalidClient('malformed Basic credentials', BASIC_CHALLENGE);
    if (params.client_id !== undefined && params.client_id !== clientId) {
      throw new InvalidRequest('client_id in the body differs from the one in the Authorization header');
    }
    return { clientId, clientSecret, method: 'client_secret_basic' };
  }
  if (params.client_secret !== undefined) {
    if (params.client_id === undefined) throw new InvalidRequest('client_id is required with client_secret');
    return { clientId: params.client_id, clientSecret: params.client_secret, method: 'client_secret_post' };
  }
  throw new InvalidClient(
    params.client_id === undefined
      ? 'client authentication is required (HTTP Basic or client_secret_post)'
      : 'client authentication is required: client_id alone does not authenticate a client',
    BASIC_CHALLENGE,
  );
}

/** Where the credentials were presented: a client assertion's `aud` may name that endpoint. */
export interface AuthenticationContext {
  /** The URL of the endpoint called (token, revocation or introspection). */
  endpoint: string;
  /** The caller's source address, for the failed-authentication limits (limits/auth-limiter.ts). */
  address?: string | undefined;
  /** Where to read the client: the token endpoint's per-request cache snapshot (token-read-cache.ts); default the store. */
  reads?: Pick<ClientStore, 'getClient'> | undefined;
  /** The HTTP request, for the audit entry of a federated sign-in (who called, from where); unused by secrets. */
  request?: Context | undefined;
  /** The `audience` parameter of a token request, recorded with a federated sign-in. */
  audience?: string | undefined;
}

/** Verifies a JWT client assertion (private_key_jwt), answering the client it authenticates. */
export interface ClientAssertionVerifier {
  verify(credentials: AssertionCredentials, context: AuthenticationContext): Promise<ClientRecord>;
}

/** Checks presented credentials against the store. */
export interface ClientAuthenticator {
  /** The authenticated, enabled client; `invalid_client` otherwise. */
  authenticate(credentials: ClientCredentials, context: AuthenticationContext): Promise<ClientRecord>;
}

/** Options of `createClientAuthenticator`. */
export interface ClientAuthenticatorOptions {
  store: ClientStore;
  /** Verifies secrets in constant time. */
  hasher: SecretHasher;
  /** Verifies client assertions; without it, private_key_jwt is refused. */
  assertions?: ClientAssertionVerifier;
  /** Verifies platform tokens of federated credentials (federation/); without it, they are refused. */
  federation?: ClientAssertionVerifier & { accepts(assertion: string): boolean };
}

/**
 * A secret that verified against a client record, by its SHA-256 (never the secret itself).
 *
 * The token read cache (token-read-cache.ts) hands out the same frozen `ClientRecord` object until
 * the store changes, so a success remembered for that object is forgotten with it: a rotated or
 * removed secret, a disabled client or any other write makes the next request read a new record
 * and verify its secret in full. Only successes are remembered, and the expiry of the secret that
 * matched is checked again each time. This saves the keyed hash of every live secret (and the
 * Hmac object) per request: a plain SHA-256 and one constant-time comparison instead.
 */
interface VerifiedSecret {
  digest: Buffer;
  expiresAt: number | null;
}

function matchesRemembered(remembered: VerifiedSecret, digest: Buffer, now: number): boolean {
  if (remembered.expiresAt !== null && remembered.expiresAt <= now) return false;
  return timingSafeEqual(digest, remembered.digest);
}

/** Creates the authenticator. */
export function createClientAuthenticator(opts: ClientAuthenticatorOptions): ClientAuthenticator {
  const { store, hasher, assertions, federation } = opts;
  // Verified against when the client is unknown, so both paths cost one HMAC and one comparison.
  const dummyHash = hasher.hash('gatehouse:unknown-client');
  // The secret last verified for a cached (frozen, so unchanging) client record: see VerifiedSecret.
  const verified = new WeakMap<ClientRecord, VerifiedSecret>();
  return {
    async authenticate(credentials, context) {
      if (credentials.method === 'private_key_jwt') {
        if (federation?.accepts(credentials.assertion)) return federation.verify(credentials, context);
        if (assertions === undefined) throw new InvalidClient('private_key_jwt is not enabled');
        return assertions.verify(credentials, context);
      }
      const challenge = credentials.method === 'client_secret_basic' ? BASIC_CHALLENGE : undefined;
      // Taken on every path (unknown client included), so failures cost the same as before.
      const digest = hash('sha256', credentials.clientSecret, 'buffer');
      const client = await (context.reads ?? store).getClient(credentials.clientId);
      if (client === null) {
        hasher.verify(credentials.clientSecret, dummyHash);
        throw new InvalidClient(FAILED, challenge);
      }
      const now = Date.now();
      const remembered = verified.get(client);
      if (remembered !== undefined && matchesRemembered(remembered, digest, now)) {
        return client;
      }
      let matched: ClientSecretRecord | undefined;
      for (const secret of client.secrets) {
        // No short-circuit: every live secret is checked, so timing does not reveal which matched.
        const live = secret.expiresAt === null || secret.expiresAt > now;
        if (hasher.verify(credentials.clientSecret, secret.hash) && live) matched = secret;
      }
      if (client.secrets.length === 0) hasher.verify(credentials.clientSecret, dummyHash);
      if (matched === undefined || client.disabled || client.tokenEndpointAuthMethod === 'private_key_jwt') {
        throw new InvalidClient(FAILED, challenge);
      }
      if (Object.isFrozen(client)) {
        verified.set(client, { digest, expiresAt: matched.expiresAt });
      }
      return client;
    },
  };
}
