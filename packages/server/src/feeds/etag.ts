/**
 * Strong entity tags for the feeds: a hash of the exact body, so an unchanged answer keeps its tag
 * and a conditional request gets `304 Not Modified`.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.8.3
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2
 */
import { createHash } from 'node:crypto';

/** The quoted ETag of a body (SHA-256, 128 bits in base64url). */
export function createEtag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/** Whether an `If-None-Match` header names `etag` (or `*`); weak comparison, as RFC 9110 asks for this header. */
export function isEtagMatch(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const wanted = etag.replace(/^W\//, '');
  for (const raw of ifNoneMatch.split(',')) {
    const tag = raw.trim();
    if (tag === '*' || tag.replace(/^W\//, '') === wanted) return true;
  }
  return false;
}
