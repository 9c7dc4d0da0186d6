/**
 * Public, cacheable discovery: the JWK Set and the metadata document.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { createSecuredResponse, withSecurityHeaders } from '../http/security-headers.ts';
import type { Jwks, KeyRing } from '../keys/key-ring.ts';
import { createAuthorizationServerMetadata } from './metadata.ts';

/**
 * How long verifiers may cache the JWKS and metadata. Short enough that a key pre-published for
 * rotation (issue 6 publishes it two lifetimes ahead) reaches every verifier in time.
 */
export const DISCOVERY_MAX_AGE_SECONDS = 300;

/** Public documents: any origin may read them (browser-based tools fetch the JWKS and metadata). */
const CACHEABLE = withSecurityHeaders({
  'Content-Type': 'application/json',
  'Cache-Control': `public, max-age=${DISCOVERY_MAX_AGE_SECONDS}`,
  'Access-Control-Allow-Origin': '*',
});

/** Creates the discovery routes for `issuer`. */
export function createDiscoveryRoutes(opts: { issuer: string; keyRing: KeyRing }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const metadata = JSON.stringify(createAuthorizationServerMetadata(opts.issuer));
  // The key ring hands out the same frozen JWKS object until its keys change: serialize once per object.
  const serialized = new WeakMap<Jwks, string>();

  app.get('/.well-known/jwks.json', async () => {
    const jwks = await opts.keyRing.getJwks();
    let body = serialized.get(jwks);
    if (body === undefined) {
      body = JSON.stringify(jwks);
      serialized.set(jwks, body);
    }
    return createSecuredResponse(body, 200, CACHEABLE);
  });
  app.get('/.well-known/openid-configuration', () => createSecuredResponse(metadata, 200, CACHEABLE));
  app.get('/.well-known/oauth-authorization-server', () => createSecuredResponse(metadata, 200, CACHEABLE));
  return app;
}
