import { ClaimRefusal } from './profile-errors.ts';

/** Whether a `typ` header is RFC 9068's `at+jwt` (or `application/at+jwt`), any case. */
export function isAtJwt(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === 'at+jwt' || t === 'application/at+jwt';
}

/** Whether a `typ` header is the plain `JWT` that Auth0 and Keycloak put on access tokens by default. */
export function isPlainJwt(typ: unknown): boolean {
  return typeof typ === 'string' && typ.toUpperCase() === 'JWT';
}

/** Reads an own claim (never one inherited through the prototype). */
export function ownClaim(claims: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(claims, name) ? claims[name] : undefined;
}

/** Reads a required non-empty string claim. */
export function requireString(claims: Record<string, unknown>, name: string): string {
  const value = ownClaim(claims, name);
  if (typeof value !== 'string' || value.length === 0) throw new ClaimRefusal(name, 'missing');
  return value;
}

// RFC 6749 section 3.3 scope-token (as @gatehouse/protocol's isScopeToken; repeated here so this
// folder imports nothing from the verifier core at run time)
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/;

const NONE: readonly string[] = Object.freeze([]);
// the same few scope strings repeat across tokens: each is parsed once (frozen, so safe to share)
const parsed = new Map<string, readonly string[]>();

/**
 * Reads a scope claim that is a space-separated string (RFC 9068 `scope`, memoised) or, with
 * `arrays`, also an array of scope tokens (Auth0 `permissions`, `scp` of some issuers); undefined
 * means none. Every
 * token must be a valid RFC 6749 scope token, so a hostile value cannot smuggle spaces or quotes.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function readScopeList(value: unknown, claim: string, arrays = false): readonly string[] {
  if (value === undefined) return NONE;
  if (!arrays && typeof value !== 'string') throw new ClaimRefusal(claim, 'not a string');
  if (typeof value === 'string') {
    const known = parsed.get(value);
    if (known !== undefined) return known;
  }
  const tokens = typeof value === 'string' ? value.split(' ').filter((t) => t !== '') : value;
  if (!Array.isArray(tokens) || tokens.length > 1000) throw new ClaimRefusal(claim, 'invalid');
  const out = new Set<string>();
  for (const token of tokens) {
    if (typeof token !== 'string' || !SCOPE_TOKEN.test(token)) throw new ClaimRefusal(claim, 'invalid');
    out.add(token);
  }
  const scopes = Object.freeze([...out]);
  if (typeof value === 'string') {
    if (parsed.size >= 256) parsed.clear();
    parsed.set(value, scopes);
  }
  return scopes;
}

/** Whether an audience-like claim (string or array of strings) names one of `accepted`. */
export function namesAudience(value: unknown, accepted: readonly string[]): boolean {
  if (typeof value === 'string') return accepted.includes(value);
  return Array.isArray(value) && value.some((a) => typeof a === 'string' && accepted.includes(a));
}
