import { InvalidRequest, MissingToken } from '../errors/errors.ts';

/** Client-facing description of a malformed `Authorization` header. */
export const MALFORMED_HEADER = 'The Authorization header is not "Bearer" and one token';

/** RFC 6750 `b64token`: what may follow `Bearer ` at all. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Takes the token out of an `Authorization` header value. No header, or another scheme (`Basic`),
 * is `MissingToken` (a bare challenge: the client did not try bearer auth); `Bearer` with nothing,
 * several parts or a value outside the `b64token` syntax is `InvalidRequest` (400).
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export function parseBearerHeader(header: string | readonly string[] | null | undefined): string {
  if (typeof header !== 'string') {
    if (header === null || header === undefined || header.length === 0) throw new MissingToken();
    throw new InvalidRequest(MALFORMED_HEADER);
  }
  // the common case, without a regex: "Bearer <token>"
  if (header.startsWith('Bearer ') && header.length > 7 && header.indexOf(' ', 7) === -1)
    return header.slice(7);
  const trimmed = header.trim();
  if (trimmed === '') throw new MissingToken();
  const space = trimmed.indexOf(' ');
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') throw new MissingToken('another scheme');
  const value = space === -1 ? '' : trimmed.slice(space + 1).trim();
  if (value === '' || !B64TOKEN.test(value)) {
    throw new InvalidRequest(MALFORMED_HEADER);
  }
  return value;
}

/** Whether a string could be a bearer token at all (used to tell a 400 from a 401 on a bad token). */
export function isB64Token(value: string): boolean {
  return B64TOKEN.test(value);
}
