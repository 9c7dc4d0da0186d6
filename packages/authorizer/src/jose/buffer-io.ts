/**
 * The three byte conversions a verification makes (base64url and ASCII text in, UTF-8 text out),
 * through the native methods `Buffer#write` and `Buffer#toString` end in, taken once from
 * `Buffer.prototype`. Called as `buffer.write(...)`, each costs two property loads the optimizing
 * compiler leaves generic (`node --print-opt-code` shows the LoadIC calls), the encoding dispatch and
 * the argument checks: about 7% of what an uncached verification does besides `crypto.verify`. The
 * native methods check their bounds themselves; where one is missing (they are not documented), the
 * documented call stands in.
 */
/** The native methods, present on every Node.js this package supports (engines: >= 20.19). */
interface NativeMethods {
  base64urlWrite?(this: Buffer, text: string, offset: number, length: number): number;
  asciiWrite?(this: Buffer, text: string, offset: number, length: number): number;
  utf8Slice?(this: Buffer, start: number, end: number): string;
}

const native = Buffer.prototype as unknown as NativeMethods;
const base64urlWrite =
  native.base64urlWrite ??
  function (this: Buffer, text: string, offset: number, length: number) {
    return this.write(text, offset, length, 'base64url');
  };
const asciiWrite =
  native.asciiWrite ??
  function (this: Buffer, text: string, offset: number, length: number) {
    return this.write(text, offset, length, 'latin1');
  };
const utf8Slice =
  native.utf8Slice ??
  function (this: Buffer, start: number, end: number) {
    return this.toString('utf8', start, end);
  };

/** Decodes base64url `text` into `into` from its start; the byte count (Node skips characters outside the alphabet). */
export function writeBase64url(into: Buffer, text: string): number {
  return base64urlWrite.call(into, text, 0, into.length);
}

/** Copies the first `length` characters of `text` into `into`, one byte each (their low 8 bits). */
export function writeAscii(into: Buffer, text: string, length: number): number {
  return asciiWrite.call(into, text, 0, length);
}

/** The first `length` bytes of `from` as UTF-8 text (invalid sequences become U+FFFD). */
export function readUtf8(from: Buffer, length: number): string {
  return utf8Slice.call(from, 0, length);
}
