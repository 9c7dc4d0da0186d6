/**
 * `private_key_jwt` client authentication: a JWT the client signs with a key it registered as a
 * credential (PEM, or a `jwks_uri`), presented as `client_assertion`.
 *
 * Rules (RFC 7523 section 3, OIDC Core section 9): an asymmetric `alg` from the allow-list (never
 * `none` or HMAC: client secrets are stored hashed, so `client_secret_jwt` cannot be verified);
 * `iss` = `sub` = the client id (and = `client_id` when sent); `aud` the token endpoint, the
 * endpoint called, or the issuer; `exp` required and at most 5 minutes ahead; `iat` and `nbf` not
 * in the future; a `jti` that is accepted once (recorded until `exp`; of concurrent replays exactly
 * one wins). Every failure is `invalid_client`; before the signature is verified, the message says
 * nothing that depends on stored state, so it tells nobody which client ids exist.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { CLIENT_ASSERTION_ALGS } from '../discovery/metadata.ts';
import { InvalidClient } from '../http/errors.ts';
import type {
  AssertionReplayStore,
  ClientCredentialRecord,
  ClientRecord,
  ClientStore,
} from '../store/store.ts';
import type {
  AssertionCredentials,
  AuthenticationContext,
  ClientAssertionVerifier,
} from './client-authentication.ts';

/** Latest `exp` accepted, in seconds from now: assertions are short-lived. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Clock skew tolerated between client and server, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 30;
const MAX_JTI_LENGTH = 256;
const FAILED = 'client authentication failed';

/** Whether two `alg` names mean the same algorithm (`EdDSA` over Ed25519 is `Ed25519`, RFC 9864). */
function isSameAlg(a: string, b: string): boolean {
  const ed = (x: string) => x === 'EdDSA' || x === 'Ed25519';
  return a === b || (ed(a) && ed(b));
}

/** Options of `createClientAssertionVerifier`. */
export interface ClientAssertionVerifierOptions {
  store: ClientStore & AssertionReplayStore;
  /** Issuer identifier (ends in `/`). */
  issuer: string;
  /** Timeout of a `jwks_uri` fetch, ms (default 5000). */
  jwksTimeoutMs?: number;
}

/** Creates the verifier. */
export function createClientAssertionVerifier(opts: ClientAssertionVerifierOptions): ClientAssertionVerifier {
  const { store, issuer } = opts;
  const audiences = [issuer, issuer.replace(/\/$/, ''), `${issuer}oauth/token`];
  // Parsed keys and remote key sets are reused across requests (bounded: registered credentials only).
  const pemKeys = new Map<string, KeyObject>();
  const remoteSets = new Map<string, JWTVerifyGetKey>();

  const keyFor = (credential: ClientCredentialRecord): KeyObject | JWTVerifyGetKey | undefined => {
    if (credential.pem !== undefined) {
      let key = pemKeys.get(credential.pem);
      if (key === undefined) {
        try {
          key = createPublicKey(credential.pem);
        } catch {
          return undefined;
        }
        if (pemKeys.size >= 10_000) pemKeys.clear();
        pemKeys.set(credential.pem, key);
      }
      return key;
    }
    if (credential.jwksUri !== undefined) {
      let set = remoteSets.get(credential.jwksUri);
      if (set === undefined) {
        set = createRemoteJWKSet(new URL(credential.jwksUri), {
          timeoutDuration: opts.jwksTimeoutMs ?? 5000,
          cooldownDuration: 30_000,
          cacheMaxAge: 600_000,
        });
        if (remoteSets.size >= 10_000) remoteSets.clear();
        remoteSets.set(credential.jwksUri, set);
      }
      return set;
    }
    return undefined;
  };

  /** The verified claims, trying each registered key whose algorithm fits; undefined when none verifies. */
  const verifySignature = async (
    assertion: string,
    alg: string,
    client: ClientRecord,
    context: AuthenticationContext,
  ): Promise<JWTPayload | undefined> => {
    for (const credential of client.credentials) {
      if (credential.credentialType !== 'public_key') continue;
      if (credential.alg !== undefined && !isSameAlg(credential.alg, alg)) continue;
      const key = keyFor(credential);
      if (key === undefined) continue;
      try {
        const { payload } = await jwtVerify(assertion, key, {
          algorithms: [alg],
          issuer: client.clientId,
          subject: client.clientId,
          audience: [...audiences, context.endpoint],
          requiredClaims: ['exp', 'jti'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
        return payload;
      } catch {
        // Another registered key may verify it (a client rotating its key holds two).
      }
    }
    return undefined;
  };

  return {
    async verify(credentials: AssertionCredentials, context: AuthenticationContext): Promise<ClientRecord> {
      let alg: unknown;
      let claims: JWTPayload;
      try {
        alg = decodeProtectedHeader(credentials.assertion).alg;
        claims = decodeJwt(credentials.assertion);
      } catch {
        throw new InvalidClient('client_assertion is not a JWT');
      }
      if (typeof alg !== 'string' || !CLIENT_ASSERTION_ALGS.includes(alg)) {
        throw new InvalidClient(`client_assertion alg must be one of ${CLIENT_ASSERTION_ALGS.join(', ')}`);
      }
      const clientId = claims.sub;
      if (typeof clientId !== 'string' || claims.iss !== clientId) {
        throw new InvalidClient('client_assertion iss and sub must both be the client id');
      }
      if (credentials.clientId !== undefined && credentials.clientId !== clientId) {
        throw new InvalidClient('client_id differs from the client_assertion sub');
      }
      const client = await store.getClient(clientId);
      if (client === null || client.disabled) throw new InvalidClient(FAILED);
      const payload = await verifySignature(credentials.assertion, alg, client, context);
      if (payload === undefined) throw new InvalidClient(FAILED);

      // Signature and issuer hold: from here on, messages may be specific.
      const now = Math.floor(Date.now() / 1000);
      const exp = payload.exp!;
      if (exp > now + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
        throw new InvalidClient(
          `client_assertion exp is more than ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ahead`,
        );
      }
      if (payload.iat !== undefined && payload.iat > now + CLOCK_TOLERANCE_SECONDS) {
        throw new InvalidClient('client_assertion iat is in the future');
      }
      const jti = payload.jti;
      if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
        throw new InvalidClient(`client_assertion jti must be a string of 1 to ${MAX_JTI_LENGTH} characters`);
      }
      const fresh = await store.recordAssertionJti(
        clientId,
        jti,
        (Math.max(exp, now) + CLOCK_TOLERANCE_SECONDS) * 1000,
      );
      if (!fresh) throw new InvalidClient('client_assertion has been used before (jti replayed)');
      return client;
    },
  };
}
