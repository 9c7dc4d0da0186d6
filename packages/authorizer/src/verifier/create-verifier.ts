import { verify as verifySignature } from 'node:crypto';
import {
  AlgorithmNotAllowed,
  ConfigurationError,
  SignatureInvalid,
  TokenExpired,
  TokenMalformed,
  TokenRevoked,
} from '../errors/errors.ts';
import { isJwsAlgorithm, type JwsAlgorithm, SUPPORTED_ALGORITHMS } from '../jose/algorithms.ts';
import {
  type CompactParts,
  decodeJsonPart,
  decodePart,
  type ProtectedHeader,
  parseProtectedHeader,
  splitCompact,
} from '../jose/compact.ts';
import type { FetchLike } from '../jwks/http-fetch.ts';
import type { VerificationKey } from '../jwks/import-jwk.ts';
import { createJwksCache, type JwksCache, type JwksCacheOptions } from '../jwks/jwks-cache.ts';
import { type AuthorizerLogger, silentLogger } from '../logging/logger.ts';
import { type AccessTokenClaims, assertRegisteredClaims, type ClaimRules } from './claims.ts';
import { type IssuerProfileName, resolveIssuerProfile } from './issuer-profile.ts';
import { createTokenCache } from './token-cache.ts';

/** Options of {@link createVerifier}. `issuer` and `audience` are required: pass `null` to opt out. */
export interface VerifierOptions {
  /** Expected `iss`, exactly (gatehouse issuers end in `/`); null skips the check (then give `jwksUri`). */
  readonly issuer: string | null;
  /** Accepted audience(s); the token's `aud` must name one. null skips the check. */
  readonly audience: string | readonly string[] | null;
  /** JWKS URL; default: `jwks_uri` of the issuer's discovery document. */
  readonly jwksUri?: string | undefined;
  /** Allowed `alg` values (default RS256, PS256, ES256, EdDSA). */
  readonly algorithms?: readonly JwsAlgorithm[] | undefined;
  /** Leeway for `exp`, `nbf` and `iat`, seconds (default 5). */
  readonly clockToleranceSeconds?: number | undefined;
  /** Fetch for discovery and JWKS (default: a small `node:http(s)` client). */
  readonly fetch?: FetchLike | undefined;
  /** Verified tokens remembered so a repeat costs no signature check (default 10000; 0 disables). */
  readonly cacheSize?: number | undefined;
  /** Deny-list hook, called on every use of a token, cached or not; true refuses it as revoked. */
  readonly isRevoked?: ((claims: AccessTokenClaims) => boolean) | undefined;
  /** How the issuer shapes its tokens (default `gatehouse`). */
  readonly issuerProfile?: IssuerProfileName | undefined;
  /** Longest token accepted, in characters (default 8192). */
  readonly maxTokenLength?: number | undefined;
  /** JWKS cache tuning: refresh intervals, penalty box, stale-if-error, timers. */
  readonly jwks?: Omit<JwksCacheOptions, 'issuer' | 'jwksUri' | 'fetch' | 'logger' | 'now'> | undefined;
  readonly logger?: AuthorizerLogger | undefined;
  /** Clock in milliseconds (tests). */
  readonly now?: (() => number) | undefined;
}

/** A verified access token: who the client is, what it may do, and every claim (frozen). */
export interface VerifiedToken {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly claims: Readonly<AccessTokenClaims>;
}

/** Verifies RFC 9068 access tokens of one issuer for one API. */
export interface Verifier {
  /**
   * Verifies a token (the bare JWT, without `Bearer `). Rejects with an `InvalidToken` subclass
   * (401), or `KeysUnavailable` (503) when the issuer's keys cannot be had.
   */
  verify(token: string): Promise<VerifiedToken>;
  /**
   * The same check without a promise when no key needs fetching: the result, a thrown refusal, or
   * undefined when the token's key is not held yet (then call {@link Verifier.verify}).
   */
  verifyNow(token: string): VerifiedToken | undefined;
  /** Fetches the issuer's keys now (call at start to warm up); rejects when that fails. */
  refresh(): Promise<void>;
  /** Stops background work (the JWKS refresh timer). */
  close(): void;
  readonly jwks: JwksCache;
}

const DEFAULT_CACHE_SIZE = 10_000;
const HEADER_CACHE_SIZE = 8;

function isAllZero(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

function checkOptions(options: VerifierOptions): void {
  const { issuer, audience, algorithms, clockToleranceSeconds: tolerance } = options;
  for (const name of ['issuer', 'audience'] as const) {
    if (options[name] === undefined)
      throw new ConfigurationError(`${name} is required (null skips its check)`);
  }
  if (issuer !== null && (typeof issuer !== 'string' || !/^https?:\/\/./.test(issuer))) {
    throw new ConfigurationError('issuer must be an http(s) URL');
  }
  const audiences = typeof audience === 'string' ? [audience] : audience;
  if (
    audiences !== null &&
    (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === ''))
  ) {
    throw new ConfigurationError('audience must be string(s)');
  }
  if (algorithms !== undefined && (algorithms.length === 0 || !algorithms.every(isJwsAlgorithm))) {
    throw new ConfigurationError(`algorithms must be some of ${SUPPORTED_ALGORITHMS}`);
  }
  if (!((tolerance ?? 0) >= 0)) throw new ConfigurationError('clockToleranceSeconds must be >= 0');
}

/**
 * Creates a verifier for RFC 9068 JWT access tokens on `node:crypto` alone: strict JWS parsing,
 * an algorithm allow-list, keys only from the issuer's JWKS, `iss`/`aud`/`exp`/`nbf`/`iat` checks, a
 * deny-list hook, and a bounded cache of verified tokens (a hit skips the signature check but not
 * `exp`, the key's presence or the deny-list).
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8725
 */
