import { isUtf8 } from 'node:buffer';
import { AlgorithmNotAllowed, HeaderInvalid, TokenMalformed } from '../errors/errors.ts';
import type { JwsAlgorithm } from './algorithms.ts';
import { isJwsAlgorithm } from './algorithms.ts';
import { readUtf8, writeBase64url } from './buffer-io.ts';
import { parseStrictJsonObject } from './strict-json.ts';

/** The protected header members the verifier acts on, once checked. */
export interface ProtectedHeader {
  readonly alg: JwsAlgorithm;
  readonly kid: string;
}

/** A JWS compact serialization cut at its two dots (positions into the token string). */
export interface CompactParts {
  readonly firstDot: number;
  readonly secondDot: number;
}

const MAX_KID_LENGTH = 256;
/** A character above U+00FF: V8 answers at once for the usual token, a string of one-byte characters. */
const WIDE_CHARACTER = /[\u0100-\uffff]/;
/** Header members that would let the token choose its own key, or that gatehouse does not implement. */
const REFUSED_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64', 'enc', 'zip'] as const;

/**
 * Splits a JWS compact serialization: exactly three non-empty parts, no JWE, no unsecured JWS, no
 * characters of standard base64 (`+`, `/`) and none above U+00FF (Node's base64 decoder and the
 * one-byte copy of the signing input read only the low 8 bits of a character: `Ł`, U+0141, would
 * pass for `A`). The base64url of each part is checked as it is decoded ({@link decodePart}).
 * Throws `TokenMalformed`.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 */
export function splitCompact(token: string): CompactParts {
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  if (
    firstDot <= 0 ||
    secondDot <= firstDot + 1 ||
    secondDot >= token.length - 1 ||
    token.indexOf('.', secondDot + 1) !== -1 ||
    token.indexOf('+') !== -1 ||
    token.indexOf('/') !== -1 ||
    WIDE_CHARACTER.test(token)
  ) {
    throw new TokenMalformed();
  }
  return { firstDot, secondDot };
}

/**
 * Decodes base64url into `into` (no allocation) and returns the byte count, or -1 unless `part` is
 * strict unpadded base64url. Node's decoder skips characters outside the alphabet and stops at
 * `=`, so any of them makes the count fall short of `floor(3 * length / 4)`; a length of 4n+1
 * (which no encoder produces, and which hides one such character) is refused outright.
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function decodePart(part: string, into: Buffer): number {
  const length = part.length;
  if (length % 4 === 1 || length * 0.75 > into.length) return -1;
  const bytes = writeBase64url(into, part);
  return bytes === Math.floor(length * 0.75) ? bytes : -1;
}

/** Decodes a base64url part into a strictly parsed JSON object; null when it is not one. */
export function decodeJsonPart(part: string, scratch: Buffer): Record<string, unknown> | null {
  const bytes = decodePart(part, scratch);
  if (bytes < 0) return null;
  const text = readUtf8(scratch, bytes);
  // invalid UTF-8 decodes to U+FFFD; only then is the (rarer) exact check needed
  if (text.includes('\uFFFD') && !isUtf8(scratch.subarray(0, bytes))) return null;
  return parseStrictJsonObject(text);
}

/**
 * Checks the protected header: `alg` on the allow-list, a `kid`, `typ` as the profile wants, and
 * none of `jwk`, `jku`, `x5u`, `x5c` (a key chosen by the token), `crit` (no extension is
 * understood, so any listed one is refused), `b64`, `enc`, `zip`.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.1
 */
export function parseProtectedHeader(
  part: string,
  algorithms: readonly JwsAlgorithm[],
  isTypAccepted: (typ: unknown) => boolean,
  scratch: Buffer,
): ProtectedHeader {
  const header = decodeJsonPart(part, scratch);
  if (header === null) throw new TokenMalformed('header');
  const { alg, kid } = header;
  if (!isJwsAlgorithm(alg) || !algorithms.includes(alg)) throw new AlgorithmNotAllowed();
  for (const member of REFUSED_MEMBERS) {
    if (member in header) throw new HeaderInvalid(`${member} refused`);
  }
  if (!isTypAccepted(header.typ)) throw new HeaderInvalid('typ');
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new HeaderInvalid('no kid');
  }
  return { alg, kid };
}
