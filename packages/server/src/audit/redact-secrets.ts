/**
 * The last line of defence between an administrative change and the audit log: whatever a route
 * hands over as before/after, no secret, hash, private key or token leaves here. Routes already pass
 * their public Management API shapes; this removes what must never be kept even if one did not.
 */

/** Member names that hold secrets (client secrets, hashes, private keys, passwords, tokens, assertions). */
const SECRET_MEMBER =
  /secret|hash|private|password|passphrase|assertion|kek|(^|_)token$|^authorization$|^cookie$/i;
/** Private members of a JWK (RFC 7518 6.2.2, 6.3.2, 6.4.1); dropped from any object with a `kty`. */
const PRIVATE_JWK_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
/** A compact JWS/JWE (a token or an assertion, even cut short), or a PEM private key block, as a value. */
const SECRET_VALUE = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]|-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** What replaces a secret-looking string value. */
export const REDACTED = '[redacted]';
/** Deepest nesting kept; deeper values read as REDACTED (nothing an API answer holds goes this deep). */
const MAX_DEPTH = 12;

/**
 * A JSON-safe deep copy of `value` without secret members (dropped), private JWK members (dropped)
 * and token- or private-key-looking strings (replaced by `[redacted]`).
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? REDACTED : value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (typeof value !== 'object') return null;
  const isJwk = 'kty' in value;
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(value)) {
    if (member === undefined || SECRET_MEMBER.test(name)) continue;
    if (isJwk && PRIVATE_JWK_MEMBERS.has(name)) continue;
    out[name] = redactSecrets(member, depth + 1);
  }
  return out;
}

/** A request path with any token-looking segment replaced (a token pasted where an id belongs). */
export function redactPath(path: string): string {
  return path
    .split('/')
    .map((segment) => (SECRET_VALUE.test(segment) ? REDACTED : segment))
    .join('/');
}

/** Largest serialized before/after kept; a larger one is replaced by a note of its size. */
export const MAX_STATE_BYTES = 32_768;

/** `redactSecrets`, then a size cap: an oversized state becomes `{truncated: true, bytes}`. */
export function toAuditState(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const clean = redactSecrets(value);
  const bytes = Buffer.byteLength(JSON.stringify(clean));
  return bytes > MAX_STATE_BYTES ? { truncated: true, bytes } : clean;
}
