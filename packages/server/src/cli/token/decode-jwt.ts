/**
 * Splits a JWS compact serialization into its header and claims for display. This checks only
 * the form: it verifies no signature, issuer, audience or expiry.
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2
 */
import { z } from 'zod';
import { CliResponseError } from '../errors.ts';

const JsonObjectSchema = z.record(z.string(), z.unknown());

/** The decoded, unverified parts of a JWT. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function decodePart(part: string, what: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw new CliResponseError(`the token's ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new CliResponseError(`the token's ${what} is not JSON`);
  }
  const parsed = JsonObjectSchema.safeParse(value);
  if (!parsed.success) throw new CliResponseError(`the token's ${what} is not a JSON object`);
  return parsed.data;
}

/** Decodes a JWT's header and claims without verifying anything; throws when it is not a JWS. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3)
    throw new CliResponseError('the access token is not a JWT (expected three dot-separated parts)');
  return { header: decodePart(parts[0] ?? '', 'header'), payload: decodePart(parts[1] ?? '', 'claims') };
}

/** Words for a NumericDate claim relative to `now` (seconds), e.g. `2025-01-01T00:00:00.000Z (in 3600 s)`. */
export function formatNumericDate(seconds: unknown, now: number): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return undefined;
  const delta = Math.round(seconds - now);
  const relative = delta > 0 ? `in ${delta} s` : `${-delta} s ago`;
  return `${new Date(seconds * 1000).toISOString()} (${relative})`;
}
