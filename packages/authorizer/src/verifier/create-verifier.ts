import {
  AlgorithmNotAllowed,
  ConfigurationError,
  SignatureInvalid,
  TokenExpired,
  TokenMalformed,
  TokenRevoked,
  VerificationUnavailable,
} from '../errors/errors.ts';
import { isJwsAlgorithm, type JwsAlgorithm, SUPPORTED_ALGORITHMS } from '../jose/algorithms.ts';
import { writeAscii } from '../jose/buffer-io.ts';
import {
  type CompactParts,
  decodeJsonPart,
  decodePart,
  type ProtectedHeader,
  parseProtectedHeader,
  splitCompact,
} from '../jose/compact.ts';
import { createHttpFetch, type FetchLike } from '../jwks/http-fetch.ts';
import type { VerificationKey } from '../jwks/import-jwk.ts';
import { createJwksCache, type JwksCache, type JwksCacheOptions } from '../jwks/jwks-cache.ts';
import { type AuthorizerLogger, silentLogger } from '../logging/logger.ts';
import type { FeedContext } from '../sync/feed-context.ts';
import { followFeed } from '../sync/load-feeds.ts';
import { type AccessTokenClaims, assertRegisteredClaims, type ClaimRules } from './claims.ts';
import { type IssuerProfileOption, resolveIssuerProfile } from './issuer-profile.ts';
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
  /**
   * The revocation feed (docs/feeds.md) followed into an in-memory deny-list consulted on every use
   * of a token: its URL, or `false` for none. Default for the `gatehouse` profile: the issuer's
   * `gatehouse_revocation_feed_endpoint` (discovery), else `${issuer}feeds/revocations`; none for
   * other profiles.
   */
  readonly revocationFeed?: string | false | undefined;
  /** How often the feeds (and at most this long, the JWKS) are refreshed, seconds (default 10: `GATEHOUSE_SYNC_SECONDS`). */
  readonly syncSeconds?: number | undefined;
  /** Most deny-list entries held (default 100000); past it those expiring soonest are dropped. */
  readonly maxRevocations?: number | undefined;
  /**
   * Refresh keys and feeds on unref'd timers (default true). False (AWS Lambda, where timers do not
   * run between invocations) refreshes them on use instead.
   */
  readonly backgroundRefresh?: boolean | undefined;
  /** How the issuer shapes its tokens (default `gatehouse`): a name, or a name with settings (docs/issuer-profiles.md). */
  readonly issuerProfile?: IssuerProfileOption | undefined;
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
  /** Fetches the issuer's keys and the revocation feed now (call at start to warm up); rejects when that fails. */
  refresh(): Promise<void>;
  /** Stops background work (the JWKS and feed timers). */
  close(): void;
  readonly jwks: JwksCache;
  /** Whether it can verify now: keys held and, when a revocation feed is followed, the deny-list fetched once (health checks). */
  usable(): boolean;
  /** How it reaches the issuer's feeds (an authorizer following the remote policy uses it too). */
  readonly feeds: FeedContext;
  /** The audience(s) it accepts, as given. */
  readonly audience: VerifierOptions['audience'];
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
  if (!((options.syncSeconds ?? 1) > 0)) throw new ConfigurationError('syncSeconds must be > 0');
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
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
  const profile = resolveIssuerProfile(options.issuerProfile, { issuer: options.issuer, audiences });
  const algorithms: readonly JwsAlgorithm[] = options.algorithms ?? SUPPORTED_ALGORITHMS;
  const rules: ClaimRules = {
    issuer: options.issuer,
    // a profile that checks the audience on another claim (Cognito's client_id) does it in readClaims
    audiences: profile.checksAudience ? null : audiences,
    clockTolerance: options.clockToleranceSeconds ?? 5,
  };
  const tolerance = rules.clockTolerance;
  const maxTokenLength = options.maxTokenLength ?? 8192;
  const now = options.now ?? Date.now;
  const isRevoked = options.isRevoked;
  const logger = options.logger ?? silentLogger;
  const syncSeconds = options.syncSeconds ?? 10;
  const timers = options.backgroundRefresh !== false;
  const fetchFn = options.fetch ?? createHttpFetch();
  const jwks = createJwksCache({
    // keys are refreshed at least as often as the feeds: a key published for rotation is held within the interval
    maxRefreshSeconds: syncSeconds,
    backgroundRefresh: timers,
    ...options.jwks,
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    fetch: fetchFn,
    logger,
    now,
  });
  const feeds: FeedContext = {
    issuer: options.issuer,
    jwks,
    fetch: fetchFn,
    syncSeconds,
    timers,
    logger,
    now,
  };
  const feed = options.revocationFeed ?? (profile.name === 'gatehouse' && options.issuer !== null);
  // the deny-list, its code loaded on first use: until it is loaded and fetched, verification waits
  const revocations =
    feed === false
      ? undefined
      : followFeed((module) =>
          module.createRevocationSync({
            ...feeds,
            url: feed === true ? undefined : feed,
            toleranceMs: tolerance * 1000,
            maxEntries: options.maxRevocations,
          }),
        );
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const caching = cacheSize > 0;
  const cache = createTokenCache<VerifiedToken>(cacheSize);
  // protected headers repeat across tokens of one key: remember the few that verified, each as a
  // flat copy of its text, which `===` compares with the token's prefix at memcmp speed
  // (`startsWith` walks a token built by concatenation character by character, ~10x slower)
  const headers: Array<{ readonly part: string; readonly header: ProtectedHeader }> = [];
  function knownHeader(token: string, firstDot: number): ProtectedHeader | undefined {
    for (const known of headers) {
      if (known.part.length === firstDot && token.slice(0, firstDot) === known.part) return known.header;
    }
    return undefined;
  }
  // verification is synchronous once the key is known, so one set of scratch buffers serves every
  // call without allocating: the signing input, the decoded signature, decoded JSON
  const inputBuffer = Buffer.allocUnsafe(maxTokenLength);
  const signatureBuffer = Buffer.allocUnsafe(1024);
  const jsonBuffer = Buffer.allocUnsafe(maxTokenLength);
  // views of the scratch buffers, kept for the last length seen: tokens of one issuer and key mostly
  // repeat their lengths, so the common call makes no view
  let inputView = inputBuffer.subarray(0, 0);
  let signatureView = signatureBuffer.subarray(0, 0);

  function complete(
    token: string,
    parts: CompactParts,
    header: ProtectedHeader,
    key: VerificationKey,
    headerIsNew: boolean,
    t: number,
  ): VerifiedToken {
    const prepared = key.algorithms[header.alg];
    if (prepared === undefined) throw new AlgorithmNotAllowed('key does not allow alg');
    const length = decodePart(token.slice(parts.secondDot + 1), signatureBuffer);
    if (length < 0) throw new TokenMalformed('signature');
    if (length !== key.signatureLength) throw new SignatureInvalid('wrong length');
    if (signatureView.length !== length) signatureView = signatureBuffer.subarray(0, length);
    const signature = signatureView;
    // r = 0 or s = 0 never verifies a real ECDSA signature; refuse before asking OpenSSL (CVE-2022-21449)
    if (header.alg === 'ES256' && (isAllZero(signature, 0, 32) || isAllZero(signature, 32, 64))) {
      throw new SignatureInvalid('zero r or s');
    }
    // the signing input is the ASCII text of header.payload, copied into a reused buffer (one byte
    // per character: splitCompact refused any character above U+00FF, whose low byte could pass)
    writeAscii(inputBuffer, token, parts.secondDot);
    if (inputView.length !== parts.secondDot) inputView = inputBuffer.subarray(0, parts.secondDot);
    let valid = false;
    try {
      valid = prepared(inputView, signature);
    } catch {
      valid = false;
    }
    if (!valid) throw new SignatureInvalid();
    const claims = decodeJsonPart(token.slice(parts.firstDot + 1, parts.secondDot), jsonBuffer);
    if (claims === null) throw new TokenMalformed('payload');
    assertRegisteredClaims(claims, rules, t / 1000);
    const { clientId, scopes } = profile.readClaims(claims);
    let result: VerifiedToken = { clientId, scopes, claims };
    assertNotRevoked(result, header.kid);
    if (caching) {
      // a cached result is handed to every later request with this token: make it immutable
      Object.freeze(claims);
      result = Object.freeze(result);
      cache.set({ token, value: result, exp: claims.exp, key, kid: header.kid });
    }
    if (headerIsNew) {
      if (headers.length >= HEADER_CACHE_SIZE) headers.shift();
      // a copy, not a slice: a slice would keep this token alive and compare more slowly
      headers.push({
        part: Buffer.from(token.slice(0, parts.firstDot), 'latin1').toString('latin1'),
        header,
      });
    }
    return result;
  }

  function assertNotRevoked(result: VerifiedToken, kid: string): void {
    // a revoked key fails at once, even while the JWKS cache still holds it
    if (revocations?.get()?.isDenied(result.claims, result.clientId, kid) || isRevoked?.(result.claims)) {
      throw new TokenRevoked();
    }
  }

  /**
   * Verifies synchronously when the key and a current deny-list are held; else waits for them
   * (`wait`) or answers undefined.
   */
  function check(token: string, wait: boolean): VerifiedToken | Promise<VerifiedToken> | undefined {
    const t = now();
    if (revocations === undefined || revocations.isReady(t)) return verifyToken(token, wait, t);
    if (!wait) return undefined;
    // the key and the deny-list are fetched side by side; a bad token or missing keys answer for
    // themselves, and only a token that verified is judged again against the fetched deny-list
    return Promise.all([revocations.whenReady(), verifyToken(token, true, t)]).then(([held]) => {
      if (!held) throw new VerificationUnavailable('revocation feed not fetched yet');
      return verifyToken(token, true, now()) as VerifiedToken | Promise<VerifiedToken>;
    });
  }

  /** Verifies (`t`: now, ms) with the deny-list as it is. */
  function verifyToken(
    token: string,
    wait: boolean,
    t: number,
  ): VerifiedToken | Promise<VerifiedToken> | undefined {
    if (typeof token !== 'string' || token.length > maxTokenLength) throw new TokenMalformed('too long');
    const hit = caching ? cache.get(token) : undefined;
    if (hit !== undefined) {
      if (t / 1000 - tolerance >= hit.exp) {
        cache.delete(token);
        throw new TokenExpired();
      }
      if (jwks.getKey(hit.kid) === hit.key) {
        try {
          assertNotRevoked(hit.value, hit.kid);
        } catch (error) {
          cache.delete(token);
          throw error;
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
    if (key !== undefined) return complete(token, parts, header, key, known === undefined, t);
    if (!wait) return undefined;
    return jwks
      .resolveKey(header.kid)
      .then((resolved) => complete(token, parts, header, resolved, known === undefined, now()));
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
    refresh: async () => {
      await Promise.all([jwks.refresh(), revocations?.refresh()]);
    },
    close() {
      jwks.close();
      revocations?.close();
    },
    usable: () => jwks.usable() && (revocations === undefined || revocations.get()?.held() === true),
    jwks,
    feeds,
    audience: options.audience,
  };
}
