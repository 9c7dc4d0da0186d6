/**
 * Reads the body of an OAuth endpoint (token, revocation, introspection): form (RFC 6749) or JSON
 * (Auth0), UTF-8, at most 16 KiB.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
import type { HonoRequest } from 'hono';
import { hasForeignCharset, MAX_BODY_BYTES, parseMediaType, readBodyText } from '../http/body.ts';
import { InvalidRequest } from '../http/errors.ts';
import { parseFormParameters, parseJsonParameters, type TokenParameters } from './token-parameters.ts';

/** The request's parameters; `invalid_request` for a missing or foreign content type or charset. */
export async function readTokenParameters(req: HonoRequest): Promise<TokenParameters> {
  const contentType = req.header('content-type');
  const type = parseMediaType(contentType);
  if (type === undefined)
    throw new InvalidRequest('Content-Type is required: application/x-www-form-urlencoded');
  if (contentType !== undefined && hasForeignCharset(contentType)) {
    throw new InvalidRequest('the body must be encoded in UTF-8');
  }
  if (type === 'application/x-www-form-urlencoded')
    return parseFormParameters(await readBodyText(req, MAX_BODY_BYTES));
  if (type === 'application/json') return parseJsonParameters(await readBodyText(req, MAX_BODY_BYTES));
  throw new InvalidRequest('Content-Type must be application/x-www-form-urlencoded or application/json');
}
