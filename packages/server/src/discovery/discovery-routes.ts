/**
 * Public, cacheable discovery: the JWK Set and the metadata document. Each answer has a strong
 * `ETag`, so a verifier that refreshes the JWKS often (gatehouse's authorizer does every sync
 * interval) asks with `If-None-Match` and gets `304 Not Modified` until the keys change.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2
 */
import { Hono } from 'hono';
import { createEtag, isEtagMatch } from '../feeds/etag.ts';
import type { AppEnv } from '../http/app-env.ts';
import { createSecuredResponse, withSecurityHeaders } from '../http/security-headers.ts';
import type { Jwks, KeyRing } from '../keys/key-ring.ts';
import { createAuthorizationServerMetadata } from './metadata.ts';

/**
 * How long verifiers may cache the JWKS and metadata. Short enough that a key pre-published for
 * rotation (issue 6 publishes it two lifetimes ahead) reaches every verifier in time.
 */
export const DISCOVERY_MAX_AGE_SECONDS = 300;

/** A public document, its entity tag and its headers: any origin may read it (browser-based tools fetch the JWKS and metadata). */
interface PublicDocument {
  body: string;
  etag: string;
  headers: Readonly<Record<string, string>>;
}

function cacheable(body: string): PublicDocument {
  const etag = createEtag(body);
  const headers = withSecurityHeaders({
    'Content-Type': 'application/json',
    'Cache-Control': `public, max-age=${DISCOVERY_MAX_AGE_SECONDS}`,
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'ETag',
    ETag: etag,
  });
  return { body, etag, headers };
}

/** The document, or `304 Not Modified` when the request's `If-None-Match` names its tag. */
function answer(doc: PublicDocument, ifNoneMatch: string | undefined): Response {
  if (isEtagMatch(ifNoneMatch, doc.etag)) return createSecuredResponse(null, 304, doc.headers);
  return createSecuredResponse(doc.body, 200, doc.headers);
}

/** Creates the discovery routes for `issuer`. */
export function createDiscoveryRoutes(opts: { issuer: string; keyRing: KeyRing }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const metadata = cacheable(JSON.stringify(createAuthorizationServerMetadata(opts.issuer)));
  // The key ring hands out the same frozen JWKS object until its keys change: serialize and tag once per object.
  const documents = new WeakMap<Jwks, PublicDocument>();

  app.get('/.well-known/jwks.json', async (c) => {
    const jwks = await opts.keyRing.getJwks();
    let doc = documents.get(jwks);
    if (doc === undefined) {
      doc = cacheable(JSON.stringify(jwks));
      documents.set(jwks, doc);
    }
    return answer(doc, c.req.header('if-none-match'));
  });
  app.get('/.well-known/openid-configuration', (c) => answer(metadata, c.req.header('if-none-match')));
  app.get('/.well-known/oauth-authorization-server', (c) => answer(metadata, c.req.header('if-none-match')));
  return app;
}
