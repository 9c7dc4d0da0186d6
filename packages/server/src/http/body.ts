/**
 * Request body readers with a size limit. The declared `Content-Length` is checked before a byte
 * is read (the common case, and the cheap one: the runtime then reads the body in one go); a
 * chunked body is read as a stream and abandoned as soon as it passes the limit.
 */
import type { HonoRequest } from 'hono';
import { BodyError } from './errors.ts';

/** Largest token request body: a few parameters need far less (RFC 6749 bodies are tiny). */
export const MAX_BODY_BYTES = 16 * 1024;

/** Largest Management API body: an API with 200 scopes and their descriptions must fit. */
export const MAX_MANAGEMENT_BODY_BYTES = 256 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The lower-cased media type of a `Content-Type` header without parameters, or undefined when absent. */
export function parseMediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** Whether a `Content-Type` header names a charset other than UTF-8 (which every body here must be). */
export function hasForeignCharset(contentType: string): boolean {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType);
  return match !== null && match[1]!.toLowerCase() !== 'utf-8' && match[1]!.toLowerCase() !== 'utf8';
}

/**
 * Reads the body as UTF-8 text, refusing more than `maxBytes`.
 * @throws BodyError `too_large` or `malformed`.
 */
export async function readBodyText(req: HonoRequest, maxBytes: number = MAX_BODY_BYTES): Promise<string> {
  const declared = req.header('content-length');
  if (declared !== undefined && req.header('transfer-encoding') === undefined) {
    assertDeclaredLength(declared, maxBytes);
    return req.text();
  }
  const stream = req.raw.body;
  if (stream === null) return '';
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  try {
    return utf8.decode(Buffer.concat(chunks));
  } catch {
    throw new BodyError('malformed', 'the body is not valid UTF-8');
  }
}

/**
 * Reads a JSON body: the media type must be `application/json` (or `+json`), the text at most
 * `maxBytes`, and the JSON well-formed.
 * @throws BodyError `unsupported_media_type`, `too_large` or `malformed`.
 */
export async function readJsonBody(
  req: HonoRequest,
  maxBytes: number = MAX_MANAGEMENT_BODY_BYTES,
): Promise<unknown> {
  const contentType = req.header('content-type');
  const type = parseMediaType(contentType);
  if (type === undefined || !(type === 'application/json' || type.endsWith('+json'))) {
    throw new BodyError('unsupported_media_type', 'the body must be application/json');
  }
  if (contentType !== undefined && hasForeignCharset(contentType)) {
    throw new BodyError('unsupported_media_type', 'the body must be encoded in UTF-8');
  }
  const text = await readBodyText(req, maxBytes);
  if (text.trim() === '') throw new BodyError('malformed', 'the body is empty; a JSON object is expected');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError('malformed', 'the body is not valid JSON');
  }
}

/**
 * Checks a declared `Content-Length` before the body is read.
 * @throws BodyError `malformed` (not a number) or `too_large` (over `maxBytes`).
 */
export function assertDeclaredLength(declared: string, maxBytes: number): void {
  if (!/^\d{1,15}$/.test(declared)) throw new BodyError('malformed', 'Content-Length is not a number');
  if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
}

function tooLarge(maxBytes: number): BodyError {
  return new BodyError('too_large', `the body is larger than ${maxBytes} bytes`);
}
