import { parseScope } from '@gatehouse/protocol';
import { ClaimInvalid, TokenExpired } from '../errors/errors.ts';

/** Claims of an access token as RFC 9068 lists them, plus whatever else the issuer added. */
export interface AccessTokenClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly exp: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly jti?: string;
  readonly client_id?: string;
  readonly scope?: string;
  readonly [claim: string]: unknown;
}

/** What the time and audience checks need. Times are in seconds. */
export interface ClaimRules {
  readonly issuer: string | null;
  readonly audiences: readonly string[] | null;
  readonly clockTolerance: number;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Checks the registered claims: `iss` exactly, `aud` (string or array) holding an accepted
 * audience, `exp` required and numeric, `nbf` and `iat` (when present) not in the future beyond
 * the tolerance. `now` is in seconds.
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export function assertRegisteredClaims(
  claims: Record<string, unknown>,
  rules: ClaimRules,
  now: number,
): asserts claims is AccessTokenClaims {
  if (rules.issuer !== null && claims.iss !== rules.issuer) throw new ClaimInvalid('iss', 'mismatch');
  if (rules.audiences !== null) {
    const aud = claims.aud;
    let ok = false;
    if (typeof aud === 'string') ok = rules.audiences.includes(aud);
    else if (Array.isArray(aud)) ok = aud.some((a) => typeof a === 'string' && rules.audiences?.includes(a));
    if (!ok) throw new ClaimInvalid('aud', 'mismatch');
  }
  const { exp, nbf, iat } = claims;
  if (!isNumericDate(exp)) throw new ClaimInvalid('exp', 'not a number');
  if (now - rules.clockTolerance >= exp) throw new TokenExpired();
  if (nbf !== undefined && (!isNumericDate(nbf) || nbf > now + rules.clockTolerance)) {
    throw new ClaimInvalid('nbf', 'in the future');
  }
  if (iat !== undefined && (!isNumericDate(iat) || iat > now + rules.clockTolerance)) {
    throw new ClaimInvalid('iat', 'in the future');
  }
}

/** Whether a claim is a non-empty string. */
export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length !== 0;
}

/**
 * Reads the `scope` claim (space-separated, optional) into scope tokens.
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2.3
 */
export function readScopeClaim(claims: Record<string, unknown>): readonly string[] {
  const scope = claims.scope;
  if (scope === undefined) return NO_SCOPES;
  if (typeof scope !== 'string') throw new ClaimInvalid('scope', 'invalid');
  // a client's tokens repeat its scope string: comparing it with the last one costs less than hashing it
  if (scope === lastScope) return lastScopes;
  // the same few scope strings repeat across tokens: parse each once (frozen, so safe to share)
  let scopes = parsedScopes.get(scope);
  if (scopes === undefined) {
    const parsed = parseScope(scope);
    if (parsed === null) throw new ClaimInvalid('scope', 'invalid');
    scopes = Object.freeze(parsed);
    if (parsedScopes.size >= 256) parsedScopes.clear();
    parsedScopes.set(scope, scopes);
  }
  lastScope = scope;
  lastScopes = scopes;
  return scopes;
}

const NO_SCOPES: readonly string[] = Object.freeze([]);
const parsedScopes = new Map<string, readonly string[]>();
let lastScope: string | undefined;
let lastScopes: readonly string[] = NO_SCOPES;
