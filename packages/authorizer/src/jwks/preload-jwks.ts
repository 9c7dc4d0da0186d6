/**
 * The issuer's JWKS as a verifier preloads it (`jwks.keys`, the Lambda bundle's `AUTHORIZER_JWKS`):
 * fetched at deploy time by `gatehouse-authorizer jwks`. Not part of the Lambda bundle.
 */
import { parseStrictJsonObject } from '../jose/strict-json.ts';
import { createHttpFetch, type FetchLike, isHttpUrl } from './http-fetch.ts';
import { importJwks } from './import-jwk.ts';
import { createJwksSource } from './jwks-fetch.ts';

/** The members of a public JWK a verifier reads: whatever else a JWKS carries (`x5c`, ...) is left out. */
const KEPT_MEMBERS = ['kty', 'kid', 'use', 'alg', 'crv', 'n', 'e', 'x', 'y'];

/** A JWKS to preload, and the keys left out of it with the reason. */
export interface PreloadJwks {
  readonly jwks: { readonly keys: Record<string, unknown>[] };
  readonly skipped: ReadonlyArray<{ readonly kid: unknown; readonly reason: string }>;
}

/**
 * Fetches the issuer's JWKS (discovery unless `jwksUri` is given) and keeps what a verifier can use:
 * the keys it verifies with (others, such as encryption keys, are skipped with the reason), each
 * with only the members it reads, so the result is small (a Lambda's environment holds 4 KB in all)
 * and passes the verifier's strict check of preloaded keys. Throws when no key is left.
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export async function fetchPreloadJwks(options: {
  readonly issuer: string | null;
  readonly jwksUri?: string | undefined;
  readonly fetch?: FetchLike | undefined;
}): Promise<PreloadJwks> {
  const source = createJwksSource({
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    fetch: options.fetch ?? createHttpFetch(),
    timeoutMs: 10_000,
    parseJson: parseStrictJsonObject,
    isHttpUrl,
  });
  // a first fetch is never conditional, so never answered 304
  const fetched = await source.fetchJwks();
  const keys = fetched.notModified ? undefined : fetched.keys;
  if (!Array.isArray(keys)) throw new Error('JWKS: no keys');
  const skipped: Array<{ kid: unknown; reason: string }> = [];
  const refused = new Set<number>();
  importJwks(keys, (i, reason, jwk) => {
    refused.add(i);
    skipped.push({ kid: (jwk as { kid?: unknown } | null)?.kid, reason });
  });
  const kept = (keys as Record<string, unknown>[])
    .filter((_key, i) => !refused.has(i))
    .map((key) =>
      Object.fromEntries(KEPT_MEMBERS.filter((m) => key[m] !== undefined).map((m) => [m, key[m]])),
    );
  if (kept.length === 0) throw new Error('the JWKS holds no key gatehouse verifies with');
  return { jwks: { keys: kept }, skipped };
}
