/**
 * Reads a fetch `Request` body up to a limit without buffering more: a declared `Content-Length`
 * above the limit is refused before reading, and a stream that grows past it is cancelled.
 */
import { MalformedBodyError, PayloadTooLargeError } from '../problems/errors.ts';

/** The body bytes, or null when the request has none. Throws `PayloadTooLargeError` over `maxBytes`. */
export async function readBoundedBody(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    throw new PayloadTooLargeError(maxBytes);
  }
  if (request.body === null) return null;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new PayloadTooLargeError(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw error;
    throw new MalformedBodyError('The request body could not be read completely.');
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
