/**
 * Scope strings as RFC 6749 section 3.3 defines them: space-delimited, case-sensitive tokens of
 * `%x21 / %x23-5B / %x5D-7E` (printable ASCII except space, `"` and `\`).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Longest scope token gatehouse accepts; longer input is refused, not truncated. */
export const MAX_SCOPE_TOKEN_LENGTH = 256;

/** Whether `value` is one valid scope token (no spaces). */
export function isScopeToken(value: string): boolean {
  return value.length > 0 && value.length <= MAX_SCOPE_TOKEN_LENGTH && SCOPE_TOKEN.test(value);
}

/**
 * Splits a scope string into distinct tokens, in first-seen order. Returns null when the string
 * holds an invalid token (the caller answers `invalid_scope`); repeated or surrounding spaces are
 * tolerated, as most servers do.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function parseScope(scope: string): string[] | null {
  const out: string[] = [];
  for (const token of scope.split(' ')) {
    if (token === '') continue;
    if (!isScopeToken(token)) return null;
    if (!out.includes(token)) out.push(token);
  }
  return out;
}

/** Joins scope tokens into the space-delimited wire form. */
export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/** Whether `granted` holds every scope in `required` (exact, case-sensitive matches only). */
export function hasAllScopes(granted: readonly string[], required: readonly string[]): boolean {
  for (const r of required) if (!granted.includes(r)) return false;
  return true;
}