export function createVerifier(options: VerifierOptions): Verifier {
  checkOptions(options);
  const profile = resolveIssuerProfile(options.issuerProfile);
  const algorithms: readonly JwsAlgorithm[] = options.algorithms ?? SUPPORTED_ALGORITHMS;
  const rules: ClaimRules = {
    issuer: options.issuer,
    audiences: typeof options.audience === 'string' ? [options.audience] : options.audience,
    clockTolerance: options.clockToleranceSeconds ?? 5,
  };
  const tolerance = rules.clockTolerance;
  const maxTokenLength = options.maxTokenLength ?? 8192;
  const now = options.now ?? Date.now;
  const isRevoked = options.isRevoked;
  const logger = options.logger ?? silentLogger;
  const jwks = createJwksCache({
    ...options.jwks,
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    fetch: options.fetch,
    logger,
    now,
  });
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const caching = cacheSize > 0;
  const cache = createTokenCache<VerifiedToken>(cacheSize);
  // protected headers repeat across tokens of one key: remember the few that verified, and find
  // them by comparing the token's prefix in place (no slice, no hashing)
  const headers: Array<{ readonly part: string; readonly header: ProtectedHeader }> = [];
  function knownHeader(token: string, firstDot: number): ProtectedHeader | undefined {
    for (const known of headers) {
      if (known.part.length === firstDot && token.startsWith(known.part)) return known.header;
    }
    return undefined;
  }
  // verification is synchronous once the key is known, so one set of scratch buffers serves every
  // call without allocating: the signing input, the decoded signature, decoded JSON
  const inputBuffer = Buffer.allocUnsafe(maxTokenLength);
  const signatureBuffer = Buffer.allocUnsafe(1024);
  const jsonBuffer = Buffer.allocUnsafe(maxTokenLength);

  function complete(
    token: string,
    parts: CompactParts,
    header: ProtectedHeader,
    key: VerificationKey,
    headerIsNew: boolean,
  ): VerifiedToken {
    const prepared = key.algorithms[header.alg];
    if (prepared === undefined) throw new AlgorithmNotAllowed('key does not allow alg');
    const length = decodePart(token.slice(parts.secondDot + 1), signatureBuffer);
    if (length < 0) throw new TokenMalformed('signature');
    if (length !== key.signatureLength) throw new SignatureInvalid('wrong length');
    const signature = signatureBuffer.subarray(0, length);
    // r = 0 or s = 0 never verifies a real ECDSA signature; refuse before asking OpenSSL (CVE-2022-21449)
    if (header.alg === 'ES256' && (isAllZero(signature, 0, 32) || isAllZero(signature, 32, 64))) {
      throw new SignatureInvalid('zero r or s');
    }
    // the signing input is the ASCII text of header.payload, copied into a reused buffer
    inputBuffer.write(token, 0, parts.secondDot, 'latin1');
    let valid = false;
    try {
      valid = verifySignature(
        prepared.hash,
        inputBuffer.subarray(0, parts.secondDot),
        prepared.key,
        signature,
      );
    } catch {
      valid = false;
    }
    if (!valid) throw new SignatureInvalid();
    const claims = decodeJsonPart(token.slice(parts.firstDot + 1, parts.secondDot), jsonBuffer);
    if (claims === null) throw new TokenMalformed('payload');
    assertRegisteredClaims(claims, rules, now() / 1000);
    const { clientId, scopes } = profile.readClaims(claims);
    if (isRevoked?.(claims)) throw new TokenRevoked();
    let result: VerifiedToken = { clientId, scopes, claims };
    if (caching) {
      // a cached result is handed to every later request with this token: make it immutable
      Object.freeze(claims);
      result = Object.freeze(result);
      cache.set({ token, value: result, exp: claims.exp, key, kid: header.kid });
    }
    if (headerIsNew) {
      if (headers.length >= HEADER_CACHE_SIZE) headers.shift();
      headers.push({ part: token.slice(0, parts.firstDot), header });
    }
    return result;
  }

  /**
   * Verifies synchronously when the key is held; else fetches it (`wait`) or answers undefined.
   */
  function check(token: string, wait: boolean): VerifiedToken | Promise<VerifiedToken> | undefined {
    if (typeof token !== 'string' || token.length > maxTokenLength) throw new TokenMalformed('too long');
    const hit = caching ? cache.get(token) : undefined;
    if (hit !== undefined) {
      if (now() / 1000 - tolerance >= hit.exp) {
        cache.delete(token);
        throw new TokenExpired();
      }
      if (jwks.getKey(hit.kid) === hit.key) {
        if (isRevoked?.(hit.value.claims)) {
          cache.delete(token);
          throw new TokenRevoked();
        }
        return hit.value;
      }
      // the key changed or left the JWKS since: verify from scratch
      cache.delete(token);
    }
    const parts = splitCompact(token);
    const known = knownHeader(token, parts.firstDot);
    const header =
      known ??
      parseProtectedHeader(token.slice(0, parts.firstDot), algorithms, profile.isTypAccepted, jsonBuffer);
    const key = jwks.getKey(header.kid);
    if (key !== undefined) return complete(token, parts, header, key, known === undefined);
    if (!wait) return undefined;
    return jwks
      .resolveKey(header.kid)
      .then((resolved) => complete(token, parts, header, resolved, known === undefined));
  }

  function verify(token: string): Promise<VerifiedToken> {
    try {
      return Promise.resolve(check(token, true) as VerifiedToken | Promise<VerifiedToken>);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return {
    verify,
    verifyNow: (token) => check(token, false) as VerifiedToken | undefined,
    refresh: () => jwks.refresh(),
    close: () => jwks.close(),
    jwks,
  };
}
