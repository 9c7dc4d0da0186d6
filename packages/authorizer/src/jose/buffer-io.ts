/**
 * The three byte conversions a verification makes (base64url and ASCII text in, UTF-8 text out),
 * through the native methods `Buffer#write` and `Buffer#toString` end in, taken once from
 * `Buffer.prototype`. Called as `buffer.write(...)`, each costs two generic property lookups that V8
 * does not inline (Buffer.prototype is a dictionary-mode object), the encoding dispatch and argument
 * checks: about a tenth of what a verification does besides `crypto.verify`
 * (bench/verify.bench.ts). The native methods check their bounds themselves; where one is missing
 * (they are not documented), the documented call stands in.
 */
type Write = (this: Buffer, text: string, offset: number, length: number) => number;
type Read = (this: Buffer, start: number, end: number) => string;

function native<T>(name: string, fallback: T): T {
  const method: unknown = Reflect.get(Buffer.prototype, name);
  return typeof method === 'function' ? (method as T) : fallback;
}

const base64urlWrite = native<Write>('base64urlWrite', function (text, offset, length) {
  return this.write(text, offset, length, 'base64url');
});
const asciiWrite = native<Write>('asciiWrite', function (text, offset, length) {
  return this.write(text, offset, length, 'latin1');
});
const utf8Slice = native<Read>('utf8Slice', function (start, end) {
  return this.toString('utf8', start, end);
});

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
