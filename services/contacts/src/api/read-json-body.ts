/**
 * Reads a JSON request body with the checks in a fixed order: media type (415), size (413),
 * UTF-8 and JSON syntax (400). Nothing here trusts `Content-Length` alone.
 * @see https://www.rfc-editor.org/rfc/rfc8259#section-8.1
 */
import { MalformedBodyError, UnsupportedMediaTypeError } from '../problems/errors.ts';
import type { ApiRequest } from './api-request.ts';

/** Largest accepted request body: a contact is well under 1 KiB. */
export const MAX_BODY_BYTES = 16 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether a `Content-Type` value is `application/json`, with no charset or charset=utf-8. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [essence = '', ...params] = contentType.split(';');
  if (essence.trim().toLowerCase() !== 'application/json') return false;
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    if (value.trim().replace(/^"|"$/g, '').toLowerCase() !== 'utf-8') return false;
  }
  return true;
}

/** Reads and parses the body as JSON; throws the matching `ContactsError`. */
export async function readJsonBody(request: ApiRequest): Promise<unknown> {
  if (!isJsonMediaType(request.header('content-type'))) throw new UnsupportedMediaTypeError();
  const bytes = await request.body(MAX_BODY_BYTES);
  if (bytes === null || bytes.byteLength === 0) {
    throw new MalformedBodyError('The request body is empty; send a JSON object.');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new MalformedBodyError('The request body is not valid UTF-8.');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? `: ${error.message}` : '';
    throw new MalformedBodyError(`The request body is not valid JSON${reason}.`);
  }
}
