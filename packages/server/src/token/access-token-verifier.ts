/**
 * Verification of the server's own access tokens (introspection, revocation, Management API
 * bearer tokens) against its key ring: signature with a published key (never a revoked one),
 * `typ: at+jwt`, issuer, expiry. Not a hot path: jose does the work.
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Jwks, KeyRing } from '../keys/key-ring.ts';
import { decodeUlidTime } from './ulid.ts';

/** The claims of a verified gatehouse access token. */
export interface VerifiedAccessToken {
  iss: string;
  sub: string;
  aud: string;
  clientId: string;
  scope: string;
  jti: string;
  /** Seconds. */
  iat: number;
  /** Seconds. */
  exp: number;
  /** The issue time to the millisecond: from the ULID `jti`, else `iat * 1000` (docs/feeds.md). */
  issuedAtMs: number;
}

/** Verifies access tokens issued by this server. */
export interface AccessTokenVerifier {
  /** The token's claims, or null when it is malformed, forged, expired, for another issuer or signed by an unknown key. */
  verify(token: string, opts?: { audience?: string }): Promise<VerifiedAccessToken | null>;
}

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** Longest compact JWT accepted; gatehouse tokens are well under 2 KiB. */
const MAX_TOKEN_LENGTH = 8192;

/** The issue time of a token in ms: a ULID `jti`'s time, else `iat` seconds (which errs towards refusing). */
export function getIssuedAtMs(jti: string, iat: number): number {
  return decodeUlidTime(jti) ?? iat * 1000;
}

/** Creates the verifier over the key ring's published keys. */
export function createAccessTokenVerifier(opts: { issuer: string; keyRing: KeyRing }): AccessTokenVerifier {
  const { issuer, keyRing } = opts;
  let keySetFor: Jwks | undefined;
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;

  const getKeySet = async (): Promise<ReturnType<typeof createLocalJWKSet>> => {
    const jwks = await keyRing.getJwks();
    if (keySet === undefined || keySetFor !== jwks) {
      keySet = createLocalJWKSet(jwks);
      keySetFor = jwks;
    }
    return keySet;
  };

  return {
    async verify(token, verifyOpts = {}) {
      if (token.length > MAX_TOKEN_LENGTH) return null;
      let claims: Record<string, unknown>;
      try {
        ({ payload: claims } = await jwtVerify(token, await getKeySet(), {
          issuer,
          typ: 'at+jwt',
          algorithms: ALGORITHMS,
          requiredClaims: ['exp', 'iat', 'sub', 'jti', 'aud'],
          ...(verifyOpts.audience !== undefined ? { audience: verifyOpts.audience } : {}),
        }));
      } catch {
        return null;
      }
      const { sub, aud, jti, iat, exp, scope } = claims;
      const clientId = typeof claims.client_id === 'string' ? claims.client_id : sub;
      if (
        typeof sub !== 'string' ||
        typeof aud !== 'string' ||
        typeof jti !== 'string' ||
        typeof clientId !== 'string' ||
        typeof iat !== 'number' ||
        typeof exp !== 'number'
      ) {
        return null;
      }
      return {
        iss: issuer,
        sub,
        aud,
        clientId,
        scope: typeof scope === 'string' ? scope : '',
        jti,
        iat,
        exp,
        issuedAtMs: getIssuedAtMs(jti, iat),
      };
    },
  };
}
