/**
 * Public, cacheable discovery: the JWK Set and the metadata document. Each answer has a strong
 * `ETag`, so a verifier that refreshes the JWKS often (gatehouse's authorizer does every sync
 * interval) asks with `If-None-Match` and gets `304 Not Modified` until the keys change.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2
 */
import { Hono } from 'hono';
import { answerTagged, type TaggedDocument, tagDocument } from '../feeds/etag.ts';
import type { AppEnv } from '../http/app-env.ts';
import type { Jwks, KeyRing } from '../keys/key-ring.ts';
import { createAuthorizationServerMetadata } from './metadata.ts';

/**
 * How long verifiers may cache the JWKS and metadata. Short enough that a key pre-published for
 * rotation (issue 6 publishes it two lifetimes ahead) reaches every verifier in time.
 */
export const DISCOVERY_MAX_AGE_SECONDS = 300;

/** Creates the discovery routes for `issuer`. */
export function createDiscoveryRoutes(opts: { issuer: string; keyRing: KeyRing }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const metadata = tagDocument(
    JSON.stringify(createAuthorizationServerMetadata(opts.issuer)),
    DISCOVERY_MAX_AGE_SECONDS,
  );
  // The key ring hands out the same frozen JWKS object until its keys change: serialize and tag once per object.
  const documents = new WeakMap<Jwks, TaggedDocument>();

  app.get('/.well-known/jwks.json', async (c) => {
    const jwks = await opts.keyRing.getJwks();
    let doc = documents.get(jwks);
    if (doc === undefined) {
      doc = tagDocument(JSON.stringify(jwks), DISCOVERY_MAX_AGE_SECONDS);
      documents.set(jwks, doc);
    }
    return answerTagged(doc, c.req.header('if-none-match'));
  });
  app.get('/.well-known/openid-configuration', (c) => answerTagged(metadata, c.req.header('if-none-match')));
  app.get('/.well-known/oauth-authorization-server', (c) =>
    answerTagged(metadata, c.req.header('if-none-match')),
  );
  return app;
}
