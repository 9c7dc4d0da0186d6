/**
 * Reads `WWW-Authenticate` for a Bearer challenge with `error="invalid_token"`: the API says the
 * token is expired, revoked or otherwise unusable, so a fresh one may succeed.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */

const INVALID_TOKEN = /(?:^|[\s,])bearer\b[\s\S]*?\berror\s*=\s*(?:"invalid_token"|invalid_token\b)/i;

/** Whether the header holds a Bearer challenge naming `invalid_token`. */
export function isInvalidTokenChallenge(header: string | null): boolean {
  return header !== null && header.length <= 4096 && INVALID_TOKEN.test(header);
}
