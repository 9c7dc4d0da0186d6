import type { FetchLike } from '../jwks/http-fetch.ts';

/** A feed answer: 304 (`doc` undefined: nothing changed), 404, or 200 with its JSON object and `ETag`. */
export interface FeedAnswer {
  readonly status: 200 | 304 | 404;
  readonly doc?: Record<string, unknown>;
  readonly etag?: string | undefined;
}

/**
 * One conditional GET of a feed: `If-None-Match` with the `ETag` of the last answer for the same URL.
 * Throws on a network error, another status, or a 200 that is not a JSON object.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2
 */
export async function requestFeed(
  fetch: FetchLike,
  url: string,
  etag: string | undefined,
  signal: AbortSignal,
  maxBytes?: number,
): Promise<FeedAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (etag !== undefined) headers['if-none-match'] = etag;
  const res = await fetch(url, { headers, signal, maxBytes });
  const status = res.status;
  if (status === 304 || status === 404) return { status };
  if (status !== 200) throw new Error(`HTTP ${status}`);
  // plain JSON.parse: feeds carry ids and times, no signed bytes whose reading could be ambiguous
  const doc: unknown = JSON.parse(await res.text());
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
  return { status, doc: doc as Record<string, unknown>, etag: res.headers.get('etag') ?? undefined };
}
