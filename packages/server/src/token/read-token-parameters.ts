/**
 * Reads the body of an OAuth endpoint (token, revocation, introspection): form (RFC 6749) or JSON
 * (Auth0), UTF-8, at most 16 KiB.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
import type { HonoRequest } from 'hono';
import { hasForeignCharset, MAX_BODY_BYTES, parseMediaType, readBodyText } from '../http/body.ts';
import { InvalidRequest } from '../http/errors.ts';
import { parseFormParameters, parseJsonParameters, type TokenParameters } from './token-parameters.ts';

/** The two encodings an OAuth endpoint accepts. */
export type TokenBodyType = 'form' | 'json';

/**
 * The body's encoding from its `Content-Type`, checked before a byte of the body is read.
 * @throws InvalidRequest for a missing or foreign content type or charset.
 */
export function parseTokenBodyType(contentType: string | undefined): TokenBodyType {
  const type = parseMediaType(contentType);
  if (type === undefined)
    throw new InvalidRequest('Content-Type is required: application/x-www-form-urlencoded');
  if (contentType !== undefined && hasForeignCharset(contentType)) {
    throw new InvalidRequest('the body must be encoded in UTF-8');
  }
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'application/json') return 'json';
  throw new InvalidRequest('Content-Type must be application/x-www-form-urlencoded or application/json');
}

/** The parameters in a body of the given encoding. */
export function parseTokenBody(type: TokenBodyType, text: string): TokenParameters {
  return type === 'form' ? parseFormParameters(text) : parseJsonParameters(text);
}

/** The request's parameters; `invalid_request` for a missing or foreign content type or charset. */
export async function readTokenParameters(req: HonoRequest): Promise<TokenParameters> {
  const type = parseTokenBodyType(req.header('content-type'));
  return parseTokenBody(type, await readBodyText(req, MAX_BODY_BYTES));
}
