import type { IncomingMessage } from 'node:http';

/** The proxy conventions the forward-auth server speaks, each at its own path. */
export type ForwardAuthDialect = 'nginx' | 'traefik' | 'envoy';

/** The original request a proxy asks about, or what is missing from the check request. */
export type OriginalRequest =
  | {
      readonly ok: true;
      readonly dialect: ForwardAuthDialect;
      readonly method: string;
      readonly path: string;
    }
  | { readonly ok: false; readonly dialect: ForwardAuthDialect | null };

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The origin form of a URI a proxy forwarded: an absolute-form request target loses its scheme and authority. */
function originForm(uri: string): string {
  const absolute = /^https?:\/\/[^/?#]*/i.exec(uri);
  if (absolute === null) return uri;
  const rest = uri.slice(absolute[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * Reads the original method and URI of a forward-auth check request. The dialect is chosen by the
 * path the proxy calls, never guessed from headers, so a client cannot pick the headers that are
 * trusted by sending them itself:
 * - `/nginx`: nginx `auth_request`, `X-Original-Method` and `X-Original-URI` (set by the config);
 * - `/traefik`: Traefik ForwardAuth, `X-Forwarded-Method` and `X-Forwarded-Uri`;
 * - `<envoyPrefix>/...`: Envoy `ext_authz` HTTP service, whose check request carries the original
 *   method and path, behind the configured `path_prefix`.
 * A missing method or URI is reported (`ok: false`), to be denied.
 */
export function readOriginalRequest(req: IncomingMessage, envoyPrefix: string): OriginalRequest {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/nginx') {
    const method = single(req.headers['x-original-method']);
    const uri = single(req.headers['x-original-uri']);
    return method && uri
      ? { ok: true, dialect: 'nginx', method, path: originForm(uri) }
      : { ok: false, dialect: 'nginx' };
  }
  if (path === '/traefik') {
    const method = single(req.headers['x-forwarded-method']);
    const uri = single(req.headers['x-forwarded-uri']);
    return method && uri
      ? { ok: true, dialect: 'traefik', method, path: originForm(uri) }
      : { ok: false, dialect: 'traefik' };
  }
  if (url.startsWith(`${envoyPrefix}/`)) {
    const method = req.method;
    const original = url.slice(envoyPrefix.length);
    return method ? { ok: true, dialect: 'envoy', method, path: original } : { ok: false, dialect: 'envoy' };
  }
  return { ok: false, dialect: null };
}
