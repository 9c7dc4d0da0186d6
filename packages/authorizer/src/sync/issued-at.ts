/**
 * When a token was issued, to the millisecond, so a cut-off refuses a token issued earlier within
 * the same second and never one issued after it (docs/feeds.md).
 */

/** Crockford base32 digit by character code (either case); -1 for anything else. */
const DIGITS = new Int8Array(128).fill(-1);
'0123456789ABCDEFGHJKMNPQRSTVWXYZ'.split('').forEach((c, i) => {
  DIGITS[c.charCodeAt(0)] = i;
  DIGITS[c.toLowerCase().charCodeAt(0)] = i;
});

/**
 * The issue time of a token in epoch milliseconds: the time part of its `jti` when that is a ULID
 * agreeing with `iat` (same second), else `iat * 1000`, which errs towards refusing; undefined
 * without a numeric `iat`. Runs on every use of a token whose client has a cut-off: no allocation.
 * @see https://github.com/ulid/spec#encoding
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1.6
 */
export function readIssuedAtMs(claims: {
  readonly jti?: unknown;
  readonly iat?: unknown;
}): number | undefined {
  const { jti, iat } = claims;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return undefined;
  if (typeof jti === 'string' && jti.length === 26) {
    let ms = 0;
    for (let i = 0; i < 10; i++) {
      const digit = DIGITS[jti.charCodeAt(i)] ?? -1;
      if (digit < 0) return iat * 1000;
      ms = ms * 32 + digit;
    }
    // a 26-character jti that is not a ULID of this token decodes to some other second
    if (Math.floor(ms / 1000) === iat) return ms;
  }
  return iat * 1000;
}
