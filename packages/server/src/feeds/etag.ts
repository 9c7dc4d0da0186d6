/**
 * Strong entity tags for the public documents authorizers poll (the feeds, the JWKS and the
 * metadata): a hash of the exact body, so an unchanged answer keeps its tag and a conditional
 * request gets `304 Not Modified`.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.8.3
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2
 */
import { createHash } from 'node:crypto';
import { createSecuredResponse, withSecurityHeaders } from '../http/security-headers.ts';

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

/** A public JSON document with its tag and the headers it is answered with. */
export interface TaggedDocument {
  readonly body: string;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Tags `body`: JSON, cacheable by anyone for `maxAgeSeconds`, readable (and its `ETag`) from any origin. */
export function tagDocument(body: string, maxAgeSeconds: number): TaggedDocument {
  const etag = createEtag(body);
  const headers = withSecurityHeaders({
    'Content-Type': 'application/json',
    'Cache-Control': `public, max-age=${maxAgeSeconds}`,
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'ETag',
    ETag: etag,
  });
  return { body, etag, headers };
}

/** The document, or `304 Not Modified` with the same headers and no body when `If-None-Match` names its tag. */
export function answerTagged(doc: TaggedDocument, ifNoneMatch: string | undefined): Response {
  if (isEtagMatch(ifNoneMatch, doc.etag)) return createSecuredResponse(null, 304, doc.headers);
  return createSecuredResponse(doc.body, 200, doc.headers);
}
